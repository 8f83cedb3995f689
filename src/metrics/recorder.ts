/**
 * Collects a run's statistics as the engine goes. It only *adds*: counts, integer sums,
 * histograms and time-weighted areas; rates, shares and percentiles are derived once, by
 * the report (as Vegeta's metrics do).
 *
 * Attribution (what makes a run splittable in time and still exact):
 * - Everything is attributed to the interval in which its *event* happens: an arrival or
 *   a rejection when the request arrives, a completion or a timeout when the backend
 *   finishes the request. So an interval's row is written only by events inside it, and
 *   a run cut at interval boundaries gives rows that simply concatenate. This is also
 *   what monitoring shows: latency and errors of the responses of that minute.
 * - Backend state (queue length, in-flight, busy slots) is time-weighted over each
 *   interval, as integrals in integer microseconds: exact sums, in any order.
 * - Requests arriving before `warmup` are simulated and appear in the time series, but
 *   not in the totals (per-backend figures, overall histogram).
 *
 * Where each part is: the per-event paths and the clock (advance, crossChecks) are here;
 * the current interval's accumulators and the writing of its row when it closes are
 * IntervalAccumulators (interval-accumulators.ts); the proxy layer's events are the
 * Recorder's base class, ProxyCounters (proxy-counters.ts).
 */
import { markMutable } from '../jit/mutable-fields.ts';
import { IntervalRows } from './columns.ts';
import type { HistogramBatch } from './histogram-batch.ts';
import { IntervalAccumulators } from './interval-accumulators.ts';
import { ProxyCounters } from './proxy-counters.ts';
import { type EncodedTotals, Totals } from './totals.ts';

/**
 * The recorder's clock: an instant in ms as whole µs, rounded *down*, so an event at
 * 4999.9995 ms belongs to the interval [4000, 5000) it happened in, never to the next
 * (and one before warm-up is never measured). Every conversion of an instant goes
 * through here; durations (latencies) are rounded to the nearest µs instead.
 */
export function instantUs(ms: number): number {
  return Math.floor(ms * 1000);
}

/** A duration (a latency) in ms as whole µs, rounded to the nearest. */
export function durationUs(ms: number): number {
  return Math.round(ms * 1000);
}

export interface RecorderConfig {
  backends: number;
  intervalMs: number;
  warmupMs: number;
  /** Simulated time the recorder starts at (a window's start); must be an interval boundary. @default 0 */
  startMs?: number;
}

export class Recorder extends ProxyCounters {
  readonly B: number;
  readonly intervalUs: number;
  readonly warmupUs: number;
  /** Absolute index of the first interval this recorder holds (row 0). */
  readonly firstInterval: number;

  /** Totals since the recorder started (maxima: since the last `checkpoint()`). */
  totals: Totals;

  /** Row r is interval `firstInterval + r`. */
  readonly columns: IntervalRows;

  /** Simulated time of the current event, µs (integer). */
  nowUs = 0;
  /** Row (relative to firstInterval) of the interval that contains `nowUs`. */
  row = 0;
  /** The next instant at which `advance` has work: an interval boundary or the end of warm-up. */
  nextCheckUs: number;
  private nextBoundaryUs: number;
  private measuring: boolean;

  // Live backend state, owned by the engine (read here, never written).
  private busy: Int32Array = new Int32Array(0);
  private queued: Int32Array = new Int32Array(0);
  private readonly lastUs: Float64Array;
  /** Accumulators of the current interval, and its close into its row. */
  private readonly interval: IntervalAccumulators;
  // The interval's arrays, held here too: the per-event paths write them without a load through `interval`.
  private readonly ivBusy: Float64Array;
  private readonly ivQueue: Float64Array;
  private readonly ivMaxQueue: Float64Array;
  private readonly ivMaxInFlight: Float64Array;
  private readonly ivPicked: Float64Array;
  protected readonly ivRejected: Float64Array;
  // The hot per-interval columns' arrays, cached (re-read when a column grows).
  private arrivalsCol!: Float64Array;
  private completedCol!: Float64Array;
  private latencySumCol!: Float64Array;
  protected rejectedCol!: Float64Array;
  private timedOutCol!: Float64Array;
  /** Latency of the current interval's completions (IntervalAccumulators.latency). */
  private readonly ivBatch: HistogramBatch;
  /** Largest latency of the current interval, exact µs. */
  private ivMaxUs = 0;
  // The proxy's queue depth (all its lines), owned by the engine's proxy layer; time-weighted like a backend's queue.
  protected proxyDepth: Int32Array = new Int32Array(1);
  protected lastProxyUs: number;
  protected ivProxyArea = 0;
  protected ivMaxProxy = 0;

