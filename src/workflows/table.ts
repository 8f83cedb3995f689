/** Tables for the workflow summaries: aligned columns for terminals, pipes for Markdown. */

export interface Table {
  head: string[];
  rows: string[][];
  /** Columns aligned left (the rest align right). @default [0] */
  left?: number[];
}

export function textTable(t: Table): string {
  const left = new Set(t.left ?? [0]);
  const widths = t.head.map((h, c) => Math.max(h.length, ...t.rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((x, c) => (left.has(c) ? x.padEnd(widths[c]!) : x.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(t.head), ...t.rows.map(line)].join('\n');
}

export function markdownTable(t: Table): string {
  const left = new Set(t.left ?? [0]);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${t.head.map(esc).join(' | ')} |`,
    `| ${t.head.map((_, c) => (left.has(c) ? '---' : '---:')).join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** `12.3%` / `0.05%`: shares with enough digits to see small error rates. */
export function percent(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const p = x * 100;
  return `${p.toFixed(p !== 0 && Math.abs(p) < 1 ? 2 : 1)}%`;
}

/** `+12.3%` / `−4.0%`: a relative change. */
export function signedPercent(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const p = x * 100;
  return `${p >= 0 ? '+' : '−'}${Math.abs(p).toFixed(1)}%`;
}
