/**
 * Collects a run's statistics as the engine goes. It only *adds*: counts, integer sums,
 * histograms and time-weighted areas; rates, shares and percentiles are derived once,
 * from the finished totals, by the report (as Vegeta's metrics do).
 *
 * Attribution rules (they make per-interval figures consistent and mergeable):
 * - A request's outcome (completed, rejected, timed out, its latency) belongs to the
 *   interval in which it *arrived*, so "share failed per interval" is failures over
 *   arrivals of that interval and never exceeds 1.
 * - Backend state (queue length, in-flight, busy slots) is time-weighted over each
 *   interval. Areas are integrals in integer microseconds, so they are exact sums that do
 *   not depend on the order in which pieces are added.
 * - Requests arriving before `warmup` are simulated and appear in the time series, but
 *   not in totals, per-backend figures or the overall histogram.
 */
import { Column } from './columns.ts';
import { boundRecorder, createHistogram, type Histogram, type UsRecorder } from './histogram.ts';

export interface RecorderConfig {
  backends: number;
  concurrency: Int32Array;
  intervalMs: number;
  warmupMs: number;
  /** Client timeout; Infinity when none. */
  timeoutMs: number;
}

/** Per-interval, per-request columns (width 1), indexed by arrival interval. */
export interface IntervalColumns {
  arrivals: Column;
  completed: Column;
  rejected: Column;
  timedOut: Column;
  latencySumUs: Column;
  p50: Column;
  p90: Column;
  p99: Column;
  max: Column;
}

/** Per-interval, per-backend columns (width = backends), time-weighted over each interval. */
export interface BackendIntervalColumns {
  busyAreaUs: Column;
  queueAreaUs: Column;
  maxQueue: Column;
  maxInFlight: Column;
  picked: Column;
  rejected: Column;
}

export class Recorder {
  readonly B: number;
  readonly intervalUs: number;
  readonly warmupUs: number;
  readonly timeoutMs: number;
  readonly warmupMs: number;

  // Totals over counted requests (arrived at or after warm-up).
  total = 0;
  completed = 0;
  rejected = 0;
  rejectedNoBackend = 0;
  timedOut = 0;
  latencySumUs = 0;

  // Per backend, counted requests.
  readonly picked: Float64Array;
  readonly bCompleted: Float64Array;
  readonly bRejected: Float64Array;
  readonly bTimedOut: Float64Array;
  readonly bLatencySumUs: Float64Array;
  readonly bHist: Histogram[];
  private readonly bRecord: UsRecorder[];
  readonly bMaxQueue: Float64Array;
  readonly bMaxInFlight: Float64Array;
  /** Time-weighted areas over the measured period (from warm-up to the end). */
  readonly bBusyAreaUs: Float64Array;
  readonly bQueueAreaUs: Float64Array;

  readonly intervals: IntervalColumns;
  readonly backendIntervals: BackendIntervalColumns;

  /** Simulated time of the current event, µs (integer). */
  nowUs = 0;
  /** Index of the interval that contains `nowUs`. */
  current = 0;
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

  // Latency histograms of intervals whose requests have not all finished.
  private readonly openHist = new Map<number, Histogram>();
  private readonly pending: Column = new Column(1);
  private readonly pool: Histogram[] = [];
  /** Lowest interval index that may still be open. */
  private oldestOpen = 0;

  constructor(cfg: RecorderConfig) {
    const B = (this.B = cfg.backends);
    this.intervalUs = Math.round(cfg.intervalMs * 1000);
    this.warmupUs = Math.round(cfg.warmupMs * 1000);
    this.warmupMs = cfg.warmupMs;
    this.timeoutMs = cfg.timeoutMs;
    this.picked = new Float64Array(B);
    this.bCompleted = new Float64Array(B);
    this.bRejected = new Float64Array(B);
    this.bTimedOut = new Float64Array(B);
    this.bLatencySumUs = new Float64Array(B);
    this.bHist = Array.from({ length: B }, () => createHistogram(3));
    this.bRecord = this.bHist.map(boundRecorder);
    this.bMaxQueue = new Float64Array(B);
    this.bMaxInFlight = new Float64Array(B);
    this.bBusyAreaUs = new Float64Array(B);
    this.bQueueAreaUs = new Float64Array(B);
    this.lastUs = new Float64Array(B);
    this.ivBusy = new Float64Array(B);
    this.ivQueue = new Float64Array(B);
    this.ivMaxQueue = new Float64Array(B);
    this.ivMaxInFlight = new Float64Array(B);
    this.ivPicked = new Float64Array(B);
    this.ivRejected = new Float64Array(B);
    this.intervals = {
      arrivals: new Column(),
      completed: new Column(),
      rejected: new Column(),
      timedOut: new Column(),
      latencySumUs: new Column(),
      p50: new Column(),
      p90: new Column(),
      p99: new Column(),
      max: new Column(),
    };
    this.backendIntervals = {
      busyAreaUs: new Column(B),
      queueAreaUs: new Column(B),
      maxQueue: new Column(B),
      maxInFlight: new Column(B),
      picked: new Column(B),
      rejected: new Column(B),
    };
    this.measuring = this.warmupUs <= 0;
    this.nextBoundaryUs = this.intervalUs;
    this.nextCheckUs = this.measuring ? this.nextBoundaryUs : Math.min(this.nextBoundaryUs, this.warmupUs);
    this.ensureIntervalRow(0);
  }

