/**
 * A parallel import cuts a plain (not gzipped) log into byte ranges that start at a line
 * start, and a worker thread parses each range into columns. What a range yields is
 * what the serial reader yields for the same lines — same line splitting (lines.ts), same
 * parser, in the same state: a parser that learns from an early line (the CSV header,
 * the first JSON object's keys) is first shown the *primer*, the file's lines up to and
 * including that one, found by the main thread. Line numbers are counted from the
 * range's first line; the main thread adds the lines before it.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { emptyRequest, NO_REQUEST, parseIn, type LogFormat, type ReaderOptions } from './types.ts';
import { parserFor } from './parsers.ts';
import { eachCompleteLine, eachLineOfBlock, lineWithoutNewline } from './lines.ts';
import { SKIPPED_EXAMPLES } from './sink.ts';

export interface ChunkTask {
  file: string;
  /** Byte range [start, end) of the file; start is a line start, end is after a `\n` or the file's end. */
  start: number;
  end: number;
  /** The range ends the file: a last line without a newline is a line. */
  last: boolean;
  format: LogFormat;
  reader: ReaderOptions;
  /** Lines parsed first, their results dropped: the parser's state at the range's start (empty for formats without a header). */
  primer: string[];
  /** Stop at the first malformed row (onError abort: nothing after it matters). */
  stopAtFirstError: boolean;
}

/**
 * A range whose file could not be read (the user's file: gone, cut short, unreadable).
 * Returned, not thrown: an error crossing back from a worker thread loses its system-call
 * fields, and with them the difference from a worker that broke.
 */
export interface ChunkReadFailure {
  readFailed: string;
}

export interface ChunkResult {
  /** Lines in the range. */
  lines: number;
  rows: number;
  arrival: Float64Array;
  /** NaN where the log has no work. */
  work: Float64Array;
  client: Uint32Array;
  route: Uint32Array;
  uri: Uint32Array;
  flags: Uint8Array;
  /** Line of each row, counted from 1 at the range's first line. */
  line: Uint32Array;
  /** Malformed rows, and the first SKIPPED_EXAMPLES of them (line, as above, and message). */
  errors: number;
  errorLines: number[];
  errorMessages: string[];
  /** `"` characters in the range: a CSV range must start outside a quoted field (an even count before it). */
  quotes: number;
}

