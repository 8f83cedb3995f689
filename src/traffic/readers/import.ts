/**
 * Import: a text log (any format, gzipped or not) streamed through its reader, put back
 * in arrival order, with unknown work estimated, into a .lbt trace. Memory is bounded by
 * one read buffer (a few byte ranges when parallel), the reorder window and one trace
 * chunk, whatever the log's length.
 *
 * A plain log of at least two ranges may be parsed by worker threads (parallel-import.ts),
 * giving byte for byte the trace the serial reader gives: when asked (`threads`), or by
 * default for a big log on a machine of 2 cores or more (defaultImportThreads); a gzipped
 * one is read serially (a gzip stream cannot be entered mid-way).
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, extname } from 'node:path';
import { LbsimError } from '../../errors.ts';
import { forEachLineIn, isGzip } from './lines.ts';
import { parserFor } from './parsers.ts';
import { ImportSink, type ImportSummary } from './sink.ts';
import { LOG_FORMATS, NO_REQUEST, type LineParser, type LogFormat, type ReaderOptions, emptyRequest, parseIn } from './types.ts';

export type { ImportSummary } from './sink.ts';
export { parserFor } from './parsers.ts';

export interface ImportOptions extends ReaderOptions {
  format: LogFormat;
  /** What a malformed row does: stop the import, or be counted and skipped. @default 'abort' */
  onError?: 'abort' | 'skip';
  /**
   * How a user skips malformed rows where this import was asked for, added to a row's
   * error under 'abort' (not to a header's: skipping rows does not mend it). @default `lbsim
   * import`'s flag, 'use --on-error skip to skip bad rows'
   */
  skipHint?: string;
  /** How far back (ms) an arrival may be behind the latest one seen and still be put in order. @default 5000 */
  reorderWindowMs?: number;
  /** Requests per .lbt chunk. @default 65536 */
  chunkCapacity?: number;
  /** Stops the import (the partial output is removed). */
  signal?: AbortSignal;
  /** Hears how far the import is, after every block of the file read. @default none */
  onProgress?: (p: ImportProgress) => void;
  /**
   * Worker threads parsing a plain (not gzipped) log in parallel; 1 reads it serially in
   * this thread; 'auto' chooses (defaultImportThreads). A gzipped log is always read
   * serially. @default 'auto'
   */
  threads?: number | 'auto';
  /** Bytes of log per range a worker parses at a time (tests force small ranges). @default 4 MiB */
  parallelChunkBytes?: number;
}

export interface ImportProgress {
  /** Bytes of the file read so far (compressed bytes for a .gz) and its size. */
  bytesRead: number;
  totalBytes: number;
  lines: number;
  requests: number;
}

export const IMPORT_DEFAULTS = { onError: 'abort', skipHint: 'use --on-error skip to skip bad rows', reorderWindowMs: 5000, threads: 'auto', parallelChunkBytes: 4 << 20 } as const;

/**
 * The smallest plain log a default import reads in parallel. The serial reader does 1–2 M
 * rows/s, and on 2 cores, where the workers share the cores with the main thread (merging
 * the ranges' rows in order, the reorder buffer, the .lbt writer), `lbsim import
 * --threads 2` measured 0.95–1.0× serial on a 77 MB CSV, 1.13–1.19× on 268 MB and
 * 1.22–1.24× on 383 MB, at ~1.4× the CPU per row (benchmarks/RESULTS.md, "parallel
 * import default", 2026-11-26).
 */
export const PARALLEL_IMPORT_MIN_BYTES = 256 << 20;

/**
 * The fewest cores on which a default import goes parallel: on 2 the workers share them
 * with the main thread and still gain above PARALLEL_IMPORT_MIN_BYTES (figures above). It
 * was 3 until 2026-11-26, from 2-core figures taken with the benchmark's workers under
 * tsx's loader, ~40% slower (benchmarks/RESULTS.md, "parallel import default").
 */
export const PARALLEL_IMPORT_MIN_CORES = 2;

/**
 * Threads of an import left to choose (`threads: 'auto'`): serial unless the log is
 * plain, at least PARALLEL_IMPORT_MIN_BYTES and the machine has PARALLEL_IMPORT_MIN_CORES;
 * then one worker per core. `--threads N` overrides it either way.
 */
export function defaultImportThreads(sizeBytes: number, gzip: boolean, cores = availableParallelism()): number {
  return !gzip && sizeBytes >= PARALLEL_IMPORT_MIN_BYTES && cores >= PARALLEL_IMPORT_MIN_CORES ? cores : 1;
}