  /** Connects the engine's live backend state arrays. */
  attach(busy: Int32Array, queued: Int32Array): void {
    this.busy = busy;
    this.queued = queued;
  }

  /**
   * Moves the clock to `tUs` (integer µs), closing every interval boundary and the end of
   * warm-up passed on the way. The engine calls it only when tUs >= nextCheckUs.
   */
  advance(tUs: number): void {
    while (tUs >= this.nextCheckUs) {
      const at = this.nextCheckUs;
      this.flushAll(at);
      if (!this.measuring && at === this.warmupUs) {
        this.measuring = true;
      }
      if (at === this.nextBoundaryUs) {
        this.closeTimeInterval(this.current, this.intervalUs);
        this.current++;
        this.nextBoundaryUs += this.intervalUs;
        this.openTimeInterval();
      }
      this.nextCheckUs = this.measuring ? this.nextBoundaryUs : Math.min(this.nextBoundaryUs, this.warmupUs);
    }
    this.nowUs = tUs;
  }

  /** Brings backend b's time-weighted areas up to now. Call before changing its busy or queued count. */
  touch(b: number): void {
    const dt = this.nowUs - this.lastUs[b]!;
    if (dt > 0) {
      const busyDt = this.busy[b]! * dt;
      const queueDt = this.queued[b]! * dt;
      this.ivBusy[b] = this.ivBusy[b]! + busyDt;
      this.ivQueue[b] = this.ivQueue[b]! + queueDt;
      if (this.measuring) {
        this.bBusyAreaUs[b] = this.bBusyAreaUs[b]! + busyDt;
        this.bQueueAreaUs[b] = this.bQueueAreaUs[b]! + queueDt;
      }
      this.lastUs[b] = this.nowUs;
    }
  }

  /** Records the maxima after backend b's queue or in-flight count grew. */
  observe(b: number): void {
    const q = this.queued[b]!;
    const f = q + this.busy[b]!;
    if (q > this.ivMaxQueue[b]!) this.ivMaxQueue[b] = q;
    if (f > this.ivMaxInFlight[b]!) this.ivMaxInFlight[b] = f;
    if (this.measuring) {
      if (q > this.bMaxQueue[b]!) this.bMaxQueue[b] = q;
      if (f > this.bMaxInFlight[b]!) this.bMaxInFlight[b] = f;
    }
  }

  /** A request arrived now; returns its interval. `counted` = it arrived at or after warm-up. */
  arrive(counted: boolean): number {
    const iv = this.current;
    const a = this.intervals.arrivals;
    a.data[iv] = a.data[iv]! + 1;
    if (counted) this.total++;
    return iv;
  }

  /** The balancer picked backend b for a request arriving now (accepted or not). */
  pick(b: number, counted: boolean): void {
    this.ivPicked[b] = this.ivPicked[b]! + 1;
    if (counted) this.picked[b] = this.picked[b]! + 1;
  }

  /**
   * Backend b accepted a request arriving now (it started service or joined the queue):
   * counts the pick, updates the maxima and makes its interval wait for it.
   * Call after the engine changed b's counts (and touch(b) before that change).
   */
  admit(b: number, iv: number, counted: boolean): void {
    this.ivPicked[b] = this.ivPicked[b]! + 1;
    if (counted) this.picked[b] = this.picked[b]! + 1;
    this.observe(b);
    this.pending.data[iv] = this.pending.data[iv]! + 1;
  }

  /** A request arriving now was rejected by backend b (queue full or down), or by the balancer (b = -1). */
  reject(iv: number, b: number, counted: boolean): void {
    const r = this.intervals.rejected;
    r.data[iv] = r.data[iv]! + 1;
    if (b >= 0) this.ivRejected[b] = this.ivRejected[b]! + 1;
    if (!counted) return;
    this.rejected++;
    if (b >= 0) this.bRejected[b] = this.bRejected[b]! + 1;
    else this.rejectedNoBackend++;
  }

  /**
   * A request that arrived in interval iv finished at backend b after latencyMs. Also
   * brings b's areas up to now, as the engine is about to change its counts.
   */
  finish(iv: number, b: number, latencyMs: number, counted: boolean): void {
    this.touch(b);
    if (latencyMs > this.timeoutMs) {
      this.countTimeout(iv, b, counted);
    } else {
      const us = Math.round(latencyMs * 1000);
      const c = this.intervals.completed;
      c.data[iv] = c.data[iv]! + 1;
      const s = this.intervals.latencySumUs;
      s.data[iv] = s.data[iv]! + us;
      this.recordOf(iv)(us);
      if (counted) {
        this.completed++;
        this.latencySumUs += us;
        this.bCompleted[b] = this.bCompleted[b]! + 1;
        this.bLatencySumUs[b] = this.bLatencySumUs[b]! + us;
        this.bRecord[b]!(us);
      }
    }
    this.release(iv);
  }