/** The bytes [start, end) of a file. */
export function readRange(file: string, start: number, end: number): Buffer {
  const buf = Buffer.allocUnsafe(end - start);
  const fd = openSync(file, 'r');
  try {
    let done = 0;
    while (done < buf.length) {
      const n = readSync(fd, buf, done, buf.length - done, start + done);
      if (n === 0) throw new Error(`${file}: the file ended at byte ${start + done}, before ${end} (was it truncated during the import?)`);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return buf;
}

/** How many times the byte `b` is in `bytes` (of an ASCII character: the count of that character in the text, UTF-8 never uses its byte inside another). */
function countOf(bytes: Buffer, b: number): number {
  let n = 0;
  for (let i = bytes.indexOf(b); i >= 0; i = bytes.indexOf(b, i + 1)) n++;
  return n;
}

/** Parses one range (in a worker thread). */
export function parseChunk(task: ChunkTask): ChunkResult {
  const bytes = readRange(task.file, task.start, task.end);
  /** The range's whole lines; the last range may end with one without a newline. */
  const whole = bytes.lastIndexOf(10) + 1;
  const parse = parserFor(task.format, task.reader);
  const rec = emptyRequest();
  for (const line of task.primer) parse(line, rec);
  // Rows ≤ lines ≤ newlines + 1: the columns are allocated once, at their final size or a little more.
  const capacity = countOf(bytes, 10) + 1;
  const arrival = new Float64Array(capacity);
  const work = new Float64Array(capacity);
  const client = new Uint32Array(capacity);
  const route = new Uint32Array(capacity);
  const uri = new Uint32Array(capacity);
  const flags = new Uint8Array(capacity);
  const lineOf = new Uint32Array(capacity);
  let rows = 0;
  let lines = 0;
  let errors = 0;
  const errorLines: number[] = [];
  const errorMessages: string[] = [];
  /** Thrown to stop at the first error under onError abort. */
  const STOP = {};
  const parseLine = parseIn(parse);
  const onLine = (text: string, start: number, end: number, asciiBytes: Uint8Array | undefined) => {
    lines++;
    const msg = parseLine(text, start, end, rec, asciiBytes);
    if (msg === undefined) {
      arrival[rows] = rec.arrivalEpochMs;
      work[rows] = rec.workMs;
      client[rows] = rec.client;
      route[rows] = rec.route;
      uri[rows] = rec.uri;
      flags[rows] = rec.flags;
      lineOf[rows] = lines;
      rows++;
    } else if (msg !== NO_REQUEST) bad(lines, msg);
  };
  const bad = (line: number, msg: string) => {
    errors++;
    if (errorLines.length < SKIPPED_EXAMPLES) {
      errorLines.push(line);
      errorMessages.push(msg);
    }
    if (task.stopAtFirstError) throw STOP;
  };
  try {
    eachLineOfBlock(bytes.subarray(0, whole), onLine);
    if (task.last && whole < bytes.length) lineWithoutNewline(bytes.subarray(whole), onLine);
    const open = task.last ? parse.end?.() : undefined;
    if (open !== undefined) bad(lines - open.lines + 1, open.message);
  } catch (e) {
    if (e !== STOP) throw e;
  }
  // Columns are cut to the rows read, so only those cross back to the main thread.
  const cut = <T extends Float64Array | Uint32Array | Uint8Array>(a: T): T => (rows === capacity ? a : (a.slice(0, rows) as T));
  return {
    lines,
    rows,
    arrival: cut(arrival),
    work: cut(work),
    client: cut(client),
    route: cut(route),
    uri: cut(uri),
    flags: cut(flags),
    line: cut(lineOf),
    errors,
    errorLines,
    errorMessages,
    quotes: task.format === 'csv' ? countOf(bytes, 34) : 0,
  };
}

/** Bytes looked at, at a time, to find the end of a line. */
const SCAN_BYTES = 64 * 1024;

/** The first line start at or after `from` (the byte after a `\n`), or `size` when no newline follows. */
export function lineStartAtOrAfter(fd: number, from: number, size: number): number {
  if (from <= 0) return 0;
  const buf = Buffer.allocUnsafe(SCAN_BYTES);
  // The byte before `from` may itself be the newline that makes `from` a line start.
  for (let at = from - 1; at < size; at += SCAN_BYTES) {
    const n = readSync(fd, buf, 0, Math.min(SCAN_BYTES, size - at), at);
    if (n === 0) break;
    const nl = buf.subarray(0, n).indexOf(10);
    if (nl >= 0) return at + nl + 1;
  }
  return size;
}

/** Bytes of the file's start searched for the primer. */
const PRIMER_BYTES = 1 << 20;

/**
 * The primer of a format whose parser learns from an early line: the lines up to and
 * including the one after which the parser knows its columns; [] for a format without a
 * header. `undefined` when that line is not within the first `withinBytes` bytes (then
 * the import stays serial).
 */
export function findPrimer(file: string, format: LogFormat, reader: ReaderOptions, withinBytes: number): string[] | undefined {
  const parse = parserFor(format, reader);
  if (parse.hasColumns === undefined) return [];
  const fd = openSync(file, 'r');
  let head: Buffer;
  try {
    head = Buffer.allocUnsafe(Math.min(withinBytes, PRIMER_BYTES));
    head = head.subarray(0, readSync(fd, head, 0, head.length, 0));
  } finally {
    closeSync(fd);
  }
  // Only complete lines count (the cut may split a line, or a character).
  const text = head.subarray(0, head.lastIndexOf(10) + 1).toString('utf8');
  const primer: string[] = [];
  const rec = emptyRequest();
  let found = false;
  eachCompleteLine(text, (line) => {
    if (found) return;
    primer.push(line);
    parse(line, rec);
    found = parse.hasColumns!();
  });
  return found ? primer : undefined;
}
