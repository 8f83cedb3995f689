/**
 * What the Recorder accumulates over the current interval, per backend, and the close of
 * the interval: its row of the columns is written here, once, when the interval ends
 * (Recorder.crossChecks at a boundary, Recorder.close for the last, partial one), and the
 * accumulators start over for the next.
 *
 * The Recorder's per-event paths (touch, pick, admit, reject, finish, refused) write
 * these arrays directly: it holds each one as a field of its own (ivBusy, ivQueue, …),
 * since reaching them through this object would cost a load on every event. The scalars
 * those paths write (the largest latency, the proxy queue's area and maximum) stay
 * fields of the Recorder for the same reason, and come to close() as arguments.
 */
import type { IntervalRows } from './columns.ts';
import { createHistogram, type Histogram } from './histogram.ts';
import { HistogramBatch } from './histogram-batch.ts';
import type { Totals } from './totals.ts';

export class IntervalAccumulators {
  /** Time-weighted busy slots and queue length (integer µs × count), by backend. */
  readonly busy: Float64Array;
  readonly queue: Float64Array;
  readonly maxQueue: Float64Array;
  readonly maxInFlight: Float64Array;
  readonly picked: Float64Array;
  readonly rejected: Float64Array;
  /** Areas of the current interval accrued before warm-up ended (they stay out of the totals). */
  private readonly preWarmupBusy: Float64Array;
  private readonly preWarmupQueue: Float64Array;
  /** Latency of the current interval's completions; 2 significant digits (1%). */
  private readonly hist: Histogram;
  /** Records into `hist` (histogram 0), batched for the hot loop. */
  readonly latency: HistogramBatch;

  constructor(private readonly B: number) {
    this.busy = new Float64Array(B);
    this.queue = new Float64Array(B);
    this.maxQueue = new Float64Array(B);
    this.maxInFlight = new Float64Array(B);
    this.picked = new Float64Array(B);
    this.rejected = new Float64Array(B);
    this.preWarmupBusy = new Float64Array(B);
    this.preWarmupQueue = new Float64Array(B);
    this.hist = createHistogram(2);
    this.latency = new HistogramBatch([this.hist], 2);
  }

  /** Warm-up ends now: what the current interval accrued so far predates it, so keep it out of the totals. */
  warmupEnded(): void {
    this.preWarmupBusy.set(this.busy);
    this.preWarmupQueue.set(this.queue);
  }

  /**
   * Writes row `row` of `columns` and clears the accumulators for the next interval; the
   * totals take the interval's areas (less what predates warm-up), if `measuring`.
   * `maxLatencyUs` is the interval's largest latency (exact µs), `proxyAreaUs` and
   * `maxProxy` the proxy queue's time-weighted depth and its largest depth.
   */
  close(columns: IntervalRows, row: number, measuring: boolean, totals: Totals, maxLatencyUs: number, proxyAreaUs: number, maxProxy: number): void {
    const bi = columns.backendIntervals;
    const off = row * this.B;
    bi.busyAreaUs.data.set(this.busy, off);
    bi.queueAreaUs.data.set(this.queue, off);
    bi.maxQueue.data.set(this.maxQueue, off);
    bi.maxInFlight.data.set(this.maxInFlight, off);
    bi.picked.data.set(this.picked, off);
    bi.rejected.data.set(this.rejected, off);
    if (measuring) {
      const t = totals;
      for (let b = 0; b < this.B; b++) {
        t.busyAreaUs[b] = t.busyAreaUs[b]! + this.busy[b]! - this.preWarmupBusy[b]!;
        t.queueAreaUs[b] = t.queueAreaUs[b]! + this.queue[b]! - this.preWarmupQueue[b]!;
      }
      this.preWarmupBusy.fill(0);
      this.preWarmupQueue.fill(0);
    }
    this.busy.fill(0);
    this.queue.fill(0);
    const i = columns.intervals;
    i.proxyQueueAreaUs.data[row] = proxyAreaUs;
    i.maxProxyQueue.data[row] = maxProxy;
    this.picked.fill(0);
    this.rejected.fill(0);
    const h = this.hist;
    this.latency.flush();
    if (h.totalCount > 0) {
      // A percentile is its bucket's top, which can lie above the largest value recorded.
      const max = maxLatencyUs;
      i.p50.data[row] = Math.min(h.getValueAtPercentile(50), max) / 1000;
      i.p90.data[row] = Math.min(h.getValueAtPercentile(90), max) / 1000;
      i.p99.data[row] = Math.min(h.getValueAtPercentile(99), max) / 1000;
      i.max.data[row] = max / 1000;
      h.reset();
    }
  }

  /** The maxima of a new interval start from the state carried into it. */
  resetMaxima(busy: Int32Array, queued: Int32Array): void {
    for (let b = 0; b < this.B; b++) {
      this.maxQueue[b] = queued[b] ?? 0;
      this.maxInFlight[b] = (queued[b] ?? 0) + (busy[b] ?? 0);
    }
  }

  /** Frees the latency histogram (its WebAssembly memory); the run or window is over. */
  destroy(): void {
    this.hist.destroy();
  }
}
