/**
 * Where parsed rows go, in line order, whoever parsed them (the serial reader or the
 * chunks of a parallel import): unknown work estimated, the reorder buffer, the .lbt
 * writer, and the summary's counts. Malformed rows stop the import or are counted.
 */
import { LbsimError } from '../../errors.ts';
import { TraceWriter } from '../lbt/writer.ts';
import { RequestFlag } from '../source.ts';
import { ReorderBuffer } from './reorder.ts';
import { HEADER_PROBLEM } from './types.ts';

export interface ImportSummary {
  requests: number;
  lines: number;
  /** Malformed rows skipped under onError 'skip'. */
  skipped: number;
  /** The first few skip messages (`FILE:LINE: what`). */
  skippedExamples: string[];
  /** Requests that arrived out of order in the log and were put back in order. */
  reordered: number;
  /** Requests whose work was estimated (the log had no upstream time for them). */
  estimatedWork: number;
  /** Requests flagged as failed in the log. */
  failed: number;
  originEpochMs: number;
}

/** Skip messages kept as examples in the summary. */
export const SKIPPED_EXAMPLES = 5;

/** Weight of the newest known work in the running estimate used for requests without one. */
const ESTIMATE_ALPHA = 0.01;

export interface SinkOptions {
  onError: 'abort' | 'skip';
  /** How to skip malformed rows where this import was asked for (a flag, a scenario key), added to a row's error under 'abort'. */
  skipHint: string;
  reorderWindowMs: number;
  chunkCapacity?: number;
}

export class ImportSink {
  readonly summary: ImportSummary = { requests: 0, lines: 0, skipped: 0, skippedExamples: [], reordered: 0, estimatedWork: 0, failed: 0, originEpochMs: 0 };
  private writer: TraceWriter | undefined;
  private origin = 0;
  private estimate = Number.NaN;
  private readonly reorder: ReorderBuffer;

  constructor(
    private readonly file: string,
    private readonly out: string,
    private readonly options: SinkOptions,
  ) {
    this.reorder = new ReorderBuffer(options.reorderWindowMs, (arrival, work, client, route, flags, uri) => {
      let writer = this.writer;
      if (writer === undefined) {
        // Trace time 0 is the first arrival's whole second, so trace times read as offsets into the log.
        this.origin = Math.floor(arrival / 1000) * 1000;
        writer = this.writer = new TraceWriter(this.out, { originEpochMs: this.origin, ...(this.options.chunkCapacity === undefined ? {} : { chunkCapacity: this.options.chunkCapacity }) });
      }
      writer.push(arrival - this.origin, work, client, route, flags, uri);
    });
  }

  /** A request read from line `lineNo`; `workMs` NaN when the log has none; `uri` the key of its whole target (ParsedRequest.uri). */
  row(lineNo: number, arrival: number, workMs: number, client: number, route: number, flags: number, uri: number): void {
    const s = this.summary;
    let work = workMs;
    if (Number.isNaN(work)) {
      work = Number.isNaN(this.estimate) ? 0 : this.estimate;
      flags |= RequestFlag.WorkEstimated;
      s.estimatedWork++;
    } else {
      this.estimate = Number.isNaN(this.estimate) ? work : this.estimate + ESTIMATE_ALPHA * (work - this.estimate);
    }
    if (!this.reorder.push(arrival, work, client, route, flags, uri)) {
      this.bad(lineNo, `arrival ${new Date(arrival).toISOString()} is more than ${this.options.reorderWindowMs / 1000} s before an earlier line's (logs must be in time order within --reorder-window)`);
      return;
    }
    if (flags & RequestFlag.RecordedFailure) s.failed++;
    s.requests++;
  }

  /** A malformed row: throws under 'abort', else counts it (and keeps the first few messages). */
  bad(lineNo: number, msg: string): void {
    const full = `${this.file}:${lineNo}: ${msg}`;
    if (this.options.onError === 'abort') throw new LbsimError('PARSE_ERROR', msg.startsWith(HEADER_PROBLEM) ? full : `${full} (${this.options.skipHint})`);
    this.summary.skipped++;
    if (this.summary.skippedExamples.length < SKIPPED_EXAMPLES) this.summary.skippedExamples.push(full);
  }

  /** Counts `n` malformed rows whose messages cannot be examples any more (SKIPPED_EXAMPLES earlier ones were kept). */
  skipMore(n: number): void {
    if (this.options.onError === 'abort' && n > 0) throw new Error('skipMore under onError abort');
    this.summary.skipped += n;
  }

  /** Releases the requests still held, writes the trace and names it. Throws when the log held no request. */
  finish(format: string): ImportSummary {
    const s = this.summary;
    this.reorder.flush();
    if (s.requests === 0) {
      throw new LbsimError('PARSE_ERROR', `${this.file}: no requests found (${s.lines === 0 ? 'the file is empty' : `${s.lines} lines, none a ${format} request${s.skipped > 0 ? `; ${s.skipped} malformed, e.g. ${s.skippedExamples[0]}` : ''}`})`);
    }
    this.writer?.finish({ skippedRows: s.skipped });
    s.reordered = this.reorder.reordered;
    s.originEpochMs = this.origin;
    return s;
  }

  /** Removes the partial output. */
  abort(): void {
    this.writer?.abort();
  }
}
