/**
 * The field mapping shared by CSV and JSON lines: which column holds the timestamp,
 * duration, client, route, status and backend, detected from common header names unless
 * the user names them, and how their values become a request.
 *
 * Timestamps: ISO-8601 (`2024-04-15T10:00:00.123Z`, µs kept), or a number: epoch seconds
 * below 1e11 (that is, before year 5138), epoch milliseconds above. Durations: ms unless
 * the header says seconds (`_s`, `_sec`, `_secs`, `_seconds`, or nginx-style
 * `request_time`/`upstream_response_time`) or `durationUnit: s` is given.
 */
import { RequestFlag } from '../source.ts';
import { clientIdKeyOf, targetKeys } from './keys.ts';
import { CSV_FIELDS, type CsvField, type ParsedRequest, type ReaderOptions, parseDecimal, parseIsoMs } from './types.ts';

/** Header names recognised for each field, in order of preference (compared lower-case). */
export const HEADER_NAMES: Record<CsvField, readonly string[]> = {
  timestamp: ['timestamp', 'time', 'ts', 'arrival', 'start', 'start_time', 'started_at', 'request_creation_time', 'datetime', 'date', 'msec', '@timestamp'],
  duration: ['duration', 'duration_ms', 'work', 'work_ms', 'service_time', 'service_time_ms', 'upstream_response_time', 'target_processing_time', 'latency', 'latency_ms', 'response_time', 'response_time_ms', 'elapsed', 'elapsed_ms', 'request_time', 'duration_s', 'duration_sec', 'duration_seconds', 'latency_s'],
  client: ['client', 'client_id', 'client_ip', 'clientip', 'ip', 'remote_addr', 'user', 'user_id', 'session', 'session_id'],
  route: ['route', 'path', 'uri', 'url', 'endpoint', 'request_uri', 'request_path'],
  status: ['status', 'status_code', 'code', 'http_status', 'response_code', 'elb_status_code'],
  backend: ['backend', 'server', 'upstream', 'upstream_addr', 'target', 'host'],
};

const SECONDS_SUFFIX = /(_s|_sec|_secs|_seconds)$/;
const SECONDS_NAMES = new Set(['request_time', 'upstream_response_time', 'target_processing_time']);

export interface ColumnMap {
  /** Index (CSV) of each field; -1 when absent. */
  index: Record<CsvField, number>;
  names: Record<CsvField, string | undefined>;
  /** Multiplier from the duration column's unit to ms. */
  durationToMs: number;
}

/** Maps header names to fields. Returns an error message when a required field (timestamp, duration) cannot be found. */
export function resolveColumns(header: readonly string[], options: ReaderOptions): ColumnMap | string {
  const lower = header.map((h) => h.trim().toLowerCase());
  const index = {} as Record<CsvField, number>;
  const names = {} as Record<CsvField, string | undefined>;
  for (const field of CSV_FIELDS) {
    const wanted = field === 'duration' && options.work !== undefined ? options.work : options.columns?.[field];
    let i = -1;
    if (wanted !== undefined) {
      i = lower.indexOf(wanted.toLowerCase());
      if (i < 0) return `column '${wanted}' for ${field} is not in the header (${header.join(', ')})`;
    } else {
      for (const name of HEADER_NAMES[field]) {
        i = lower.indexOf(name);
        if (i >= 0) break;
      }
    }
    index[field] = i;
    names[field] = i >= 0 ? header[i] : undefined;
  }
  if (index.timestamp < 0) return `no timestamp column found in the header (${header.join(', ')}); name one with --columns timestamp=NAME (in a scenario: traffic.columns: { timestamp: NAME })`;
  if (index.duration < 0) return `no duration column found in the header (${header.join(', ')}); name one with --work NAME (in a scenario: traffic.work: NAME)`;
  const d = lower[index.duration]!;
  const seconds = options.durationUnit === undefined ? SECONDS_SUFFIX.test(d) || SECONDS_NAMES.has(d) : options.durationUnit === 's';
  return { index, names, durationToMs: seconds ? 1000 : 1 };
}

/** A number in text[start, end): the allocation-free decimal parser, or Number() for other forms (1e3). Both CSV paths use it, so they agree to the bit. */
export function numberOf(text: string, start: number, end: number): number {
  const n = parseDecimal(text, start, end);
  if (!Number.isNaN(n) || start === end) return n;
  const x = Number(text.slice(start, end));
  return text.charCodeAt(start) <= 32 || text.charCodeAt(end - 1) <= 32 ? Number.NaN : x;
}

/** Epoch ms from a timestamp in text[start, end) (see the file comment); NaN when unreadable. */
export function timestampIn(text: string, start: number, end: number): number {
  while (start < end && text.charCodeAt(start) === 32) start++;
  while (end > start && text.charCodeAt(end - 1) === 32) end--;
  const n = parseDecimal(text, start, end);
  if (Number.isFinite(n)) return n < 1e11 ? n * 1000 : n;
  return parseIsoMs(text, start, end);
}

