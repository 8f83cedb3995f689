/**
 * The HAProxy and ALB line parsers, and the helpers they used, as they were at commit
 * d414355 (before they read lines in place): the reference the faster parsers must agree
 * with, line for line and message for message (test/traffic/parsers-v1.test.ts). Frozen:
 * do not "fix" this file; its behaviour is the specification. One deliberate change since:
 * client keys version 2 (src/traffic/readers/keys.ts), a dotted-quad IPv4 client keys to
 * its 32-bit value (ipv4Key below, a regex: a second, independent reading of the rule).
 */
import { RequestFlag } from '../../../src/traffic/source.ts';
import { keyOf } from '../../../src/traffic/readers/keys.ts';
import { NO_REQUEST, type ParsedRequest, type ReaderOptions, parseDecimal } from '../../../src/traffic/readers/types.ts';

type LineParserV1 = (line: string, out: ParsedRequest) => string | undefined;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?::\d+)?$/;
/** The client `address[:port]` field's IPv4 value, else `hashed` (the key of the address as v1 took it). */
function ipv4Key(field: string, hashed: number): number {
  const m = IPV4.exec(field);
  if (m === null) return hashed;
  const o = m.slice(1, 5).map(Number);
  return o.every((x) => x <= 255) ? ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0 : hashed;
}

function routeKeyOf(target: string, start = 0, end = target.length): number {
  const q = target.indexOf('?', start);
  return keyOf(target, start, q >= 0 && q < end ? q : end);
}

function requestPathKey(line: string, from: number, close: number): number {
  const sp1 = line.indexOf(' ', from);
  if (sp1 < 0 || sp1 >= close) return -1;
  const sp2 = line.indexOf(' ', sp1 + 1);
  return routeKeyOf(line, sp1 + 1, sp2 > 0 && sp2 < close ? sp2 : close);
}

