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
import { keyOf, routeKeyOf } from './keys.ts';
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
  if (index.timestamp < 0) return `no timestamp column found in the header (${header.join(', ')}); name one with --columns timestamp=NAME`;
  if (index.duration < 0) return `no duration column found in the header (${header.join(', ')}); name one with --work NAME`;
  const d = lower[index.duration]!;
  const seconds = options.durationUnit === undefined ? SECONDS_SUFFIX.test(d) || SECONDS_NAMES.has(d) : options.durationUnit === 's';
  return { index, names, durationToMs: seconds ? 1000 : 1 };
}

/** Epoch ms from a timestamp value (see the file comment); NaN when unreadable. */
export function timestampMs(v: string | number): number {
  if (typeof v === 'number') return v < 1e11 ? v * 1000 : v;
  const n = parseDecimal(v, 0, v.length);
  if (Number.isFinite(n)) return n < 1e11 ? n * 1000 : n;
  return parseIsoMs(v.trim());
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
  let duration = typeof dv === 'number' ? dv : typeof dv === 'string' ? (dv === '' || dv === '-' ? Number.NaN : Number(dv)) : Number.NaN;
  if (typeof dv === 'string' && dv !== '' && dv !== '-' && !Number.isFinite(duration)) return `${map.names.duration}: expected a number, got ${JSON.stringify(dv)}`;
  let failed = false;
  if (duration < 0) {
    // -1 is how several logs say "never answered".
    failed = true;
    duration = Number.NaN;
  }
  let status = 0;
  if (map.index.status >= 0) {
    const sv = get('status');
    status = typeof sv === 'number' ? sv : typeof sv === 'string' && sv !== '' && sv !== '-' ? Number(sv) : 0;
    if (!Number.isFinite(status)) return `${map.names.status}: expected an HTTP status, got ${JSON.stringify(sv)}`;
  }
  const cv = map.index.client >= 0 ? get('client') : undefined;
  out.client = cv === undefined || cv === null ? 0 : keyOf(String(cv));
  const rv = map.index.route >= 0 ? get('route') : undefined;
  out.route = rv === undefined || rv === null ? 0 : routeKeyOf(String(rv));
  out.arrivalEpochMs = arrival;
  out.workMs = duration * map.durationToMs;
  out.flags = failed || status >= 500 || status < 0 ? RequestFlag.RecordedFailure : 0;
  return undefined;
}