  constructor(cfg: RecorderConfig) {
    super();
    const B = (this.B = cfg.backends);
    this.intervalUs = Math.round(cfg.intervalMs * 1000);
    this.warmupUs = Math.round(cfg.warmupMs * 1000);
    const startUs = instantUs(cfg.startMs ?? 0);
    this.firstInterval = Math.floor(startUs / this.intervalUs);
    this.totals = new Totals(B);
    this.lastUs = new Float64Array(B).fill(startUs);
    this.lastProxyUs = startUs;
    const iv = (this.interval = new IntervalAccumulators(B));
    this.ivBusy = iv.busy;
    this.ivQueue = iv.queue;
    this.ivMaxQueue = iv.maxQueue;
    this.ivMaxInFlight = iv.maxInFlight;
    this.ivPicked = iv.picked;
    this.ivRejected = iv.rejected;
    this.ivBatch = iv.latency;
    this.columns = new IntervalRows(B);
    this.nowUs = startUs;
    this.measuring = startUs >= this.warmupUs;
    this.nextBoundaryUs = (this.firstInterval + 1) * this.intervalUs;
    this.nextCheckUs = this.measuring ? this.nextBoundaryUs : Math.min(this.nextBoundaryUs, this.warmupUs);
    this.ensureRow(0);
    // First written at the first interval boundary, column growth or proxy event, after the
    // hot loop is optimized: see jit/mutable-fields.ts.
    markMutable(this, [
      'nowUs', 'row', 'nextCheckUs', 'nextBoundaryUs', 'measuring', 'busy', 'queued', 'proxyDepth', 'lastProxyUs', 'ivProxyArea', 'ivMaxProxy', 'ivMaxUs',
      'arrivalsCol', 'completedCol', 'latencySumCol', 'rejectedCol', 'timedOutCol',
    ]);
  }

  /** Connects the engine's live backend state arrays and takes the maxima of the first interval from them. */
  attach(busy: Int32Array, queued: Int32Array): void {
    this.busy = busy;
    this.queued = queued;
    this.interval.resetMaxima(busy, queued);
  }

  /**
   * Moves the clock to `tUs` (integer µs), closing every interval boundary and the end of
   * warm-up passed on the way.
   */
  advance(tUs: number): void {
    this.nowUs = tUs;
    if (tUs >= this.nextCheckUs) this.crossChecks();
  }

  /**
   * advance() for the engine's hot loop, which has already set `nowUs` (≥ nextCheckUs).
   * It takes no argument: V8 boxes a double passed to a call it did not inline, and
   * optimized code may do that boxing on every event, not only when the call is made.
   */
  crossChecks(): void {
    const tUs = this.nowUs;
    while (tUs >= this.nextCheckUs) {
      const at = this.nextCheckUs;
      this.flushAll(at);
      if (!this.measuring && at === this.warmupUs) {
        this.interval.warmupEnded();
        this.measuring = true;
      }
      if (at === this.nextBoundaryUs) {
        this.closeInterval();
        this.row++;
        this.nextBoundaryUs += this.intervalUs;
        this.ensureRow(this.row);
        this.interval.resetMaxima(this.busy, this.queued);
      }
      this.nextCheckUs = this.measuring ? this.nextBoundaryUs : Math.min(this.nextBoundaryUs, this.warmupUs);
    }
  }

  /** Brings backend b's time-weighted areas up to now. Call before changing its busy or queued count. */
  touch(b: number): void {
    const dt = this.nowUs - this.lastUs[b]!;
    if (dt > 0) {
      const busyDt = this.busy[b]! * dt;
      const queueDt = this.queued[b]! * dt;
      // The totals take each interval's areas when it closes (closeInterval).
      this.ivBusy[b] = this.ivBusy[b]! + busyDt;
      this.ivQueue[b] = this.ivQueue[b]! + queueDt;
      this.lastUs[b] = this.nowUs;
    }
  }

  /** A request arrived now. `counted` = it arrived at or after warm-up. */
  arrive(counted: boolean): void {
    const a = this.arrivalsCol;
    a[this.row] = a[this.row]! + 1;
    if (counted) this.totals.total++;
  }

  /** The balancer picked backend b for a request arriving now (accepted or not). */
  pick(b: number, counted: boolean): void {
    this.ivPicked[b] = this.ivPicked[b]! + 1;
    if (counted) this.totals.picked[b] = this.totals.picked[b]! + 1;
  }

