/**
 * The per-interval rows of a run: growable columns, one set per interval and one with a
 * value per backend per interval (see IntervalRows), named once here.
 */
import { markMutable } from '../jit/mutable-fields.ts';

/** Per-interval columns (one value per row). */
export const INTERVAL_COLUMNS = ['arrivals', 'completed', 'rejected', 'timedOut', 'latencySumUs', 'p50', 'p90', 'p99', 'max', 'retries', 'proxyQueueAreaUs', 'maxProxyQueue'] as const;
/** Per-interval, per-backend columns (`backends` values per row), time-weighted over each interval where they are areas. */
export const BACKEND_COLUMNS = ['busyAreaUs', 'queueAreaUs', 'maxQueue', 'maxInFlight', 'picked', 'rejected'] as const;
export type IntervalColumn = (typeof INTERVAL_COLUMNS)[number];
export type BackendColumn = (typeof BACKEND_COLUMNS)[number];

/**
 * A growable column of float64 values, `width` per row: the per-interval time series
 * (width 1) and per-interval, per-backend series (width = backends). Rows are appended
 * as simulated time advances; memory grows with the run's duration / interval, never
 * with its number of requests.
 */
export class Column {
  data: Float64Array;
  rows = 0;

  constructor(readonly width = 1, initialRows = 256) {
    this.data = new Float64Array(width * initialRows);
    // `data` is replaced when the column grows, after the hot loop is optimized: see jit/mutable-fields.ts.
    markMutable(this, ['data', 'rows']);
  }

  /** Makes room for row `row` (zero-filled) and returns its offset into `data`. */
  ensureRow(row: number): number {
    const need = (row + 1) * this.width;
    if (need > this.data.length) {
      let cap = this.data.length * 2;
      while (cap < need) cap *= 2;
      const next = new Float64Array(cap);
      next.set(this.data);
      this.data = next;
    }
    if (row + 1 > this.rows) this.rows = row + 1;
    return row * this.width;
  }
}

/**
 * The holder of a set of columns by name: a class of its own, so its objects share their
 * shape with no others. A plain object with the same keys in the same order (the arrays
 * of collectMetrics(), a worker's rows as the main thread receives them) would share an
 * object literal's shape with it, and holding arrays where this holds Columns widens that
 * shape's field types: V8 then throws away the recorder's optimized code, at the end of a
 * window or when a worker's result arrives (RESULTS.md, 2026-11-26 12:33).
 */
class ColumnsByName {}

function columnsByName<K extends string>(names: readonly K[], make: () => Column): Record<K, Column> {
  return Object.assign(new ColumnsByName(), Object.fromEntries(names.map((c) => [c, make()]))) as Record<K, Column>;
}

/**
 * Every column of a recorder's rows, grown and cut together. Row r is interval
 * `firstInterval + r` of the recorder (src/metrics/recorder.ts). `retries` counts retries
 * started in the interval and `proxyQueueAreaUs` the requests waiting at the proxy,
 * time-weighted (integer µs × count), as written by the proxy layer (src/engine/proxy.ts).
 */
export class IntervalRows {
  readonly intervals: Record<IntervalColumn, Column>;
  readonly backendIntervals: Record<BackendColumn, Column>;
  private readonly all: Column[];

  constructor(readonly backends: number) {
    this.intervals = columnsByName(INTERVAL_COLUMNS, () => new Column(1));
    this.backendIntervals = columnsByName(BACKEND_COLUMNS, () => new Column(backends));
    this.all = [...Object.values(this.intervals), ...Object.values(this.backendIntervals)];
  }

  /** Makes room for row `row` in every column (a column's `data` may be replaced). */
  ensureRow(row: number): void {
    for (const c of this.all) c.ensureRow(row);
  }

  /** Keeps the first `rows` rows. */
  truncate(rows: number): void {
    for (const c of this.all) c.rows = rows;
  }
}
