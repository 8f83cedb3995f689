/**
 * A multi-series line chart drawn with box-drawing characters (in the manner of
 * asciichart): one value per column, steps joined by ╭╮╰╯│. Later series draw over
 * earlier ones; reference lines (an SLO) sit underneath as ╌. A null value is a gap.
 */
import { Box, Text } from 'ink';
import { tint, useTheme } from '../theme.tsx';

export interface ChartSeries {
  label: string;
  values: ReadonlyArray<number | null>;
  color: string;
  /** Line glyphs, so series stay apart without colour. @default 'light' */
  style?: LineStyle;
  /** Draw a point of this character per column instead of a line (for series past the line styles). */
  marker?: string;
}

export type LineStyle = 'light' | 'heavy' | 'double';

/**
 * Looks that keep series apart without colour, in order: the three line styles, then
 * point markers, then letters. Past the last one a chart has no distinct look left, so
 * the caller leaves such series out of it and says so (`seriesLook` returns null).
 */
const LINE_LOOKS: readonly LineStyle[] = ['heavy', 'light', 'double'];
const MARKERS = ['●', '×', '○', '◆', '■', '▲', '□', '◇', ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
export const DISTINCT_LOOKS = LINE_LOOKS.length + MARKERS.length;

/** The look of series `i` (0-based) of an overlay, or null past DISTINCT_LOOKS. */
export function seriesLook(i: number): { style: LineStyle } | { marker: string } | null {
  if (i < LINE_LOOKS.length) return { style: LINE_LOOKS[i]! };
  const m = MARKERS[i - LINE_LOOKS.length];
  return m === undefined ? null : { marker: m };
}

/** flat, vertical, then the corners ╭ ╮ ╰ ╯ (up-into, down-from, down-into, up-from). */
const GLYPHS: Record<LineStyle, { flat: string; vertical: string; upTop: string; downTop: string; downBottom: string; upBottom: string }> = {
  light: { flat: '─', vertical: '│', upTop: '╭', downTop: '╮', downBottom: '╰', upBottom: '╯' },
  heavy: { flat: '━', vertical: '┃', upTop: '┏', downTop: '┓', downBottom: '┗', upBottom: '┛' },
  double: { flat: '═', vertical: '║', upTop: '╔', downTop: '╗', downBottom: '╚', upBottom: '╝' },
};

export interface ReferenceLine {
  label: string;
  value: number;
  color: string;
}

export interface LineChartProps {
  series: readonly ChartSeries[];
  /** Plot rows (the axis labels are beside them). */
  height: number;
  /** Top of the y axis; values above it are drawn at the top row. */
  yMax: number;
  formatY: (v: number) => string;
  references?: readonly ReferenceLine[];
  /** Log scale spreads milliseconds and seconds over one chart. @default 'linear' */
  scale?: 'linear' | 'log';
  /** Width of the y-axis labels. @default widest label */
  labelWidth?: number;
}

interface Cell {
  ch: string;
  color: string | undefined;
}

/** Rows spanned by a log axis: three decades below the top. */
const LOG_DECADES = 3;

export function yToRow(v: number, yMax: number, height: number, scale: 'linear' | 'log'): number {
  let f: number;
  if (yMax <= 0) f = 0;
  else if (scale === 'log') {
    const lo = yMax / 10 ** LOG_DECADES;
    f = (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / LOG_DECADES;
  } else f = v / yMax;
  f = Math.min(Math.max(f, 0), 1);
  return height - 1 - Math.round(f * (height - 1));
}

function rowToY(row: number, yMax: number, height: number, scale: 'linear' | 'log'): number {
  const f = height > 1 ? (height - 1 - row) / (height - 1) : 1;
  if (scale === 'log') return (yMax / 10 ** LOG_DECADES) * 10 ** (f * LOG_DECADES);
  return f * yMax;
}

/** The plot as rows of cells; exported for tests of the geometry. */
export function plotCells(props: LineChartProps, width: number): Cell[][] {
  const { series, height, yMax } = props;
  const scale = props.scale ?? 'linear';
  const grid: Cell[][] = Array.from({ length: height }, () => Array.from({ length: width }, () => ({ ch: ' ', color: undefined })));
  const put = (row: number, col: number, ch: string, color: string) => {
    if (row >= 0 && row < height && col >= 0 && col < width) grid[row]![col] = { ch, color };
  };
  for (const ref of props.references ?? []) {
    const row = yToRow(ref.value, yMax, height, scale);
    for (let c = 0; c < width; c++) put(row, c, '╌', ref.color);
  }
  for (const s of series) {
    if (s.marker !== undefined) {
      for (let c = 0; c < Math.min(width, s.values.length); c++) {
        const v = s.values[c];
        if (v !== null && v !== undefined) put(yToRow(v, yMax, height, scale), c, s.marker, s.color);
      }
      continue;
    }
    const g = GLYPHS[s.style ?? 'light'];
    let prev: number | null = null;
    for (let c = 0; c < Math.min(width, s.values.length); c++) {
      const v = s.values[c];
      if (v === null || v === undefined) {
        prev = null;
        continue;
      }
      const row = yToRow(v, yMax, height, scale);
      if (prev === null || prev === row) put(row, c, g.flat, s.color);
      else if (row < prev) {
        put(prev, c, g.upBottom, s.color);
        for (let r = row + 1; r < prev; r++) put(r, c, g.vertical, s.color);
        put(row, c, g.upTop, s.color);
      } else {
        put(prev, c, g.downTop, s.color);
        for (let r = prev + 1; r < row; r++) put(r, c, g.vertical, s.color);
        put(row, c, g.downBottom, s.color);
      }
      prev = row;
    }
  }
  return grid;
}

export function LineChart(props: LineChartProps & { width: number }) {
  const theme = useTheme();
  const scale = props.scale ?? 'linear';
  const { height, yMax } = props;
  // Labels on the top and bottom rows and at quarters between when the rows allow (5 rows: every row).
  const every = Math.max(1, Math.ceil((height - 1) / 4));
  const labels = Array.from({ length: height }, (_, row) => (row === 0 || row === height - 1 || row % every === 0 ? props.formatY(rowToY(row, yMax, height, scale)) : ''));
  const labelWidth = props.labelWidth ?? Math.max(...labels.map((l) => l.length));
  const plotWidth = Math.max(1, props.width - labelWidth - 1);
  const grid = plotCells(props, plotWidth);
  return (
    <Box flexDirection="column">
      {grid.map((cells, row) => (
        <Text key={row} wrap="truncate">
          <Text dimColor>{labels[row]!.padStart(labelWidth)}</Text>
          <Text dimColor>{labels[row] === '' ? '│' : '┤'}</Text>
          {segments(cells).map((seg, i) => (
            <Text key={i} color={tint(theme, seg.color)}>
              {seg.text}
            </Text>
          ))}
        </Text>
      ))}
    </Box>
  );
}

/** Runs of cells of one colour, so a row is a handful of Text nodes, not one per cell. */
export function segments(cells: readonly Cell[]): Array<{ text: string; color: string | undefined }> {
  const out: Array<{ text: string; color: string | undefined }> = [];
  for (const cell of cells) {
    const last = out[out.length - 1];
    if (last !== undefined && last.color === cell.color) last.text += cell.ch;
    else out.push({ text: cell.ch, color: cell.color });
  }
  return out;
}

interface LegendEntry {
  symbol: string;
  label: string;
  color: string;
}

function legendEntries(series: readonly ChartSeries[], references: readonly ReferenceLine[], note: string | undefined): LegendEntry[] {
  const out: LegendEntry[] = series.map((s) => ({ symbol: s.marker !== undefined ? s.marker.repeat(2) : GLYPHS[s.style ?? 'light'].flat.repeat(2), label: s.label, color: s.color }));
  for (const r of references) out.push({ symbol: '╌╌', label: r.label, color: r.color });
  if (note !== undefined) out.push({ symbol: '', label: note, color: '' });
  return out;
}

/** The legend's entries packed into lines `width` wide (an entry too wide for any line gets one of its own, cut). */
function packLegend(entries: readonly LegendEntry[], width: number): LegendEntry[][] {
  const lines: LegendEntry[][] = [];
  let used = 0;
  for (const e of entries) {
    const w = [...e.symbol].length + 1 + [...e.label].length + 2;
    const line = lines[lines.length - 1];
    if (line !== undefined && used + w - 2 <= width) {
      line.push(e);
      used += w;
    } else {
      lines.push([e]);
      used = w;
    }
  }
  return lines;
}

/** Rows the legend takes at this width, so a chart under it can take the rest. */
export function legendRows(series: readonly ChartSeries[], references: readonly ReferenceLine[] = [], width = Number.POSITIVE_INFINITY, note?: string): number {
  return Math.max(1, packLegend(legendEntries(series, references, note), width).length);
}

/** The legend: a coloured line sample (or marker) and the label of each series and reference, on as many lines as the width needs. */
export function Legend({ series, references, width = Number.POSITIVE_INFINITY, note }: { series: readonly ChartSeries[]; references?: readonly ReferenceLine[]; width?: number; note?: string }) {
  const theme = useTheme();
  const lines = packLegend(legendEntries(series, references ?? [], note), width);
  return (
    <Box flexDirection="column">
      {lines.length === 0 ? <Text> </Text> : null}
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate">
          {line.map((e, k) =>
            e.symbol === '' ? (
              <Text key={k} dimColor>
                {e.label}
              </Text>
            ) : (
              <Text key={k}>
                <Text color={tint(theme, e.color)}>{e.symbol}</Text> {e.label}
                {k < line.length - 1 ? '  ' : ''}
              </Text>
            ),
          )}
        </Text>
      ))}
    </Box>
  );
}

/** Plot rows for a chart given the rows available: 4k + 1, so the labels fall on quarters of the axis. */
export function quarterRows(available: number): number {
  if (available < 5) return Math.max(1, available);
  return 4 * Math.floor((available - 1) / 4) + 1;
}

/** Axis numbers: whole above 10, two decimals at most below. */
export function axisNumber(v: number): string {
  if (Math.abs(v) >= 1000) return `${Math.round(v / 100) / 10}k`;
  if (Math.abs(v) >= 10 || Number.isInteger(v)) return String(Math.round(v));
  return String(Math.round(v * 100) / 100);
}

/** A round top for an axis: 1, 2 or 5 times a power of ten at or above `x`. */
export function niceCeil(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  // Tops whose quarters are round: the chart labels quarters.
  for (const m of [1, 2, 4, 6, 8, 10]) if (m * p >= x - 1e-12) return m * p;
  return 10 * p;
}
