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
import { clientKeyOf, keyOf, requestKeys } from './keys.ts';
import { NO_REQUEST, type LineParser, type ParsedRequest, type ReaderOptions, inTextParser, parseDecimal } from './types.ts';

const MONTHS: Record<string, number> = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };

/**
 * The minute of the last date read, as the values of its fields (day, month name as its
 * three character codes, year, hour, minute), and its epoch ms: consecutive lines share
 * it. Keyed by values, read again on every line, rather than by comparing the prefix text
 * (a `startsWith` cost more): the ms are a function of those values, so a hit is exact.
 */
const dateCache = { day: -1, month: -1, year: -1, hour: -1, minute: -1, ms: 0 };

/** Two or four ASCII digits at i as a number, NaN when one is not a digit. */
function digits(s: string, i: number, n: 2 | 4): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(i + k) - 48;
    if (!(c >= 0 && c <= 9)) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

/** `06/Feb/2009:12:14:14.655` at `i` → epoch ms (as UTC), NaN if malformed. */
export function parseHaproxyDate(s: string, i: number, end: number): number {
  if (end - i < 20 || s.charCodeAt(i + 2) !== 47 || s.charCodeAt(i + 6) !== 47 || s.charCodeAt(i + 11) !== 58) return Number.NaN;
  const sec = parseDecimal(s, i + 18, end);
  const d = digits(s, i, 2);
  const y = digits(s, i + 7, 4);
  const h = digits(s, i + 12, 2);
  const mi = digits(s, i + 15, 2);
  const month = (s.charCodeAt(i + 3) * 65536 + s.charCodeAt(i + 4)) * 65536 + s.charCodeAt(i + 5);
  const c = dateCache;
  if (d === c.day && month === c.month && y === c.year && h === c.hour && mi === c.minute) return sec >= 0 && sec < 61 ? c.ms + sec * 1000 : Number.NaN;
  // Fields that are not plain digits (a sign, a dot) read as parseDecimal reads them, uncached.
  const plain = d === d && y === y && h === h && mi === mi;
  const m = MONTHS[s.slice(i + 3, i + 6)];
  if (m === undefined) return Number.NaN;
  const minuteMs = plain ? Date.UTC(y, m - 1, d, h, mi) : Date.UTC(parseDecimal(s, i + 7, i + 11), m - 1, parseDecimal(s, i, i + 2), parseDecimal(s, i + 12, i + 14), parseDecimal(s, i + 15, i + 17));
  if (!Number.isFinite(minuteMs) || !(sec >= 0 && sec < 61)) return Number.NaN;
  if (plain) {
    c.day = d;
    c.month = month;
    c.year = y;
    c.hour = h;
    c.minute = mi;
    c.ms = minuteMs;
  }
  return minuteMs + sec * 1000;
}

/** The first ` [` of text[from, end) (where the space is), or -1. */
function clientDateMark(text: string, from: number, end: number): number {
  let b = text.indexOf('[', from + 1);
  while (b >= 0 && b < end && text.charCodeAt(b - 1) !== 32) b = text.indexOf('[', b + 1);
  return b >= 0 && b < end ? b - 1 : -1;
}

export function haproxyParser(options: ReaderOptions = {}): LineParser {
  const work = options.work ?? 'Tr';
  if (work !== 'Tr' && work !== 'Ta' && work !== 'Tt') throw new Error(`haproxy work field must be Tr or Ta, got ${work}`);
  const workTimer = work === 'Tr' ? 3 : 4;
  const timers = new Float64Array(5);
  // The line is text[from, n), read in place (types.ts, inTextParser): every search is bounded by n.
  return inTextParser((text: string, from: number, n: number, out: ParsedRequest): string | undefined => {
    if (n === from) return NO_REQUEST;
    const b = clientDateMark(text, from, n);
    if (b < 0) return "expected 'client:port [date]' of option httplog";
    let cs = b - 1;
    while (cs >= from && text.charCodeAt(cs) !== 32) cs--;
    cs++;
    out.client = clientKeyOf(text, cs, b);
    const close = text.indexOf(']', b);
    if (close < 0 || close >= n) return 'unterminated [date]';
    const arrival = parseHaproxyDate(text, b + 2, close);
    if (!Number.isFinite(arrival)) return `[date]: expected dd/Mon/yyyy:HH:MM:SS.mmm, got '${text.slice(b + 2, close)}'`;
    let p = close + 2;
    let e = text.indexOf(' ', p); // frontend
    if (e < 0 || e >= n) return 'line ends after the date';
    p = e + 1;
    e = text.indexOf(' ', p); // backend/server
    if (e < 0 || e >= n) return 'line ends after the frontend';
    p = e + 1;
    e = text.indexOf(' ', p);
    if (e < 0 || e >= n) return 'line ends before the timers';
    let failed = false;
    let t = 0;
    let q = p;
    if (text.charCodeAt(q) === 43) q++; // '+' marks logasap timers
    while (t < 5) {
      let slash = text.indexOf('/', q);
      if (slash < 0 || slash > e) slash = e;
      if (text.charCodeAt(q) === 43) q++;
      const v = parseDecimal(text, q, slash);
      if (!Number.isFinite(v)) return `timers: expected TR/Tw/Tc/Tr/Ta (or Tq/Tw/Tc/Tr/Tt) in ms, got '${text.slice(p, e)}'`;
      if (v < 0) failed = true;
      timers[t++] = v;
      q = slash + 1;
      if (slash === e) break;
    }
    if (t !== 5) return `timers: expected 5 timers TR/Tw/Tc/Tr/Ta, got '${text.slice(p, e)}'`;
    p = e + 1;
    e = text.indexOf(' ', p);
    if (e < 0 || e > n) e = n;
    const status = parseDecimal(text, p, e);
    if (!Number.isFinite(status)) return `status: expected an HTTP status, got '${text.slice(p, e)}'`;
    // The request is the line's last quoted field: its closing quote is the line's last, found from the end (first, so that
    // no search runs past the line when it has no quote after the status).
    let end = n - 1;
    while (end >= e && text.charCodeAt(end) !== 34) end--;
    if (end >= e) {
      const quote = text.indexOf('"', e);
      if (!requestKeys(text, quote + 1, end, out)) out.route = out.uri = keyOf(text, quote + 1, end > quote ? end : n);
    } else out.route = out.uri = 0;
    const w = timers[workTimer]!;
    out.arrivalEpochMs = arrival;
    out.workMs = w >= 0 ? w : Number.NaN;
    out.flags = failed || status >= 500 || status < 0 ? RequestFlag.RecordedFailure : 0;
    return undefined;
  });
}
