/**
 * Parallel import of a plain (not gzipped) log: the file is cut into byte ranges at line
 * starts, worker threads parse the ranges (chunks.ts) and the main thread hands their
 * rows to the sink in file order — the same rows, in the same order, with the same line
 * numbers, as the serial reader gives, so the .lbt is byte-identical, errors name the
 * same lines, skip counts agree and the reorder window works as before.
 *
 * Memory: at most twice as many ranges as threads are read, parsed or waiting at once.
 * Cancelling (the signal) takes effect when the range being waited for is merged.
 *
 * A CSV range must start outside a quoted field. The quotes before each range are
 * counted; when a quoted field runs across a range boundary (an odd count), the parallel
 * result cannot be used and the caller imports the file serially instead.
 */
import { closeSync, openSync } from 'node:fs';
import { LbsimError } from '../../errors.ts';
import { WorkerThreads } from '../../parallel/worker-threads.ts';
import { type ChunkReadFailure, type ChunkResult, type ChunkTask, findPrimer, lineStartAtOrAfter } from './chunks.ts';
import type { ImportSink } from './sink.ts';
import type { LogFormat, ReaderOptions } from './types.ts';

export interface ParallelImportOptions {
  format: LogFormat;
  reader: ReaderOptions;
  onError: 'abort' | 'skip';
  threads: number;
  chunkBytes: number;
  signal?: AbortSignal;
  /** Told after every range merged: bytes of the file done, lines so far. */
  onProgress?: (bytesDone: number, lines: number) => void;
}

/** Ranges read, parsed or waiting at once, per thread. */
const IN_FLIGHT_PER_THREAD = 2;

/**
 * Imports `file` (`size` bytes) into `sink` in parallel. Returns false, having touched
 * nothing, when the file cannot be split (its header is not within the first range), or,
 * having fed the sink part of the file, when a CSV quoted field crosses a range boundary:
 * the caller then discards the sink and imports serially.
 */
export async function importInParallel(file: string, size: number, sink: ImportSink, o: ParallelImportOptions): Promise<boolean> {
  const primer = findPrimer(file, o.format, o.reader, o.chunkBytes);
  if (primer === undefined) return false;
  // A thread that cannot start (its script missing from an install, say) stops them all
  // (WorkerThreads.failure); the ranges given to them fail, named below by that first failure.
  const threads = new WorkerThreads(o.threads, false, 'import-worker', 1000);
  const fd = openSync(file, 'r');
  const inFlight: Array<{ end: number; result: Promise<ChunkResult | ChunkReadFailure> }> = [];
  let next = 0;
  const submit = () => {
    const start = next;
    const end = lineStartAtOrAfter(fd, start + o.chunkBytes, size);
    next = end;
    const task: ChunkTask = { file, start, end, last: end === size, format: o.format, reader: o.reader, primer: start === 0 ? [] : primer, stopAtFirstError: o.onError === 'abort' };
    const result = threads.run(task) as Promise<ChunkResult | ChunkReadFailure>;
    // Results are awaited in file order below; this only keeps a later range's failure from being reported as unhandled before its turn.
    result.catch(() => undefined);
    inFlight.push({ end, result });
  };
  let lines = 0;
  let quotes = 0;
  try {
    while (next < size || inFlight.length > 0) {
      while (next < size && inFlight.length < o.threads * IN_FLIGHT_PER_THREAD) submit();
      const { end, result } = inFlight.shift()!;
      let chunk: ChunkResult | ChunkReadFailure;
      try {
        chunk = await result;
      } catch (e) {
        // Bad lines and failed reads of the file come back as data (chunks.ts, workers/import-worker.ts): this is a worker that broke or could not start.
        // A range given to a thread the first failure stopped fails with "Terminating worker thread": name the first failure.
        const cause = threads.failure?.cause ?? e;
        throw new LbsimError('WORKER_FAILED', `${file}: an import worker thread failed: ${(cause as Error)?.message ?? String(cause)}`, { cause, exitCode: 70 });
      }
      if ('readFailed' in chunk) throw new LbsimError('FILE_UNREADABLE', `${file}: ${chunk.readFailed}`);
      if (o.signal?.aborted) throw new LbsimError('CANCELLED', 'import cancelled');
      // An odd number of quotes before this range: it starts inside a quoted CSV field.
      if (quotes % 2 === 1) return false;
      quotes += chunk.quotes;
      merge(sink, chunk, lines);
      lines += chunk.lines;
      sink.summary.lines = lines;
      o.onProgress?.(end, lines);
    }
  } finally {
    closeSync(fd);
    // Ranges still being parsed are let finish (a few ms each) before the pool goes: piscina reports a result that arrives after destroy() as an error of its own.
    await Promise.allSettled(inFlight.map((f) => f.result));
    await threads.stop();
  }
  return true;
}

/** Hands a range's rows and malformed rows to the sink in line order; `before` lines precede the range. */
function merge(sink: ImportSink, c: ChunkResult, before: number): void {
  let e = 0;
  for (let i = 0; i < c.rows; i++) {
    const line = c.line[i]!;
    while (e < c.errorLines.length && c.errorLines[e]! < line) {
      sink.bad(before + c.errorLines[e]!, c.errorMessages[e]!);
      e++;
    }
    sink.row(before + line, c.arrival[i]!, c.work[i]!, c.client[i]!, c.route[i]!, c.flags[i]!, c.uri[i]!);
  }
  for (; e < c.errorLines.length; e++) sink.bad(before + c.errorLines[e]!, c.errorMessages[e]!);
  // The rest come after the range's first few (kept above): they count, but can no longer be examples.
  sink.skipMore(c.errors - c.errorLines.length);
}
