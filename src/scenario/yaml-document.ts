/**
 * YAML (or JSON) text parsed for a file a user gave: every syntax error becomes one line
 * `FILE:LINE:COL: what`, all in one PARSE_ERROR (exit 2). Shared by scenarios, `validate`
 * and the Envoy importer, so a broken file reads the same whichever command got it.
 */
import { type Document, isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { LbsimError } from '../errors.ts';

export interface ParsedYaml {
  doc: Document;
  /** Offsets to lines, for FILE:LINE in later messages. */
  lines: LineCounter;
}

export function parseYamlFile(text: string, file: string): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const msgs = doc.errors.map((e) => {
      // linePos is only filled in with prettyErrors; the LineCounter gives it from the offset.
      const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
      return `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${e.message.split('\n')[0]}`;
    });
    throw new LbsimError('PARSE_ERROR', msgs.join('\n'));
  }
  return { doc, lines };
}

/** Line of the deepest node along `path` that exists in the YAML document. */
export function lineOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let line: number | undefined;
  const at = (n: unknown) => {
    const range = (n as { range?: [number, number, number] } | null)?.range;
    if (range) line = lines.linePos(range[0]).line;
  };
  at(node);
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      at(pair.key);
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      at(node);
    } else break;
  }
  return line;
}
