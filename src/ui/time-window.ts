/**
 * The time axis shared by every time panel: which stretch of simulated time is shown
 * (zoom and pan), which report intervals fall under each chart column, and the labels.
 * Columns are mapped by time, not by interval index, so reports with different
 * intervals or durations line up in the comparison view.
 */
import { formatDuration, formatInstant } from '../scenario/units.ts';
import type { Report, TimeSeries } from '../report/types.ts';

/** Simulated ms from t = 0; `to` exclusive. */
export interface TimeWindow {
  from: number;
  to: number;
}

/** Narrowest window, in intervals of the report: zooming further shows nothing new. */
const MIN_INTERVALS_SHOWN = 4;

/** Every interval of every report. */
export function fullWindow(reports: readonly Report[]): TimeWindow {
  let to = 0;
  for (const r of reports) to = Math.max(to, r.timeseries.start.length * r.timeseries.interval, r.duration);
  return { from: 0, to: Math.max(to, 1) };
}

function minSpan(reports: readonly Report[]): number {
  let iv = 0;
  for (const r of reports) iv = Math.max(iv, r.timeseries.interval);
  return Math.max(iv * MIN_INTERVALS_SHOWN, 1);
}

function clampWindow(from: number, span: number, full: TimeWindow): TimeWindow {
  const s = Math.min(span, full.to - full.from);
  const f = Math.min(Math.max(from, full.from), full.to - s);
  return { from: f, to: f + s };
}

/** Halves the span around its middle. */
export function zoomIn(w: TimeWindow, reports: readonly Report[]): TimeWindow {
  const span = Math.max((w.to - w.from) / 2, minSpan(reports));
  const mid = (w.from + w.to) / 2;
  return clampWindow(mid - span / 2, span, fullWindow(reports));
}

/** Doubles the span around its middle, up to everything. */
export function zoomOut(w: TimeWindow, reports: readonly Report[]): TimeWindow {
  const span = (w.to - w.from) * 2;
  const mid = (w.from + w.to) / 2;
  return clampWindow(mid - span / 2, span, fullWindow(reports));
}

/** Moves by a quarter of the span; `direction` -1 is earlier, +1 later. */
export function pan(w: TimeWindow, direction: -1 | 1, reports: readonly Report[]): TimeWindow {
  const span = w.to - w.from;
  return clampWindow(w.from + (direction * span) / 4, span, fullWindow(reports));
}

export function isZoomed(w: TimeWindow, reports: readonly Report[]): boolean {
  const full = fullWindow(reports);
  return w.from > full.from || w.to < full.to;
}

/** For each of `columns` chart columns, the half-open range of interval indices under it (empty past the data). */
export function columnRanges(ts: TimeSeries, w: TimeWindow, columns: number): Array<[number, number]> {
  const rows = ts.start.length;
  const out: Array<[number, number]> = [];
  const step = (w.to - w.from) / columns;
  for (let c = 0; c < columns; c++) {
    const t0 = w.from + c * step;
    const t1 = t0 + step;
    const lo = Math.min(Math.floor(t0 / ts.interval + 1e-9), rows);
    const hi = Math.min(Math.max(lo + 1, Math.ceil(t1 / ts.interval - 1e-9)), rows);
    out.push([lo, hi]);
  }
  return out;
}

/**
 * The value a column shows: the largest of the report's values for the intervals under
 * it (the worst interval, never an average the report does not contain). Intervals for
 * which `skip` is true (e.g. no completed requests, so no latency) are left out; a column
 * with nothing left is null, drawn as a gap.
 */
export function columnValues(values: readonly number[], ranges: ReadonlyArray<[number, number]>, skip?: (row: number) => boolean): Array<number | null> {
  return ranges.map(([lo, hi]) => {
    let best: number | null = null;
    for (let r = lo; r < hi; r++) {
      if (skip?.(r)) continue;
      const v = values[r]!;
      if (best === null || v > best) best = v;
    }
    return best;
  });
}

/** The wall-clock origin (epoch ms) of a report, when its scenario set `start`. */
export function originOf(report: Report): number | undefined {
  return report.start === null ? undefined : Date.parse(report.start);
}

/** An instant as the time axis shows it: UTC clock time with an origin, else an offset. */
export function formatAxisTime(ms: number, origin: number | undefined, span: number): string {
  if (origin !== undefined) {
    const clock = formatInstant(ms, origin);
    // Hours and minutes suffice when ticks are minutes apart.
    return span >= 20 * 60_000 ? clock.slice(0, 5) : clock;
  }
  if (ms === 0) return '0';
  return formatDuration(ms).replace(/\.00s$/, 's');
}

/** Tick steps the time axis picks from: round seconds, minutes, hours, days. */
const TICK_STEPS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000];

/**
 * One line `width` wide with labels at round times (every 30 s, 5 min, ...), as many as
 * fit with a few spaces between them; each label starts at its instant's column.
 */
export function axisLine(w: TimeWindow, width: number, origin: number | undefined): string {
  const span = w.to - w.from;
  let widest = 0;
  for (let k = 0; k <= 8; k++) widest = Math.max(widest, formatAxisTime(w.from + (k / 8) * span, origin, span).length);
  const most = Math.max(1, Math.floor(width / (widest + 4)));
  const step = TICK_STEPS_MS.find((s) => span / s <= most) ?? span;
  const cells = Array.from({ length: width }, () => ' ');
  let free = 0;
  for (let t = Math.ceil(w.from / step - 1e-9) * step; t <= w.to + 1e-9; t += step) {
    const label = formatAxisTime(t, origin, span);
    const col = Math.round(((t - w.from) / span) * width);
    // Labels near the right edge shift left; one that would overlap its neighbour is left out.
    const at = Math.min(col, width - label.length);
    if (at < free) continue;
    for (let i = 0; i < label.length; i++) cells[at + i] = label[i]!;
    free = at + label.length + 2;
  }
  return cells.join('');
}