/** Format from a file name (`.csv`, `.jsonl`/`.ndjson`, and the same with `.gz`); undefined when the name does not say. */
export function formatFromName(file: string): LogFormat | undefined {
  const name = file.toLowerCase().replace(/\.gz$/, '');
  const ext = extname(name);
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  // nginx.log, access.haproxy.log, envoy-access.log, prod_alb.log.gz ...
  const base = basename(name);
  for (const f of LOG_FORMATS) if (new RegExp(`(^|[._-])${f}([._-]|$)`).test(base)) return f;
  return undefined;
}

export async function importLog(file: string, out: string, options: ImportOptions): Promise<ImportSummary> {
  let parse: LineParser;
  try {
    parse = parserFor(options.format, options);
  } catch (e) {
    throw new LbsimError('USAGE', (e as Error).message);
  }
  const onError = options.onError ?? IMPORT_DEFAULTS.onError;
  const reorderWindowMs = options.reorderWindowMs ?? IMPORT_DEFAULTS.reorderWindowMs;
  const chunkBytes = Math.max(1, options.parallelChunkBytes ?? IMPORT_DEFAULTS.parallelChunkBytes);
  const skipHint = options.skipHint ?? IMPORT_DEFAULTS.skipHint;
  const newSink = () => new ImportSink(file, out, { onError, skipHint, reorderWindowMs, ...(options.chunkCapacity === undefined ? {} : { chunkCapacity: options.chunkCapacity }) });
  // isGzip also turns a missing file into FILE_NOT_FOUND.
  const gzip = await isGzip(file);
  const size = statSync(file).size;
  const asked = options.threads ?? IMPORT_DEFAULTS.threads;
  const threads = asked === 'auto' ? defaultImportThreads(size, gzip) : Math.max(1, Math.floor(asked));
  if (threads > 1 && !gzip && size >= 2 * chunkBytes) {
    const sink = newSink();
    const reader: ReaderOptions = {
      ...(options.work === undefined ? {} : { work: options.work }),
      ...(options.durationUnit === undefined ? {} : { durationUnit: options.durationUnit }),
      ...(options.columns === undefined ? {} : { columns: options.columns }),
    };
    const onProgress = options.onProgress;
    let done: boolean;
    try {
      // Loaded only here: piscina costs every other process ~18 ms of start-up.
      const { importInParallel } = await import('./parallel-import.ts');
      done = await importInParallel(file, size, sink, {
        format: options.format,
        reader,
        onError,
        threads,
        chunkBytes,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(onProgress === undefined ? {} : { onProgress: (bytesRead: number, lines: number) => onProgress({ bytesRead, totalBytes: size, lines, requests: sink.summary.requests }) }),
      });
      if (done) return sink.finish(options.format);
    } catch (e) {
      sink.abort();
      throw e;
    }
    // A CSV quoted field across a range boundary, or no header near the start: read it serially.
    sink.abort();
  }
  return importSerially(file, parse, newSink(), options);
}

/** Reads the log line by line in this thread (gzipped or not). */
async function importSerially(file: string, parse: LineParser, sink: ImportSink, options: ImportOptions): Promise<ImportSummary> {
  const rec = emptyRequest();
  const signal = options.signal;
  const onProgress = options.onProgress;
  const parseLine = parseIn(parse);
  let linesSeen = 0;
  try {
    sink.summary.lines = await forEachLineIn(
      file,
      (text, start, end, lineNo, bytes) => {
        linesSeen = lineNo;
        if (signal?.aborted) throw new LbsimError('CANCELLED', 'import cancelled');
        const msg = parseLine(text, start, end, rec, bytes);
        if (msg === undefined) sink.row(lineNo, rec.arrivalEpochMs, rec.workMs, rec.client, rec.route, rec.flags, rec.uri);
        else if (msg !== NO_REQUEST) sink.bad(lineNo, msg);
      },
      onProgress === undefined ? undefined : (bytesRead, totalBytes) => onProgress({ bytesRead, totalBytes, lines: linesSeen, requests: sink.summary.requests }),
    );
    const open = parse.end?.();
    if (open !== undefined) sink.bad(sink.summary.lines - open.lines + 1, open.message);
    return sink.finish(options.format);
  } catch (e) {
    sink.abort();
    throw e;
  }
}