  /** A request still in flight when the run was cut off at end + timeout: it has timed out. */
  abandon(iv: number, b: number, counted: boolean): void {
    this.countTimeout(iv, b, counted);
    this.release(iv);
  }

  /** Closes the run at tUs: flushes areas, the last (partial) interval and every open histogram. */
  close(tUs: number): void {
    this.advance(tUs);
    this.flushAll(tUs);
    const start = this.current * this.intervalUs;
    this.closeTimeInterval(this.current, Math.max(tUs - start, 0));
    for (const iv of [...this.openHist.keys()].sort((x, y) => x - y)) this.closeLatencyInterval(iv);
    for (const h of this.pool) h.destroy();
    this.pool.length = 0;
  }

  /** Length in µs of the measured period, from warm-up to tEndUs. */
  measuredUs(tEndUs: number): number {
    return Math.max(tEndUs - this.warmupUs, 0);
  }

  /** Frees the WebAssembly memory of the backend histograms once the report is built. */
  destroy(): void {
    for (const h of this.bHist) h.destroy();
    for (const h of this.openHist.values()) h.destroy();
    this.openHist.clear();
  }

  private countTimeout(iv: number, b: number, counted: boolean): void {
    const t = this.intervals.timedOut;
    t.data[iv] = t.data[iv]! + 1;
    if (counted) {
      this.timedOut++;
      this.bTimedOut[b] = this.bTimedOut[b]! + 1;
    }
  }

  private release(iv: number): void {
    const left = (this.pending.data[iv] = this.pending.data[iv]! - 1);
    if (left === 0 && iv < this.current) this.closeLatencyInterval(iv);
  }

  /** Completions arrive mostly for the same interval in a row: remember the last one to skip the Map lookup. */
  private cachedIv = -1;
  private cachedRecord: UsRecorder = () => {};

  private recordOf(iv: number): UsRecorder {
    if (iv === this.cachedIv) return this.cachedRecord;
    let h = this.openHist.get(iv);
    if (h === undefined) {
      h = this.pool.pop() ?? createHistogram(2);
      this.openHist.set(iv, h);
    }
    this.cachedIv = iv;
    this.cachedRecord = boundRecorder(h);
    return this.cachedRecord;
  }

  private flushAll(tUs: number): void {
    const saved = this.nowUs;
    this.nowUs = tUs;
    for (let b = 0; b < this.B; b++) this.touch(b);
    this.nowUs = saved;
  }

  private ensureIntervalRow(iv: number): void {
    const i = this.intervals;
    for (const c of [i.arrivals, i.completed, i.rejected, i.timedOut, i.latencySumUs, i.p50, i.p90, i.p99, i.max, this.pending]) c.ensureRow(iv);
    const bi = this.backendIntervals;
    for (const c of [bi.busyAreaUs, bi.queueAreaUs, bi.maxQueue, bi.maxInFlight, bi.picked, bi.rejected]) c.ensureRow(iv);
  }

  private closeTimeInterval(iv: number, _lengthUs: number): void {
    const bi = this.backendIntervals;
    const off = iv * this.B;
    bi.busyAreaUs.data.set(this.ivBusy, off);
    bi.queueAreaUs.data.set(this.ivQueue, off);
    bi.maxQueue.data.set(this.ivMaxQueue, off);
    bi.maxInFlight.data.set(this.ivMaxInFlight, off);
    bi.picked.data.set(this.ivPicked, off);
    bi.rejected.data.set(this.ivRejected, off);
    // An interval whose accepted requests have all finished has its latency final now.
    if (this.pending.data[iv] === 0 && this.openHist.has(iv)) this.closeLatencyInterval(iv);
  }

  private openTimeInterval(): void {
    this.ensureIntervalRow(this.current);
    this.ivBusy.fill(0);
    this.ivQueue.fill(0);
    this.ivPicked.fill(0);
    this.ivRejected.fill(0);
    // The maxima of a new interval start from the state carried into it.
    for (let b = 0; b < this.B; b++) {
      this.ivMaxQueue[b] = this.queued[b]!;
      this.ivMaxInFlight[b] = this.queued[b]! + this.busy[b]!;
    }
    // Forget old, already closed intervals for the open-interval scan.
    while (this.oldestOpen < this.current && !this.openHist.has(this.oldestOpen)) this.oldestOpen++;
  }

  private closeLatencyInterval(iv: number): void {
    const h = this.openHist.get(iv);
    if (h === undefined) return;
    const i = this.intervals;
    i.p50.data[iv] = h.getValueAtPercentile(50) / 1000;
    i.p90.data[iv] = h.getValueAtPercentile(90) / 1000;
    i.p99.data[iv] = h.getValueAtPercentile(99) / 1000;
    i.max.data[iv] = h.maxValue / 1000;
    this.openHist.delete(iv);
    if (this.cachedIv === iv) this.cachedIv = -1;
    h.reset();
    this.pool.push(h);
  }
}
