/**
 * Import: a text log (any format, gzipped or not) streamed through its reader, put back
 * in arrival order, with unknown work estimated, into a .lbt trace. Memory is bounded by
 * one read buffer, the reorder window and one trace chunk, whatever the log's length.
 */
import { basename, extname } from 'node:path';
import { LbsimError } from '../../errors.ts';
import { TraceWriter } from '../lbt/writer.ts';
import { RequestFlag } from '../source.ts';
import { albParser } from './alb.ts';
import { csvParser } from './csv.ts';
import { envoyParser } from './envoy.ts';
import { haproxyParser } from './haproxy.ts';
import { jsonlParser } from './jsonl.ts';
import { forEachLine } from './lines.ts';
import { nginxParser } from './nginx.ts';
import { ReorderBuffer } from './reorder.ts';
import { LOG_FORMATS, NO_REQUEST, type LineParser, type LogFormat, type ReaderOptions, emptyRequest } from './types.ts';

export interface ImportOptions extends ReaderOptions {
  format: LogFormat;
  /** What a malformed row does: stop the import, or be counted and skipped. @default 'abort' */
  onError?: 'abort' | 'skip';
  /** How far back (ms) an arrival may be behind the latest one seen and still be put in order. @default 5000 */
  reorderWindowMs?: number;
  /** Requests per .lbt chunk. @default 65536 */
  chunkCapacity?: number;
  /** Stops the import (the partial output is removed). */
  signal?: AbortSignal;
  /** Hears how far the import is, after every block of the file read. @default none */
  onProgress?: (p: ImportProgress) => void;
}

export interface ImportProgress {
  /** Bytes of the file read so far (compressed bytes for a .gz) and its size. */
  bytesRead: number;
  totalBytes: number;
  lines: number;
  requests: number;
}

export const IMPORT_DEFAULTS = { onError: 'abort', reorderWindowMs: 5000 } as const;

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

export function parserFor(format: LogFormat, options: ReaderOptions = {}): LineParser {
  switch (format) {
    case 'nginx':
      return nginxParser(options);
    case 'haproxy':
      return haproxyParser(options);
    case 'alb':
      return albParser(options);
    case 'envoy':
      return envoyParser(options);
    case 'csv':
      return csvParser(options);
    case 'jsonl':
      return jsonlParser(options);
  }
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

/** Weight of the newest known work in the running estimate used for requests without one. */
const ESTIMATE_ALPHA = 0.01;

export async function importLog(file: string, out: string, options: ImportOptions): Promise<ImportSummary> {
  let parse: LineParser;
  try {
    parse = parserFor(options.format, options);
  } catch (e) {
    throw new LbsimError('USAGE', (e as Error).message);
  }
  const onError = options.onError ?? IMPORT_DEFAULTS.onError;
  const windowMs = options.reorderWindowMs ?? IMPORT_DEFAULTS.reorderWindowMs;
  const summary: ImportSummary = { requests: 0, lines: 0, skipped: 0, skippedExamples: [], reordered: 0, estimatedWork: 0, failed: 0, originEpochMs: 0 };
  let writer: TraceWriter | undefined;
  let origin = 0;
  const reorder = new ReorderBuffer(windowMs, (arrival, work, client, route, flags) => {
    if (writer === undefined) {
      // Trace time 0 is the first arrival's whole second, so trace times read as offsets into the log.
      origin = Math.floor(arrival / 1000) * 1000;
      writer = new TraceWriter(out, { originEpochMs: origin, ...(options.chunkCapacity === undefined ? {} : { chunkCapacity: options.chunkCapacity }) });
    }
    writer.push(arrival - origin, work, client, route, flags);
  });
  const rec = emptyRequest();
  let estimate = Number.NaN;
  const bad = (lineNo: number, msg: string) => {
    const full = `${file}:${lineNo}: ${msg}`;
    if (onError === 'abort') throw new LbsimError('PARSE_ERROR', `${full}${onError === 'abort' ? ' (use --on-error skip to skip bad rows)' : ''}`);
    summary.skipped++;
    if (summary.skippedExamples.length < 5) summary.skippedExamples.push(full);
  };
  const signal = options.signal;
  const onProgress = options.onProgress;
  let linesSeen = 0;
  try {
    summary.lines = await forEachLine(file, (line, lineNo) => {
      linesSeen = lineNo;
      if (signal?.aborted) throw new LbsimError('CANCELLED', 'import cancelled');
      const msg = parse(line, rec);
      if (msg !== undefined) {
        if (msg !== NO_REQUEST) bad(lineNo, msg);
        return;
      }
      let flags = rec.flags;
      let work = rec.workMs;
      if (Number.isNaN(work)) {
        work = Number.isNaN(estimate) ? 0 : estimate;
        flags |= RequestFlag.WorkEstimated;
        summary.estimatedWork++;
      } else {
        estimate = Number.isNaN(estimate) ? work : estimate + ESTIMATE_ALPHA * (work - estimate);
      }
      if (!reorder.push(rec.arrivalEpochMs, work, rec.client, rec.route, flags)) {
        bad(lineNo, `arrival ${new Date(rec.arrivalEpochMs).toISOString()} is more than ${windowMs / 1000} s before an earlier line's (logs must be in time order within --reorder-window)`);
        return;
      }
      if (flags & RequestFlag.RecordedFailure) summary.failed++;
      summary.requests++;
    }, onProgress === undefined ? undefined : (bytesRead, totalBytes) => onProgress({ bytesRead, totalBytes, lines: linesSeen, requests: summary.requests }));
    reorder.flush();
    if (summary.requests === 0) {
      throw new LbsimError('PARSE_ERROR', `${file}: no requests found (${summary.lines === 0 ? 'the file is empty' : `${summary.lines} lines, none a ${options.format} request${summary.skipped > 0 ? `; ${summary.skipped} malformed, e.g. ${summary.skippedExamples[0]}` : ''}`})`);
    }
    (writer as TraceWriter | undefined)?.finish({ skippedRows: summary.skipped });
  } catch (e) {
    (writer as TraceWriter | undefined)?.abort();
    throw e;
  }
  summary.reordered = reorder.reordered;
  summary.originEpochMs = origin;
  return summary;
}