  /**
   * Backend b accepted a request arriving now (it started service or joined the queue).
   * Call after the engine changed b's counts (and touch(b) before that change).
   */
  admit(b: number, counted: boolean): void {
    this.pick(b, counted);
    const q = this.queued[b]!;
    const f = q + this.busy[b]!;
    if (q > this.ivMaxQueue[b]!) this.ivMaxQueue[b] = q;
    if (f > this.ivMaxInFlight[b]!) this.ivMaxInFlight[b] = f;
    if (this.measuring) {
      const t = this.totals;
      if (q > t.maxQueue[b]!) t.maxQueue[b] = q;
      if (f > t.maxInFlight[b]!) t.maxInFlight[b] = f;
    }
  }

  /** A request arriving now was rejected by backend b (queue full or down), or by the balancer (b = -1). */
  reject(b: number, counted: boolean): void {
    const r = this.rejectedCol;
    r[this.row] = r[this.row]! + 1;
    if (b >= 0) this.ivRejected[b] = this.ivRejected[b]! + 1;
    if (!counted) return;
    const t = this.totals;
    t.rejected++;
    if (b >= 0) t.rejectedBy[b] = t.rejectedBy[b]! + 1;
    else t.rejectedNoBackend++;
  }

  /**
   * A request was answered now at backend b after `us` (whole µs, durationUs), within the
   * timeout. Also brings b's areas up to now, as the engine is about to change its counts.
   * The latency comes as an integer: V8 passes a small integer as is to a call it did not
   * inline, but boxes a fractional double, which in the hot loop is an allocation a request.
   */
  finish(b: number, us: number, counted: boolean): void {
    this.touch(b);
    const row = this.row;
    const c = this.completedCol;
    c[row] = c[row]! + 1;
    const s = this.latencySumCol;
    s[row] = s[row]! + us;
    this.ivBatch.record(0, us);
    if (us > this.ivMaxUs) this.ivMaxUs = us;
    if (counted) {
      const t = this.totals;
      t.completed++;
      t.completedBy[b] = t.completedBy[b]! + 1;
      t.latencySumUsBy[b] = t.latencySumUsBy[b]! + us;
      if (us > t.maxLatencyUsBy[b]!) t.maxLatencyUsBy[b] = us;
      t.recordLatency(b, us);
    }
  }

  /** A request was answered now at backend b, after the timeout: it timed out. */
  finishLate(b: number, counted: boolean): void {
    this.touch(b);
    this.countTimeout(b, counted);
  }

  /** A request still in flight when the run was cut off at end + timeout: it has timed out. */
  abandon(b: number, counted: boolean): void {
    this.countTimeout(b, counted);
  }

  /** Closes the run at tUs: flushes the areas and the last (partial) interval. */
  close(tUs: number): void {
    this.advance(tUs);
    this.flushAll(tUs);
    this.closeInterval();
    this.interval.destroy();
  }

  /** Stops the run at boundary tUs (a window's end) without opening the next interval's row. */
  closeAtBoundary(tUs: number): void {
    // Everything before tUs was processed; advance() closes each interval up to tUs.
    this.advance(tUs);
    // The row opened for the interval starting at tUs belongs to the next window.
    this.columns.truncate(this.row);
    this.interval.destroy();
  }

  /**
   * At a checkpoint of a time-split window: the totals so far, encoded, with the maxima
   * of the piece since the last checkpoint alone; the maxima start over (Totals.after).
   */
  checkpoint(): EncodedTotals {
    const encoded = this.totals.encode();
    this.totals.resetMaxima();
    return encoded;
  }

  protected countTimeout(b: number, counted: boolean): void {
    const t = this.timedOutCol;
    t[this.row] = t[this.row]! + 1;
    if (counted) {
      this.totals.timedOut++;
      // b < 0: still waiting at the proxy, for no backend yet, when the run was cut off.
      if (b >= 0) this.totals.timedOutBy[b] = this.totals.timedOutBy[b]! + 1;
    }
  }

  private flushAll(tUs: number): void {
    const saved = this.nowUs;
    this.nowUs = tUs;
    for (let b = 0; b < this.B; b++) this.touch(b);
    this.touchProxy();
    this.nowUs = saved;
  }

  private ensureRow(row: number): void {
    this.columns.ensureRow(row);
    const i = this.columns.intervals;
    this.arrivalsCol = i.arrivals.data;
    this.completedCol = i.completed.data;
    this.latencySumCol = i.latencySumUs.data;
    this.rejectedCol = i.rejected.data;
    this.timedOutCol = i.timedOut.data;
  }

  /** Closes the current interval into its row; the next one's accumulators start over. */
  private closeInterval(): void {
    this.interval.close(this.columns, this.row, this.measuring, this.totals, this.ivMaxUs, this.ivProxyArea, this.ivMaxProxy);
    // Zero already unless a latency was recorded in the interval (finish): reset either way.
    this.ivMaxUs = 0;
    this.ivProxyArea = 0;
    this.ivMaxProxy = this.proxyDepth[0]!;
  }
}