/** Days from 1970-01-01 to year-month-day (proleptic Gregorian); Howard Hinnant's days_from_civil. */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** 10 ** k, computed once: `**` with a variable exponent costs a call per timestamp (a tenth of an ALB line's parse). */
const POW10: readonly number[] = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** The last `YYYY-MM-DDTHH:MM:` seen and its epoch ms (UTC, before any offset). */
const isoCache = { prefix: '\u0000', ms: 0 };

function digitsAt(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(i + k) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

/**
 * ISO-8601 date-time to epoch ms keeping sub-millisecond digits (Date.parse drops them).
 * Fast path for `YYYY-MM-DDTHH:MM:SS[.f…](Z|±HH:MM)`; anything else goes to Date.parse.
 */
export function parseIsoMsV1(s: string, start = 0, end = s.length): number {
  if (end - start >= 20 && s.charCodeAt(start + 4) === 45 && s.charCodeAt(start + 7) === 45 && (s.charCodeAt(start + 10) === 84 || s.charCodeAt(start + 10) === 32) && s.charCodeAt(start + 13) === 58) {
    // Consecutive log lines share their date, hour and minute: reuse the last one's.
    let minuteMs: number;
    let mo = 1;
    let d = 1;
    let h = 0;
    let mi = 0;
    if (s.startsWith(isoCache.prefix, start)) minuteMs = isoCache.ms;
    else {
      const y = digitsAt(s, start, 4);
      mo = digitsAt(s, start + 5, 2);
      d = digitsAt(s, start + 8, 2);
      h = digitsAt(s, start + 11, 2);
      mi = digitsAt(s, start + 14, 2);
      minuteMs = (daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000;
      if (mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 24 && mi <= 59) {
        isoCache.prefix = s.slice(start, start + 17);
        isoCache.ms = minuteMs;
      }
    }
    const se = digitsAt(s, start + 17, 2);
    let i = start + 19;
    let frac = 0;
    if (s.charCodeAt(i) === 46 || s.charCodeAt(i) === 44) {
      i++;
      // Digits accumulate as an integer and divide once, so 0.123456 s is exactly 123.456 ms as a double can be.
      let digits = 0;
      let c;
      while (i < end && (c = s.charCodeAt(i) - 48) >= 0 && c <= 9) {
        frac = frac * 10 + c;
        digits++;
        i++;
      }
      frac = digits === 0 ? 0 : (frac * 1000) / (digits < POW10.length ? POW10[digits]! : 10 ** digits);
    }
    let offsetMin = 0;
    const z = s.charCodeAt(i);
    if (z === 90 && i + 1 === end) offsetMin = 0;
    else if ((z === 43 || z === 45) && end - i === 6 && s.charCodeAt(i + 3) === 58) {
      offsetMin = (z === 45 ? -1 : 1) * (digitsAt(s, i + 1, 2) * 60 + digitsAt(s, i + 4, 2));
    } else return Date.parse(s.slice(start, end));
    const ms = minuteMs + se * 1000 + frac - offsetMin * 60000;
    return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 24 && mi <= 59 && se <= 60 ? ms : Number.NaN;
  }
  return Date.parse(s.slice(start, end));
}

const FIELDS = 22;

export function albParserV1(options: ReaderOptions = {}): LineParserV1 {
  const work = options.work ?? 'target_processing_time';
  if (work !== 'target_processing_time' && work !== 'total') throw new Error(`alb work field must be target_processing_time or total, got ${work}`);
  const total = work === 'total';
  const starts = new Int32Array(FIELDS);
  const ends = new Int32Array(FIELDS);
  return (line: string, out: ParsedRequest): string | undefined => {
    if (line.length === 0) return NO_REQUEST;
    let p = 0;
    let f = 0;
    const n = line.length;
    while (f < FIELDS && p < n) {
      let e: number;
      if (line.charCodeAt(p) === 34) {
        e = line.indexOf('"', p + 1);
        if (e < 0) return `field ${f + 1}: unterminated quote`;
        starts[f] = p + 1;
        ends[f] = e;
        e++;
      } else {
        e = line.indexOf(' ', p);
        if (e < 0) e = n;
        starts[f] = p;
        ends[f] = e;
      }
      f++;
      p = e + 1;
    }
    if (f < 13) return `expected at least 13 space-separated fields of an ALB log entry, got ${f}`;
    const rp = parseDecimal(line, starts[5]!, ends[5]!);
    const tp = parseDecimal(line, starts[6]!, ends[6]!);
    const sp = parseDecimal(line, starts[7]!, ends[7]!);
    if (!Number.isFinite(rp) || !Number.isFinite(tp) || !Number.isFinite(sp)) {
      return `processing times: expected seconds or -1, got '${line.slice(starts[5]!, ends[7]!)}'`;
    }
    let arrival: number;
    if (f >= FIELDS) {
      arrival = parseIsoMsV1(line, starts[21]!, ends[21]!);
      if (!Number.isFinite(arrival)) return `request_creation_time: expected an ISO-8601 time, got '${line.slice(starts[21]!, ends[21]!)}'`;
    } else {
      const sent = parseIsoMsV1(line, starts[1]!, ends[1]!);
      if (!Number.isFinite(sent)) return `time: expected an ISO-8601 time, got '${line.slice(starts[1]!, ends[1]!)}'`;
      arrival = sent - 1000 * (Math.max(rp, 0) + Math.max(tp, 0) + Math.max(sp, 0));
    }
    const status = parseDecimal(line, starts[8]!, ends[8]!);
    const failed = tp < 0 || rp < 0 || !(status < 500);
    const cs = starts[3]!;
    const colon = line.lastIndexOf(':', ends[3]!);
    out.client = ipv4Key(line.slice(cs, ends[3]!), keyOf(line, cs, colon > cs ? colon : ends[3]!));
    // request: "METHOD URL PROTOCOL"; the URL is absolute (scheme://host:port/path).
    const rs = starts[12]!;
    const re = ends[12]!;
    const sp1 = line.indexOf(' ', rs);
    if (sp1 > 0 && sp1 < re) {
      let us = sp1 + 1;
      const scheme = line.indexOf('://', us);
      if (scheme > 0 && scheme < re) us = scheme + 3;
      const sp2 = line.indexOf(' ', us);
      out.route = routeKeyOf(line, us, sp2 > 0 && sp2 < re ? sp2 : re);
    } else out.route = keyOf(line, rs, re);
    out.arrivalEpochMs = arrival;
    out.workMs = tp < 0 ? Number.NaN : 1000 * (total ? rp + tp + sp : tp);
    out.flags = failed ? RequestFlag.RecordedFailure : 0;
    return undefined;
  };
}

const MONTHS: Record<string, number> = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };

/** `06/Feb/2009:12:14:14.655` at `i` → epoch ms (as UTC), NaN if malformed. */
/** The last `dd/Mon/yyyy:HH:MM:` seen and its epoch ms: consecutive lines share it. */
const dateCache = { prefix: '\u0000', ms: 0 };

export function parseHaproxyDateV1(s: string, i: number, end: number): number {
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

export function haproxyParserV1(options: ReaderOptions = {}): LineParserV1 {
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
    out.client = ipv4Key(line.slice(cs, b), keyOf(line, cs, colon > cs ? colon : b));
    const close = line.indexOf(']', b);
    if (close < 0) return 'unterminated [date]';
    const arrival = parseHaproxyDateV1(line, b + 2, close);
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
