/**
 * JSON lines: one object per line with the CSV field names (columns.ts), detected from
 * the first object's keys unless given. Values may be numbers or strings.
 *
 * The first object goes through JSON.parse (its keys fix the mapping). After that, a line
 * holding a flat object without escapes, its keys in the order of the line the fast path
 * learnt (json-flat.ts), has only the mapped keys' values read; any other line, and every malformed one, goes through
 * JSON.parse, so values and error messages are JSON.parse's either way.
 */
import { resolveColumns, toRequest, type ColumnMap } from './columns.ts';
import { FlatObjectReader, flatReadable } from './json-flat.ts';
import { CSV_FIELDS, NO_REQUEST, type CsvField, type LineParser, type ParsedRequest, type ReaderOptions } from './types.ts';

/**
 * @param fastPath read flat objects with json-flat.ts; false sends every line through
 * JSON.parse, for tests that compare the two. @default true
 */
export function jsonlParser(options: ReaderOptions = {}, fastPath = true): LineParser {
  let map: ColumnMap | undefined;
  let row: Record<string, unknown> = {};
  const fromRow = (f: CsvField): unknown => row[map!.names[f]!];
  // The fast path's view: the distinct mapped keys, and for each field its slot among them.
  let keys: string[] = [];
  const slot = {} as Record<CsvField, number>;
  const values: unknown[] = [];
  const fromValues = (f: CsvField): unknown => values[slot[f]];
  let flat: FlatObjectReader | undefined;
  const learn = (m: ColumnMap): void => {
    map = m;
    for (const f of CSV_FIELDS) {
      const name = m.names[f];
      if (name === undefined) continue;
      let k = keys.indexOf(name);
      if (k < 0) k = keys.push(name) - 1;
      slot[f] = k;
    }
    if (fastPath && keys.every(flatReadable)) flat = new FlatObjectReader(keys);
  };
  const parse = (line: string, out: ParsedRequest): string | undefined => {
    if (flat?.read(line, values)) return toRequest(map!, fromValues, out);
    if (line.trim().length === 0) return NO_REQUEST;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      return `not valid JSON: ${(e as Error).message}`;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'expected a JSON object';
    row = v as Record<string, unknown>;
    if (map === undefined) {
      const m = resolveColumns(Object.keys(row), options);
      if (typeof m === 'string') return m;
      learn(m);
    }
    return toRequest(map!, fromRow, out);
  };
  return Object.assign(parse, { hasColumns: () => map !== undefined });
}
