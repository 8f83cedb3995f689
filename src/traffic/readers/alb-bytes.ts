/**
 * The ALB reader's fast path: an ordinary line of an ASCII block read from its bytes
 * (types.ts, ParseIn), giving exactly what alb.ts's reading of the text gives, to the bit
 * (test/traffic/alb-bytes.test.ts). It takes the lines of the current layout only —
 * fields 1–12 unquoted, request and user agent quoted, numbers and times in their usual
 * form — and leaves every other line (older layouts, odd or damaged fields) to alb.ts,
 * which also says what is wrong with a line.
 *
 * Why it is faster (a 556-byte line; benchmarks/RESULTS.md, "ALB bytes"):
 * - short fields (type, numbers, status codes, byte counts) end at the first byte after
 *   their digits: read while parsed, no `indexOf` call (~10 ns each) per field;
 * - the client key is hashed as its field is scanned, remembering the hash at each `:`
 *   (the key stops at the last one), and used when the field is no IPv4 address (read
 *   from the same bytes after); the route key likewise, up to the `?` or the space;
 * - numbers and the ISO time come from bytes: a typed-array read costs a third of a
 *   `charCodeAt`, whose string-kind dispatch V8 repeats for every character;
 * - long fields (ARNs, trace id, user agent) are still skipped with the text's `indexOf`
 *   (memchr), cheaper than any per-byte loop over them.
 */
import { RequestFlag } from '../source.ts';
import { FNV_OFFSET, FNV_PRIME } from './keys.ts';
import { type ParsedRequest, POW10, minuteEpochMs } from './types.ts';

const SPACE = 32;
const QUOTE = 34;

/**
 * End of the `count`-th unquoted field from p (the first space after it, or the line's
 * end n), read byte by byte: for fields of a few bytes, cheaper than an `indexOf` call
 * each. -1 when a field is missing (the line ended) or quoted: not a line of the fast path.
 */
function shortFieldsEnd(b: Uint8Array, p: number, n: number, count: number): number {
  let e = p - 1;
  for (let f = 0; f < count; f++) {
    const start = e + 1;
    if (start >= n || b[start] === QUOTE) return -1;
    e = start;
    while (e < n && b[e] !== SPACE) e++;
  }
  return e;
}

/**
 * Start of the field `count` fields after p, skipped with the text's `indexOf` (alb.ts's
 * rule: quoted to the next quote, else to the next space); -1 when a field is missing or
 * its quote is not closed.
 */
function skipFields(text: string, b: Uint8Array, p: number, n: number, count: number): number {
  for (let f = 0; f < count; f++) {
    if (p >= n) return -1;
    let e: number;
    if (b[p] === QUOTE) {
      e = text.indexOf('"', p + 1);
      if (e < 0 || e >= n) return -1;
      p = e + 2;
    } else {
      e = text.indexOf(' ', p);
      p = (e < 0 || e > n ? n : e) + 1;
    }
  }
  return p;
}

/**
 * albBytesReader(total) reads a line text[from, n) of an ASCII block from its bytes
 * into `out` and returns true, or returns false (and leaves `out` alone) for a line it
 * does not take.
 */
