/**
 * A finished run's (or window's) raw statistics, detached from the engine: totals and the
 * per-interval rows. Windows of one run merge by adding totals and concatenating rows;
 * replications merge by adding. Encodable for worker threads and other machines.
 */
import type { Simulation } from '../engine/simulation.ts';
import { BACKEND_COLUMNS, type BackendColumn, INTERVAL_COLUMNS, type IntervalColumn } from './columns.ts';
import { instantUs } from './recorder.ts';
import { type EncodedTotals, Totals } from './totals.ts';


export interface RunMetrics {
  backends: number;
  intervalMs: number;
  warmupMs: number;
  /** Absolute index of the interval in row 0. */
  firstInterval: number;
  /** Where the run ends: its last event (or the cut-off at duration + timeout); a window's end for a window. */
  endMs: number;
  /** Time of the last event processed; -Infinity if there was none. */
  lastEventMs: number;
  totals: Totals;
  /** One value per row. */
  intervals: Record<IntervalColumn, Float64Array>;
  /** `backends` values per row. */
  backendIntervals: Record<BackendColumn, Float64Array>;
}

export type EncodedRunMetrics = Omit<RunMetrics, 'totals'> & { totals: EncodedTotals };

/** Takes the metrics of a finished simulation (copies; the simulation can be dropped). */
export function collectMetrics(sim: Simulation): RunMetrics {
  const rec = sim.recorder;
  const rows = rec.columns.intervals.arrivals.rows;
  const intervals = {} as Record<IntervalColumn, Float64Array>;
  for (const c of INTERVAL_COLUMNS) intervals[c] = rec.columns.intervals[c].data.slice(0, rows);
  const backendIntervals = {} as Record<BackendColumn, Float64Array>;
  for (const c of BACKEND_COLUMNS) backendIntervals[c] = rec.columns.backendIntervals[c].data.slice(0, rows * rec.B);
  return {
    backends: rec.B,
    intervalMs: rec.intervalUs / 1000,
    warmupMs: rec.warmupUs / 1000,
    firstInterval: rec.firstInterval,
    endMs: sim.now,
    lastEventMs: sim.lastEventMs,
    totals: rec.totals,
    intervals,
    backendIntervals,
  };
}

export function rowCount(m: RunMetrics): number {
  return m.intervals.arrivals.length;
}

/**
 * Merges the metrics of consecutive windows of one run, in time order: rows concatenate
 * (each window holds the intervals of its own events), totals add.
 */
export function concatWindows(parts: readonly RunMetrics[]): RunMetrics {
  const first = parts[0]!;
  let expected = first.firstInterval;
  for (const p of parts) {
    if (p.firstInterval !== expected) throw new Error(`window metrics are not contiguous: interval ${p.firstInterval} follows ${expected - 1}`);
    expected += rowCount(p);
  }
  const totals = new Totals(first.backends);
  for (const p of parts) totals.add(p.totals);
  const cat = (arrays: Float64Array[]) => {
    const out = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
    let off = 0;
    for (const a of arrays) {
      out.set(a, off);
      off += a.length;
    }
    return out;
  };
  const intervals = {} as Record<IntervalColumn, Float64Array>;
  for (const c of INTERVAL_COLUMNS) intervals[c] = cat(parts.map((p) => p.intervals[c]));
  const backendIntervals = {} as Record<BackendColumn, Float64Array>;
  for (const c of BACKEND_COLUMNS) backendIntervals[c] = cat(parts.map((p) => p.backendIntervals[c]));
  // The run ends at its last event, wherever that fell: windows after it (traffic that
  // ended early) hold only empty rows, which the single run never opened.
  const lastEventMs = Math.max(...parts.map((p) => p.lastEventMs));
  const endMs = Number.isFinite(lastEventMs) ? lastEventMs : first.endMs;
  const rows = Math.floor(instantUs(endMs) / Math.round(first.intervalMs * 1000)) + 1 - first.firstInterval;
  const merged: RunMetrics = { ...first, endMs, lastEventMs, totals, intervals, backendIntervals };
  return rows < rowCount(merged) ? truncateRows(merged, rows) : merged;
}

function truncateRows(m: RunMetrics, rows: number): RunMetrics {
  const intervals = {} as Record<IntervalColumn, Float64Array>;
  for (const c of INTERVAL_COLUMNS) intervals[c] = m.intervals[c].slice(0, rows);
  const backendIntervals = {} as Record<BackendColumn, Float64Array>;
  for (const c of BACKEND_COLUMNS) backendIntervals[c] = m.backendIntervals[c].slice(0, rows * m.backends);
  return { ...m, intervals, backendIntervals };
}

export function encodeMetrics(m: RunMetrics): EncodedRunMetrics {
  return { ...m, totals: m.totals.encode() };
}

export function decodeMetrics(e: EncodedRunMetrics): RunMetrics {
  return { ...e, totals: Totals.decode(e.totals) };
}

/** The rows from `fromRow` on (a window's tail after a splice point). */
export function sliceRows(m: RunMetrics, fromRow: number): RunMetrics {
  const intervals = {} as Record<IntervalColumn, Float64Array>;
  for (const c of INTERVAL_COLUMNS) intervals[c] = m.intervals[c].slice(fromRow);
  const backendIntervals = {} as Record<BackendColumn, Float64Array>;
  for (const c of BACKEND_COLUMNS) backendIntervals[c] = m.backendIntervals[c].slice(fromRow * m.backends);
  return { ...m, firstInterval: m.firstInterval + fromRow, intervals, backendIntervals };
}
