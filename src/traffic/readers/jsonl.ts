/**
 * JSON lines: one object per line with the CSV field names (columns.ts), detected from
 * the first object's keys unless given. Values may be numbers or strings.
 */
import { resolveColumns, toRequest, type ColumnMap } from './columns.ts';
import { NO_REQUEST, type CsvField, type LineParser, type ParsedRequest, type ReaderOptions } from './types.ts';

export function jsonlParser(options: ReaderOptions = {}): LineParser {
  let map: ColumnMap | undefined;
  let row: Record<string, unknown> = {};
  const get = (f: CsvField): unknown => row[map!.names[f]!];
  return (line: string, out: ParsedRequest): string | undefined => {
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
      map = m;
    }
    return toRequest(map, get, out);
  };
}
