/**
 * CSV logs. fast-csv is the reference for CSV semantics (quoting, escaped quotes, quoted
 * newlines, its handling of leading whitespace); a row without any quote character that
 * starts with a printable ASCII character has none of those, so it takes a fast path
 * (`split(',')`, several times fast-csv's speed) and every other row is handed to
 * fast-csv's own parser. `CsvRecordSplitter` is that split; test/traffic/csv-equivalence.test.ts
 * proves it yields exactly fast-csv's rows.
 *
 * A record with an unbalanced number of quotes continues on the next line (a quoted
 * newline); `\r\n` inside a quoted field is read as `\n`. The first non-empty record is
 * the header; the field mapping is in columns.ts.
 */
import { Parser } from '@fast-csv/parse/build/src/parser/index.js';
import { ParserOptions } from '@fast-csv/parse/build/src/ParserOptions.js';
import { lineToRequest, resolveColumns, toRequest, type ColumnMap } from './columns.ts';
import { HEADER_PROBLEM, NO_REQUEST, type CsvField, type LineParser, type ParsedRequest, type ReaderOptions } from './types.ts';

const BLANK: string[] = [];

function countQuotes(s: string): number {
  let n = 0;
  let i = s.indexOf('"');
  while (i >= 0) {
    n++;
    i = s.indexOf('"', i + 1);
  }
  return n;
}

/** Lines in, CSV records out. */
export class CsvRecordSplitter {
  private readonly parser = new Parser(new ParserOptions({}));
  private pending: string | undefined;
  private pendingQuotes = 0;
  private pendingLines = 0;

  /**
   * The record this line completes: its fields, `undefined` while a quoted field runs on
   * to the next line, an empty array for a blank line (fast-csv skips those too), or
   * throws fast-csv's message for malformed quoting.
   */
  push(line: string): string[] | undefined {
    if (this.pending === undefined) {
      if (line.length === 0) return BLANK;
      // fast-csv reads a line that starts with whitespace specially (a whitespace-only first field is '', a blank-looking line no row), and strips a BOM: those lines go to it.
      const c0 = line.charCodeAt(0);
      if (c0 > 32 && c0 < 127 && line.indexOf('"') < 0) return line.split(',');
      const q = countQuotes(line);
      if ((q & 1) === 0) return this.parse(line);
      this.pending = line;
      this.pendingQuotes = q;
      this.pendingLines = 1;
      return undefined;
    }
    this.pending += `\n${line}`;
    this.pendingQuotes += countQuotes(line);
    this.pendingLines++;
    if ((this.pendingQuotes & 1) === 1) return undefined;
    const record = this.pending;
    this.pending = undefined;
    return this.parse(record);
  }

  /** No record is open: the next line starts a new one. */
  get idle(): boolean {
    return this.pending === undefined;
  }

  /** Lines of the record still open (a quoted field not closed yet); 0 when none is. */
  get openLines(): number {
    return this.pending === undefined ? 0 : this.pendingLines;
  }

  private parse(record: string): string[] {
    // As fast-csv's stream does for a complete line: the row delimiter included, more data to come.
    const { rows } = this.parser.parse(`${record}\n`, true);
    return rows[0] ?? BLANK;
  }
}

/** Most columns a row read in place may have; wider rows take the string path. */
const MAX_FIELDS = 256;

/**
 * @param fastPath read rows without quotes in place (no strings cut); false sends every
 * row through CsvRecordSplitter, for tests that compare the two. @default true
 */
export function csvParser(options: ReaderOptions = {}, fastPath = true): LineParser {
  const splitter = new CsvRecordSplitter();
  let map: ColumnMap | undefined;
  let fields: string[] = [];
  /** Fields in the header: a row with more or fewer is malformed (see width()). */
  let columns = 0;
  const starts = new Int32Array(MAX_FIELDS);
  const ends = new Int32Array(MAX_FIELDS);
  const get = (f: CsvField): string | undefined => fields[map!.index[f]];
  const parse = (line: string, out: ParsedRequest): string | undefined => {
    if (fastPath && map !== undefined && splitter.idle) {
      // The splitter's fast-path condition (see push): such a row is exactly line.split(',').
      const c0 = line.charCodeAt(0);
      if (c0 > 32 && c0 < 127 && line.indexOf('"') < 0) {
        let n = 0;
        let s = 0;
        for (;;) {
          const e = line.indexOf(',', s);
          if (n === MAX_FIELDS) break;
          starts[n] = s;
          ends[n] = e < 0 ? line.length : e;
          n++;
          if (e < 0) break;
          s = e + 1;
        }
        if (n < MAX_FIELDS) {
          if (n !== columns) return width(n);
          return lineToRequest(map, line, starts, ends, out);
        }
      }
    }
    let rec: string[] | undefined;
    try {
      rec = splitter.push(line);
    } catch (e) {
      return `bad CSV quoting: ${(e as Error).message}`;
    }
    if (rec === undefined) return NO_REQUEST;
    if (rec.length === 0) return NO_REQUEST;
    if (map === undefined) {
      const m = resolveColumns(rec, options);
      if (typeof m === 'string') return `${HEADER_PROBLEM}${m}`;
      map = m;
      columns = rec.length;
      return NO_REQUEST;
    }
    fields = rec;
    if (rec.length !== columns) return width(rec.length);
    return toRequest(map, get, out);
  };
  // A row wider than the header most often has a comma inside an unquoted field, which
  // shifts every column after it: reading it anyway would put a client in the route or a
  // route in the status. A narrower one lost fields. Either is malformed, whichever
  // columns lbsim reads.
  const width = (n: number) =>
    `expected ${columns} fields as in the header, got ${n}${n > columns ? ' (a comma inside a field that is not quoted?)' : ''}`;
  // A quote never closed would otherwise swallow the rest of the file without a word.
  const end = () => {
    const lines = splitter.openLines;
    return lines === 0 ? undefined : { message: `a quoted field opened on this line is never closed (the ${lines} lines from here to the end of the file were read as one record)`, lines };
  };
  return Object.assign(parse, { hasColumns: () => map !== undefined, end });
}
