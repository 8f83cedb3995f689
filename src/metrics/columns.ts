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
