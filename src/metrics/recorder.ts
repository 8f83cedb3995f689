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
 */
import { markMutable } from '../jit/mutable-fields.ts';
import { IntervalRows } from './columns.ts';
import { createHistogram, type Histogram } from './histogram.ts';
import { HistogramBatch } from './histogram-batch.ts';
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

export class Recorder {
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
  // Accumulators of the current interval.
  private readonly ivBusy: Float64Array;
  private readonly ivQueue: Float64Array;
  private readonly ivMaxQueue: Float64Array;
  private readonly ivMaxInFlight: Float64Array;
  private readonly ivPicked: Float64Array;
  private readonly ivRejected: Float64Array;
  /** Areas of the current interval accrued before warm-up ended (they stay out of the totals). */
  private readonly preWarmupBusy: Float64Array;
  private readonly preWarmupQueue: Float64Array;
  // The hot per-interval columns' arrays, cached (re-read when a column grows).
  private arrivalsCol!: Float64Array;
  private completedCol!: Float64Array;
  private latencySumCol!: Float64Array;
  private rejectedCol!: Float64Array;
  private timedOutCol!: Float64Array;
  /** Latency of the current interval's completions; 2 significant digits (1%). */
  private readonly ivHist: Histogram;
  private readonly ivBatch: HistogramBatch;
  /** Largest latency of the current interval, exact µs. */
  private ivMaxUs = 0;
  // The proxy's queue depth (all its lines), owned by the engine's proxy layer; time-weighted like a backend's queue.
  private proxyDepth: Int32Array = new Int32Array(1);
  private lastProxyUs: number;
  private ivProxyArea = 0;
  private ivMaxProxy = 0;