/** Epoch ms from a timestamp value (see the file comment); NaN when unreadable. */
export function timestampMs(v: string | number): number {
  if (typeof v === 'number') return v < 1e11 ? v * 1000 : v;
  return timestampIn(v, 0, v.length);
}

/**
 * -1 is how several logs say "never answered" (no upstream time: a failure, its work
 * estimated). Any other negative duration is no time at all, most likely a broken export:
 * the row is malformed (skippable like any other), not silently a failure.
 */
function negativeDuration(map: ColumnMap, value: unknown): string {
  return `${map.names.duration}: expected a duration ≥ 0, or -1 for a request never answered, got ${JSON.stringify(value)}`;
}

/**
 * toRequest for a CSV row read in place: fields are text[starts[i], ends[i]) of `line`, no
 * strings cut. Same results as toRequest on the same fields (test/traffic/csv-equivalence).
 */
export function lineToRequest(map: ColumnMap, line: string, starts: Int32Array, ends: Int32Array, out: ParsedRequest): string | undefined {
  const ti = map.index.timestamp;
  const arrival = timestampIn(line, starts[ti]!, ends[ti]!);
  if (!Number.isFinite(arrival)) return `${map.names.timestamp}: expected an ISO-8601 time or epoch seconds/ms, got ${JSON.stringify(line.slice(starts[ti]!, ends[ti]!))}`;
  const di = map.index.duration;
  const ds = starts[di]!;
  const de = ends[di]!;
  let duration = Number.NaN;
  if (!(de === ds || (de - ds === 1 && line.charCodeAt(ds) === 45))) {
    duration = numberOf(line, ds, de);
    if (!Number.isFinite(duration)) return `${map.names.duration}: expected a number, got ${JSON.stringify(line.slice(ds, de))}`;
  }
  let failed = false;
  if (duration < 0) {
    if (duration !== -1) return negativeDuration(map, line.slice(ds, de));
    failed = true;
    duration = Number.NaN;
  }
  let status = 0;
  const si = map.index.status;
  if (si >= 0) {
    const ss = starts[si]!;
    const se = ends[si]!;
    if (!(se === ss || (se - ss === 1 && line.charCodeAt(ss) === 45))) {
      status = numberOf(line, ss, se);
      if (!Number.isFinite(status)) return `${map.names.status}: expected an HTTP status, got ${JSON.stringify(line.slice(ss, se))}`;
    }
  }
  const ci = map.index.client;
  out.client = ci >= 0 ? clientIdKeyOf(line, starts[ci]!, ends[ci]!) : 0;
  const ri = map.index.route;
  if (ri >= 0) targetKeys(line, starts[ri]!, ends[ri]!, out);
  else out.route = out.uri = 0;
  out.arrivalEpochMs = arrival;
  out.workMs = duration * map.durationToMs;
  out.flags = failed || status >= 500 || status < 0 ? RequestFlag.RecordedFailure : 0;
  return undefined;
}

/**
 * Fills `out` from field values (strings from CSV, anything from JSON). Returns an error
 * message naming the field, or undefined.
 */
export function toRequest(map: ColumnMap, get: (i: CsvField) => unknown, out: ParsedRequest): string | undefined {
  const ts = get('timestamp');
  const arrival = typeof ts === 'number' || typeof ts === 'string' ? timestampMs(ts) : Number.NaN;
  if (!Number.isFinite(arrival)) return `${map.names.timestamp}: expected an ISO-8601 time or epoch seconds/ms, got ${JSON.stringify(ts)}`;
  const dv = get('duration');
  let duration = typeof dv === 'number' ? dv : typeof dv === 'string' ? (dv === '' || dv === '-' ? Number.NaN : numberOf(dv, 0, dv.length)) : Number.NaN;
  if (typeof dv === 'string' && dv !== '' && dv !== '-' && !Number.isFinite(duration)) return `${map.names.duration}: expected a number, got ${JSON.stringify(dv)}`;
  let failed = false;
  if (duration < 0) {
    if (duration !== -1) return negativeDuration(map, dv);
    failed = true;
    duration = Number.NaN;
  }
  let status = 0;
  if (map.index.status >= 0) {
    const sv = get('status');
    status = typeof sv === 'number' ? sv : typeof sv === 'string' && sv !== '' && sv !== '-' ? numberOf(sv, 0, sv.length) : 0;
    if (!Number.isFinite(status)) return `${map.names.status}: expected an HTTP status, got ${JSON.stringify(sv)}`;
  }
  const cv = map.index.client >= 0 ? get('client') : undefined;
  out.client = cv === undefined || cv === null ? 0 : clientIdKeyOf(String(cv));
  const rv = map.index.route >= 0 ? get('route') : undefined;
  if (rv === undefined || rv === null) out.route = out.uri = 0;
  else {
    const text = String(rv);
    targetKeys(text, 0, text.length, out);
  }
  out.arrivalEpochMs = arrival;
  out.workMs = duration * map.durationToMs;
  out.flags = failed || status >= 500 || status < 0 ? RequestFlag.RecordedFailure : 0;
  return undefined;
}