export function albBytesReader(total: boolean): (text: string, b: Uint8Array, from: number, n: number, out: ParsedRequest) => boolean {
  /** Values of the numbers read (a typed array: a double returned from a call V8 does not inline is boxed). */
  const num = new Float64Array(5);
  /** The minute of the last time read, YYYYMMDDHHMM, and its epoch ms (parseIsoMs's cache, by value: a hit is exact). */
  let cachedMinute = -1;
  let cachedMinuteMs = 0;

  /**
   * parseDecimal (types.ts) of the field at p, whose end is the first byte after its
   * sign, digits and point: that byte must end the field (a space, or the line's end).
   * Writes the value to num[slot] and returns the field's end, or -1 for a field
   * parseDecimal would not read as a plain decimal of at most 17 digits.
   */
  function decimalField(b: Uint8Array, p: number, n: number, slot: number): number {
    let i = p;
    let neg = false;
    if (i < n && b[i] === 45) {
      neg = true;
      i++;
    }
    let intPart = 0;
    let digits = 0;
    let c = 0;
    while (i < n && (c = b[i]!) >= 48 && c <= 57) {
      intPart = intPart * 10 + (c - 48);
      i++;
      digits++;
    }
    let frac = 0;
    let scale = 1;
    if (i < n && c === 46) {
      i++;
      while (i < n && (c = b[i]!) >= 48 && c <= 57) {
        frac = frac * 10 + (c - 48);
        scale *= 10;
        i++;
        digits++;
      }
    }
    if ((i < n && b[i] !== SPACE) || digits === 0 || digits > 17) return -1;
    const v = intPart + frac / scale;
    num[slot] = neg ? -v : v;
    return i;
  }

  /** Two digits at i, or -1. */
  function twoDigits(b: Uint8Array, i: number): number {
    const hi = b[i]! - 48;
    const lo = b[i + 1]! - 48;
    return hi >= 0 && hi <= 9 && lo >= 0 && lo <= 9 ? hi * 10 + lo : -1;
  }

  /**
   * parseIsoMs (types.ts) of a field `YYYY-MM-DDTHH:MM:SS[.f…]Z` at p, whose `Z` must
   * end the field: writes the epoch ms to num[slot] and returns the field's end; -1 for
   * any other form (an offset, a space for `T`), digits that are not, or a time out of
   * range, which alb.ts reads (or reports) from the text.
   */
  function isoField(b: Uint8Array, p: number, n: number, slot: number): number {
    if (p + 20 > n || b[p + 4] !== 45 || b[p + 7] !== 45 || b[p + 10] !== 84 || b[p + 13] !== 58 || b[p + 16] !== 58) return -1;
    const y1 = twoDigits(b, p);
    const y2 = twoDigits(b, p + 2);
    const mo = twoDigits(b, p + 5);
    const d = twoDigits(b, p + 8);
    const h = twoDigits(b, p + 11);
    const mi = twoDigits(b, p + 14);
    const se = twoDigits(b, p + 17);
    if ((y1 | y2 | mo | d | h | mi | se) < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || se > 60) return -1;
    const y = y1 * 100 + y2;
    const minute = (((y * 100 + mo) * 100 + d) * 100 + h) * 100 + mi;
    let minuteMs: number;
    if (minute === cachedMinute) minuteMs = cachedMinuteMs;
    else {
      minuteMs = minuteEpochMs(y, mo, d, h, mi);
      cachedMinute = minute;
      cachedMinuteMs = minuteMs;
    }
    let i = p + 19;
    let frac = 0;
    if (b[i] === 46 || b[i] === 44) {
      i++;
      // As parseIsoMs: the digits as an integer, divided once.
      let digits = 0;
      let c;
      while (i < n && (c = b[i]! - 48) >= 0 && c <= 9) {
        frac = frac * 10 + c;
        digits++;
        i++;
      }
      frac = digits === 0 ? 0 : (frac * 1000) / (digits < POW10.length ? POW10[digits]! : 10 ** digits);
    }
    if (i >= n || b[i] !== 90 || (i + 1 < n && b[i + 1] !== SPACE)) return -1;
    // parseIsoMs's sum, whose offset term is 0 for `Z`.
    num[slot] = minuteMs + se * 1000 + frac;
    return i + 1;
  }

  return (text: string, b: Uint8Array, from: number, n: number, out: ParsedRequest): boolean => {
    // 1 type, 2 time (read by alb.ts only for older layouts), 3 elb.
    let e = shortFieldsEnd(b, from, n, 1);
    if (e < 0) return false;
    const p = skipFields(text, b, e + 1, n, 2);
    // 4 client:port: an IPv4 address's value, else hashed up to its last `:` after the first byte (keys.ts, clientKeyOf).
    if (p < 0 || p >= n || b[p] === QUOTE) return false;
    let h = FNV_OFFSET;
    let hColon = FNV_OFFSET;
    let colon = false;
    e = p;
    for (let c; e < n && (c = b[e]!) !== SPACE; e++) {
      if (c === 58 && e > p) {
        hColon = h;
        colon = true;
      }
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    const ip = ipv4OfBytes(b, p, e);
    const client = ip >= 0 ? ip : (colon ? hColon : h) >>> 0;
    // 5 target:port.
    e = shortFieldsEnd(b, e + 1, n, 1);
    // 6–8 request, target and response processing times; 9 elb_status_code.
    for (let slot = 0; slot < 4 && e >= 0; slot++) e = decimalField(b, e + 1, n, slot);
    // 10 target_status_code, 11 received_bytes, 12 sent_bytes.
    if (e >= 0) e = shortFieldsEnd(b, e + 1, n, 3);
    if (e < 0) return false;
    // 13 "request": the route key (alb.ts): after the method, from the first `://` (if any), to the `?` or the next space.
    const rs = e + 2;
    if (rs >= n || b[rs - 1] !== QUOTE) return false;
    const re = text.indexOf('"', rs);
    if (re < 0 || re >= n) return false;
    let i = rs;
    while (i < re && b[i] !== SPACE) i++;
    h = FNV_OFFSET;
    let route: number;
    if (i < re) {
      // The closing quote at re is neither `:` nor `/`, so the look at i + 1 and i + 2 stays inside the field.
      let us = i + 1;
      let scheme = us;
      while (scheme < re && !(b[scheme] === 58 && b[scheme + 1] === 47 && b[scheme + 2] === 47)) scheme++;
      if (scheme < re) us = scheme + 3;
      let k = us;
      for (let c; k < re && (c = b[k]!) !== SPACE && c !== 63; k++) h = Math.imul(h ^ c, FNV_PRIME);
      route = h >>> 0;
      // The uri key (keys.ts targetKeys) goes on through the query, to the space.
      for (let c; k < re && (c = b[k]!) !== SPACE; k++) h = Math.imul(h ^ c, FNV_PRIME);
    } else {
      for (let k = rs; k < re; k++) h = Math.imul(h ^ b[k]!, FNV_PRIME);
      route = h >>> 0;
    }
    const uri = h >>> 0;
    // 14 "user_agent", 15 ssl_cipher, 16 ssl_protocol, 17 target_group_arn, 18 "trace_id", 19 "domain_name", 20 "chosen_cert_arn", 21 matched_rule_priority.
    const at = skipFields(text, b, re + 2, n, 8);
    // 22 request_creation_time: the arrival.
    if (at < 0 || isoField(b, at, n, 4) < 0) return false;
    const rp = num[0]!;
    const tp = num[1]!;
    const sp = num[2]!;
    const status = num[3]!;
    out.client = client;
    out.route = route;
    out.uri = uri;
    out.arrivalEpochMs = num[4]!;
    out.workMs = tp < 0 ? Number.NaN : 1000 * (total ? rp + tp + sp : tp);
    out.flags = tp < 0 || rp < 0 || !(status < 500) ? RequestFlag.RecordedFailure : 0;
    return true;
  };
}

/**
 * keys.ts's ipv4KeyOf over bytes: the value of a dotted-quad IPv4 address in b[start, end),
 * optionally followed by `:port`, or -1. The same steps, so the same answer for every
 * field (test/traffic/alb-bytes.test.ts).
 */
function ipv4OfBytes(b: Uint8Array, start: number, end: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let i = start;
  for (; i < end; i++) {
    const c = b[i]! - 48;
    if (c >= 0 && c <= 9) {
      octet = octet * 10 + c;
      if (++digits > 3 || octet > 255) return -1;
    } else if (c === -2 && digits > 0 && dots < 3) {
      value = (value << 8) | octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c === 10) break;
    else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  if (i < end) {
    if (i + 1 === end) return -1;
    for (let k = i + 1; k < end; k++) {
      const c = b[k]! - 48;
      if (!(c >= 0 && c <= 9)) return -1;
    }
  }
  return ((value << 8) | octet) >>> 0;
}