  constructor(cfg: RecorderConfig) {
    const B = (this.B = cfg.backends);
    this.intervalUs = Math.round(cfg.intervalMs * 1000);
    this.warmupUs = Math.round(cfg.warmupMs * 1000);
    const startUs = instantUs(cfg.startMs ?? 0);
    this.firstInterval = Math.floor(startUs / this.intervalUs);
    this.totals = new Totals(B);
    this.lastUs = new Float64Array(B).fill(startUs);
    this.lastProxyUs = startUs;
    this.ivBusy = new Float64Array(B);
    this.ivQueue = new Float64Array(B);
    this.ivMaxQueue = new Float64Array(B);
    this.ivMaxInFlight = new Float64Array(B);
    this.ivPicked = new Float64Array(B);
    this.ivRejected = new Float64Array(B);
    this.preWarmupBusy = new Float64Array(B);
    this.preWarmupQueue = new Float64Array(B);
    this.ivHist = createHistogram(2);
    this.ivBatch = new HistogramBatch([this.ivHist], 2);
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
    this.resetIntervalMaxima();
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
        // What the current interval accrued so far predates warm-up: keep it out of the totals.
        this.preWarmupBusy.set(this.ivBusy);
        this.preWarmupQueue.set(this.ivQueue);
        this.measuring = true;
      }
      if (at === this.nextBoundaryUs) {
        this.closeInterval();
        this.row++;
        this.nextBoundaryUs += this.intervalUs;
        this.ensureRow(this.row);
        this.resetIntervalMaxima();
      }
      this.nextCheckUs = this.measuring ? this.nextBoundaryUs : Math.min(this.nextBoundaryUs, this.warmupUs);
    }
  }

  /** Connects the proxy layer's live queue depth (one element); read here, never written. */
  attachProxy(depth: Int32Array): void {
    this.proxyDepth = depth;
    this.ivMaxProxy = depth[0]!;
  }

  /** Brings the proxy queue's time-weighted area up to now. Call before changing its depth. */
  touchProxy(): void {
    const dt = this.nowUs - this.lastProxyUs;
    if (dt > 0) {
      this.ivProxyArea += this.proxyDepth[0]! * dt;
      this.lastProxyUs = this.nowUs;
    }
  }

  /** The proxy queue's depth just grew (after the change). */
  proxyQueueGrew(): void {
    if (this.proxyDepth[0]! > this.ivMaxProxy) this.ivMaxProxy = this.proxyDepth[0]!;
  }

  /**
   * A request left a proxy queue now and was sent to backend b after waiting waitMs there
   * (src/engine/proxy.ts). `counted` = it arrived at or after warm-up.
   */
  leftProxyQueue(b: number, waitMs: number, counted: boolean): void {
    if (!counted) return;
    const t = this.totals;
    const us = Math.round(waitMs * 1000);
    t.proxyQueuedBy[b] = t.proxyQueuedBy[b]! + 1;
    t.proxyWaitUsBy[b] = t.proxyWaitUsBy[b]! + us;
    if (us > t.maxProxyWaitUsBy[b]!) t.maxProxyWaitUsBy[b] = us;
  }

  /** A request entered a proxy queue now (counted once per request and queue visit). */
  enteredProxyQueue(counted: boolean): void {
    if (counted) this.totals.proxyQueued++;
  }

  /** Backend b refused an attempt that is retried (the request is not rejected yet): counts for b only. */
  refused(b: number, counted: boolean): void {
    this.ivRejected[b] = this.ivRejected[b]! + 1;
    if (counted) this.totals.rejectedBy[b] = this.totals.rejectedBy[b]! + 1;
  }

  /** A retry starts now. */
  retry(counted: boolean): void {
    const r = this.columns.intervals.retries.data;
    r[this.row] = r[this.row]! + 1;
    if (counted) this.totals.retries++;
  }

  /** A retry the policy allowed was refused by the retry budget or max_retries (Envoy's retry overflow). */
  retryOverflow(counted: boolean): void {
    if (counted) this.totals.retryOverflow++;
  }

  /**
   * The proxy itself rejected a request now (503/502): no server below its maxconn and no
   * queue, a server queue at maxqueue, a circuit breaker, or `queueTimeout` = it waited
   * in a proxy queue past timeout_queue.
   */
  rejectAtProxy(counted: boolean, queueTimeout: boolean): void {
    const r = this.rejectedCol;
    r[this.row] = r[this.row]! + 1;
    if (!counted) return;
    const t = this.totals;
    t.rejected++;
    t.rejectedByProxy++;
    if (queueTimeout) t.queueTimeouts++;
  }

  /** The proxy gave up on a request now (its last try timed out); b = the backend of that try. */
  timeout(b: number, counted: boolean): void {
    this.countTimeout(b, counted);
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
    this.ivHist.destroy();
  }

  /** Stops the run at boundary tUs (a window's end) without opening the next interval's row. */
  closeAtBoundary(tUs: number): void {
    // Everything before tUs was processed; advance() closes each interval up to tUs.
    this.advance(tUs);
    // The row opened for the interval starting at tUs belongs to the next window.
    this.columns.truncate(this.row);
    this.ivHist.destroy();
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

  private countTimeout(b: number, counted: boolean): void {
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

  private closeInterval(): void {
    const bi = this.columns.backendIntervals;
    const off = this.row * this.B;
    bi.busyAreaUs.data.set(this.ivBusy, off);
    bi.queueAreaUs.data.set(this.ivQueue, off);
    bi.maxQueue.data.set(this.ivMaxQueue, off);
    bi.maxInFlight.data.set(this.ivMaxInFlight, off);
    bi.picked.data.set(this.ivPicked, off);
    bi.rejected.data.set(this.ivRejected, off);
    if (this.measuring) {
      const t = this.totals;
      for (let b = 0; b < this.B; b++) {
        t.busyAreaUs[b] = t.busyAreaUs[b]! + this.ivBusy[b]! - this.preWarmupBusy[b]!;
        t.queueAreaUs[b] = t.queueAreaUs[b]! + this.ivQueue[b]! - this.preWarmupQueue[b]!;
      }
      this.preWarmupBusy.fill(0);
      this.preWarmupQueue.fill(0);
    }
    this.ivBusy.fill(0);
    this.ivQueue.fill(0);
    this.columns.intervals.proxyQueueAreaUs.data[this.row] = this.ivProxyArea;
    this.columns.intervals.maxProxyQueue.data[this.row] = this.ivMaxProxy;
    this.ivProxyArea = 0;
    this.ivMaxProxy = this.proxyDepth[0]!;
    this.ivPicked.fill(0);
    this.ivRejected.fill(0);
    const h = this.ivHist;
    this.ivBatch.flush();
    if (h.totalCount > 0) {
      const i = this.columns.intervals;
      // A percentile is its bucket's top, which can lie above the largest value recorded.
      const max = this.ivMaxUs;
      i.p50.data[this.row] = Math.min(h.getValueAtPercentile(50), max) / 1000;
      i.p90.data[this.row] = Math.min(h.getValueAtPercentile(90), max) / 1000;
      i.p99.data[this.row] = Math.min(h.getValueAtPercentile(99), max) / 1000;
      i.max.data[this.row] = max / 1000;
      h.reset();
      this.ivMaxUs = 0;
    }
  }

  /** The maxima of a new interval start from the state carried into it. */
  private resetIntervalMaxima(): void {
    for (let b = 0; b < this.B; b++) {
      this.ivMaxQueue[b] = this.queued[b] ?? 0;
      this.ivMaxInFlight[b] = (this.queued[b] ?? 0) + (this.busy[b] ?? 0);
    }
  }
}
