/**
 * HAProxy `option httplog` lines (HAProxy configuration manual, section 8.2.3 "HTTP log
 * format"), with or without the syslog prefix:
 *
 *   haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 \
 *     10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1"
 *
 * Timers are TR/Tw/Tc/Tr/Ta (1.9 and later) or the older Tq/Tw/Tc/Tr/Tt; both layouts
 * put the server response time Tr fourth, which is the work (`-1`: no response, the work
 * is estimated and the request flagged failed). The bracketed date (the request's, or
 * the connection accept date in the old layout) is the arrival, to the millisecond.
 * HAProxy writes it in local time with no offset: lbsim reads it as UTC, so log in UTC
 * (TZ=UTC) for wall-clock times to match. Status >= 500, a -1 status or any -1 timer
 * mark a recorded failure. srv_queue/backend_queue are the old system's queues and are
 * not replayed. Client key: the client IP; route key: the request path without query.
 */
import { RequestFlag } from '../source.ts';
import { keyOf, requestPathKey } from './keys.ts';
import { NO_REQUEST, type LineParser, type ParsedRequest, type ReaderOptions, parseDecimal } from './types.ts';

const MONTHS: Record<string, number> = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };

/** `06/Feb/2009:12:14:14.655` at `i` → epoch ms (as UTC), NaN if malformed. */
/** The last `dd/Mon/yyyy:HH:MM:` seen and its epoch ms: consecutive lines share it. */
const dateCache = { prefix: '\u0000', ms: 0 };

export function parseHaproxyDate(s: string, i: number, end: number): number {
  if (end - i < 20 || s.charCodeAt(i + 2) !== 47 || s.charCodeAt(i + 6) !== 47 || s.charCodeAt(i + 11) !== 58) return Number.NaN;
  if (s.startsWith(dateCache.prefix, i)) {
    const sec = parseDecimal(s, i + 18, end);
    return sec >= 0 && sec < 61 ? dateCache.ms + sec * 1000 : Number.NaN;
  }
  const month = MONTHS[s.slice(i + 3, i + 6)];
  if (month === undefined) return Number.NaN;
  const d = parseDecimal(s, i, i + 2);
  const y = parseDecimal(s, i + 7, i + 11);
  const h = parseDecimal(s, i + 12, i + 14);
  const mi = parseDecimal(s, i + 15, i + 17);
  const sec = parseDecimal(s, i + 18, end);
  const minute = Date.UTC(y, month - 1, d, h, mi);
  if (!Number.isFinite(minute) || !(sec >= 0 && sec < 61)) return Number.NaN;
  dateCache.prefix = s.slice(i, i + 18);
  dateCache.ms = minute;
  return minute + sec * 1000;
}

export function haproxyParser(options: ReaderOptions = {}): LineParser {
  const work = options.work ?? 'Tr';
  if (work !== 'Tr' && work !== 'Ta' && work !== 'Tt') throw new Error(`haproxy work field must be Tr or Ta, got ${work}`);
  const workTimer = work === 'Tr' ? 3 : 4;
  const timers = new Float64Array(5);
  return (line: string, out: ParsedRequest): string | undefined => {
    if (line.length === 0) return NO_REQUEST;
    const b = line.indexOf(' [');
    if (b < 0) return "expected 'client:port [date]' of option httplog";
    const cs = line.lastIndexOf(' ', b - 1) + 1;
    const colon = line.lastIndexOf(':', b);
    out.client = keyOf(line, cs, colon > cs ? colon : b);
    const close = line.indexOf(']', b);
    if (close < 0) return 'unterminated [date]';
    const arrival = parseHaproxyDate(line, b + 2, close);
    if (!Number.isFinite(arrival)) return `[date]: expected dd/Mon/yyyy:HH:MM:SS.mmm, got '${line.slice(b + 2, close)}'`;
    let p = close + 2;
    let e = line.indexOf(' ', p); // frontend
    if (e < 0) return 'line ends after the date';
    p = e + 1;
    e = line.indexOf(' ', p); // backend/server
    if (e < 0) return 'line ends after the frontend';
    p = e + 1;
    e = line.indexOf(' ', p);
    if (e < 0) return 'line ends before the timers';
    let failed = false;
    let t = 0;
    let q = p;
    if (line.charCodeAt(q) === 43) q++; // '+' marks logasap timers
    while (t < 5) {
      let slash = line.indexOf('/', q);
      if (slash < 0 || slash > e) slash = e;
      if (line.charCodeAt(q) === 43) q++;
      const v = parseDecimal(line, q, slash);
      if (!Number.isFinite(v)) return `timers: expected TR/Tw/Tc/Tr/Ta (or Tq/Tw/Tc/Tr/Tt) in ms, got '${line.slice(p, e)}'`;
      if (v < 0) failed = true;
      timers[t++] = v;
      q = slash + 1;
      if (slash === e) break;
    }
    if (t !== 5) return `timers: expected 5 timers TR/Tw/Tc/Tr/Ta, got '${line.slice(p, e)}'`;
    p = e + 1;
    e = line.indexOf(' ', p);
    if (e < 0) e = line.length;
    const status = parseDecimal(line, p, e);
    if (!Number.isFinite(status)) return `status: expected an HTTP status, got '${line.slice(p, e)}'`;
    const quote = line.indexOf('"', e);
    if (quote >= 0) {
      const end = line.lastIndexOf('"');
      const path = requestPathKey(line, quote + 1, end);
      out.route = path >= 0 ? path : keyOf(line, quote + 1, end > quote ? end : line.length);
    } else out.route = 0;
    const w = timers[workTimer]!;
    out.arrivalEpochMs = arrival;
    out.workMs = w >= 0 ? w : Number.NaN;
    out.flags = failed || status >= 500 || status < 0 ? RequestFlag.RecordedFailure : 0;
    return undefined;
  };
}
