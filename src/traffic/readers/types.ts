/**
 * What every log reader shares: a reusable output record (so parsing allocates nothing
 * per row beyond the substrings it must cut) and the result convention.
 */

export const LOG_FORMATS = ['nginx', 'haproxy', 'alb', 'envoy', 'csv', 'jsonl'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** One request as a reader sees it. Reused for every line. */
export interface ParsedRequest {
  /** When the request arrived, wall-clock epoch ms (fractions keep µs). */
  arrivalEpochMs: number;
  /** Service demand, ms; NaN when the log has none for this request (the importer estimates it and flags it). */
  workMs: number;
  client: number;
  /** Key of the request's path without its query string (keys.ts targetKeys). */
  route: number;
  /** Key of the whole request target, query string included; equal to `route` without one. */
  uri: number;
  /** RequestFlag bits. */
  flags: number;
}

export function emptyRequest(): ParsedRequest {
  return { arrivalEpochMs: 0, workMs: 0, client: 0, route: 0, uri: 0, flags: 0 };
}

/**
 * A line reader fills `out` from one line. Returns `undefined` when `out` holds a request,
 * `NO_REQUEST` for a line that carries none (blank, a header), or a message saying what was
 * wrong (the importer adds the file and line).
 */
export interface LineParser {
  (line: string, out: ParsedRequest): string | undefined;
  /**
   * The same parse of the line text[start, end) inside a decoded block, read in place:
   * formats that have it (inTextParser) skip cutting every line out of its block. The
   * importers call `parseIn`, which falls back to cutting.
   */
  inText?: ParseIn;
  /**
   * Formats whose parser learns from an early line (the CSV header, the first JSON
   * object's keys): whether it has. Later lines parse alike whichever lines came before,
   * which lets a parallel import start a parser mid-file. Absent for formats without one.
   */
  hasColumns?: () => boolean;
  /**
   * The input ended: what is wrong if it ended inside a record (a CSV quoted field never
   * closed), with how many lines that open record spans (the last of them is the file's
   * last line). Absent for formats whose records are single lines.
   */
  end?: () => { message: string; lines: number } | undefined;
}
export const NO_REQUEST = '';

/**
 * How a parser's message about the file's header (CSV) starts: the columns cannot be
 * mapped, which skipping rows does not mend, so the importer offers no way to skip it.
 */
export const HEADER_PROBLEM = 'header: ';

/**
 * A line parser reading text[start, end) in place. `bytes`, when the reader has them, are
 * the block's bytes as its text is decoded from them: ASCII, one byte per character
 * (bytes[i] === text.charCodeAt(i)). Reading a byte costs a third of a `charCodeAt` (no
 * string-kind dispatch per character), so parsers with a byte path use it; they must give
 * what the text alone gives.
 */
export type ParseIn = (text: string, start: number, end: number, out: ParsedRequest, bytes?: Uint8Array) => string | undefined;

/** A LineParser from its in-place form: a line is the range [0, length) of itself. */
export function inTextParser(parseIn: ParseIn): LineParser {
  const parse: LineParser = (line, out) => parseIn(line, 0, line.length, out);
  parse.inText = parseIn;
  return parse;
}

/** How the importers call a parser on text[start, end): in place when it can, else on the line cut out. */
export function parseIn(parse: LineParser): ParseIn {
  return parse.inText ?? ((text, start, end, out) => parse(text.slice(start, end), out));
}

export interface ReaderOptions {
  /**
   * Which recorded timing is the request's work, overriding the format's choice:
   * nginx `upstream_response_time` | `request_time`; haproxy `Tr` | `Ta`; alb
   * `target_processing_time` | `total`; envoy `upstream_service_time` | `duration`; csv
   * and jsonl a column/field name. @default the format's upstream/target time
   */
  work?: string;
  /** CSV/JSONL: unit of the duration column. @default from the header name (`_s`, `_sec`, `_seconds` → s), else ms */
  durationUnit?: 'ms' | 's';
  /** CSV/JSONL: explicit mapping of the fields to column names. @default detected from the header */
  columns?: Partial<Record<CsvField, string>>;
}

export const CSV_FIELDS = ['timestamp', 'duration', 'client', 'route', 'status', 'backend'] as const;
export type CsvField = (typeof CSV_FIELDS)[number];

/** Parses a non-negative decimal in seconds or ms from text[start, end); NaN when it is not one. Faster than Number(slice) and allocation-free. */
export function parseDecimal(text: string, start: number, end: number): number {
  let i = start;
  let neg = false;
  if (text.charCodeAt(i) === 45) {
    neg = true;
    i++;
  }
  if (i >= end) return Number.NaN;
  let intPart = 0;
  let digits = 0;
  let c = 0;
  while (i < end && (c = text.charCodeAt(i)) >= 48 && c <= 57) {
    intPart = intPart * 10 + (c - 48);
    i++;
    digits++;
  }
  let frac = 0;
  let scale = 1;
  if (i < end && c === 46) {
    i++;
    while (i < end && (c = text.charCodeAt(i)) >= 48 && c <= 57) {
      frac = frac * 10 + (c - 48);
      scale *= 10;
      i++;
      digits++;
    }
  }
  if (i !== end || digits === 0 || digits > 17) return digits > 17 && i === end ? Number(text.slice(start, end)) : Number.NaN;
  const v = intPart + frac / scale;
  return neg ? -v : v;
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

/** Epoch ms of the start of a UTC minute (no range checks: callers check the fields). */
export function minuteEpochMs(y: number, mo: number, d: number, h: number, mi: number): number {
  return (daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000;
}

/** 10 ** k, computed once: `**` with a variable exponent costs a call per timestamp (a tenth of an ALB line's parse). */
export const POW10: readonly number[] = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The minute of the last ISO time read, as the number YYYYMMDDHHMM of its digits, and its
 * epoch ms (UTC, before any offset): consecutive log lines share it. Keyed by the digits'
 * value rather than by the text (a `startsWith` of the prefix cost more than reading the
 * digits again): the ms are a function of those digits alone, so a hit is exact.
 */
const isoCache = { minute: -1, ms: 0 };

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
export function parseIsoMs(s: string, start = 0, end = s.length): number {
  if (end - start >= 20 && s.charCodeAt(start + 4) === 45 && s.charCodeAt(start + 7) === 45 && (s.charCodeAt(start + 10) === 84 || s.charCodeAt(start + 10) === 32) && s.charCodeAt(start + 13) === 58) {
    // Consecutive log lines share their date, hour and minute: reuse the last one's.
    const y = digitsAt(s, start, 4);
    const mo = digitsAt(s, start + 5, 2);
    const d = digitsAt(s, start + 8, 2);
    const h = digitsAt(s, start + 11, 2);
    const mi = digitsAt(s, start + 14, 2);
    const minute = (((y * 100 + mo) * 100 + d) * 100 + h) * 100 + mi; // NaN (never a hit) when a digit is not one
    let minuteMs: number;
    if (minute === isoCache.minute) minuteMs = isoCache.ms;
    else {
      minuteMs = minuteEpochMs(y, mo, d, h, mi);
      isoCache.minute = minute;
      isoCache.ms = minuteMs;
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
