/**
 * Run totals as a mergeable value: counts and integer sums, maxima, and per-backend HDR
 * histograms. Totals of disjoint stretches of a run add up exactly (integers, counts,
 * max), whatever the order they are added in: the basis of splitting one run across
 * threads or machines and still getting a byte-identical report.
 */
import { markMutable } from '../jit/mutable-fields.ts';
import { createHistogram, decodeHistogram, encodeHistogram, type Histogram } from './histogram.ts';
import { HistogramBatch } from './histogram-batch.ts';

/** Totals in a form that crosses threads (structured clone) or machines (JSON). */
export interface EncodedTotals {
  scalars: number[];
  perBackend: number[][];
  histograms: Uint8Array[];
}

export class Totals {
  // Counted requests (arrived at or after warm-up).
  total = 0;
  completed = 0;
  rejected = 0;
  rejectedNoBackend = 0;
  timedOut = 0;
  // The proxy layer (src/engine/proxy.ts); 0 when it is off.
  /** Rejected by the proxy's own limits (included in `rejected`); `queueTimeouts` is part of it. */
  rejectedByProxy = 0;
  queueTimeouts = 0;
  /** Requests that entered a proxy queue. */
  proxyQueued = 0;
  /** Attempts after the first. */
  retries = 0;
  /** Retries refused by the retry budget or max_retries. */
  retryOverflow = 0;

  readonly picked: Float64Array;
  readonly completedBy: Float64Array;
  readonly rejectedBy: Float64Array;
  readonly timedOutBy: Float64Array;
  readonly latencySumUsBy: Float64Array;
  /** Largest latency recorded, exact µs (a decoded histogram knows it only to its bucket). */
  readonly maxLatencyUsBy: Float64Array;
  /** Time-weighted areas over the measured period, integer µs × count. */
  readonly busyAreaUs: Float64Array;
  readonly queueAreaUs: Float64Array;
  readonly maxQueue: Float64Array;
  readonly maxInFlight: Float64Array;
  /** Server health (src/engine/server-health.ts): requests sent while the backend was in an outage (refused). */
  readonly sentWhileDown: Float64Array;
  /** Times a detection (active check, passive check, outlier ejection) marked the backend down. */
  readonly markedDown: Float64Array;
  /** Envoy outlier ejections. */
  readonly ejections: Float64Array;
  /** Requests sent to the backend after waiting in a proxy queue, their summed and largest wait (µs). */
  readonly proxyQueuedBy: Float64Array;
  readonly proxyWaitUsBy: Float64Array;
  readonly maxProxyWaitUsBy: Float64Array;
  /** Records of the hot loop wait here until a histogram is read (see histogram-batch.ts). */
  private readonly batch: HistogramBatch;

  constructor(readonly backends: number, histograms?: Histogram[]) {
    this.picked = new Float64Array(backends);
    this.completedBy = new Float64Array(backends);
    this.rejectedBy = new Float64Array(backends);
    this.timedOutBy = new Float64Array(backends);
    this.latencySumUsBy = new Float64Array(backends);
    this.maxLatencyUsBy = new Float64Array(backends);
    this.busyAreaUs = new Float64Array(backends);
    this.queueAreaUs = new Float64Array(backends);
    this.maxQueue = new Float64Array(backends);
    this.maxInFlight = new Float64Array(backends);
    this.sentWhileDown = new Float64Array(backends);
    this.markedDown = new Float64Array(backends);
    this.ejections = new Float64Array(backends);
    this.proxyQueuedBy = new Float64Array(backends);
    this.proxyWaitUsBy = new Float64Array(backends);
    this.maxProxyWaitUsBy = new Float64Array(backends);
    this.batch = new HistogramBatch(histograms ?? Array.from({ length: backends }, () => createHistogram(3)), 3);
    // Each first counted at its kind's first event, which comes late after a warm-up or in a
    // rare outcome (a rejection, a retry), after the hot loop is optimized: see jit/mutable-fields.ts.
    markMutable(this, ['total', 'completed', 'rejected', 'rejectedNoBackend', 'timedOut', 'rejectedByProxy', 'queueTimeouts', 'proxyQueued', 'retries', 'retryOverflow']);
  }

  /** Per-backend latency histograms (µs), with every latency recorded so far. */
  get histograms(): readonly Histogram[] {
    this.batch.flush();
    return this.batch.histograms;
  }

  /** Records a completed request's latency (whole µs) at backend b. */
  recordLatency(b: number, us: number): void {
    this.batch.record(b, us);
  }

  private perBackend(): Float64Array[] {
    return [this.picked, this.completedBy, this.rejectedBy, this.timedOutBy, this.latencySumUsBy, this.busyAreaUs, this.queueAreaUs, this.sentWhileDown, this.markedDown, this.ejections, this.proxyQueuedBy, this.proxyWaitUsBy];
  }

  /** Adds `other` into this one (sums, maxima, histogram counts). */
  add(other: Totals): void {
    this.combine(other, 1);
    maxInto(this.maxima(), other.maxima());
  }

  /**
   * Takes `other` (totals of an earlier part of the same stretch) out of this one: sums and
   * histogram counts. Maxima cannot be taken out; the caller sets them (Totals.after).
   */
  subtract(other: Totals): void {
    this.combine(other, -1);
  }

  /** Sums and histogram counts of `other`, added (sign 1) or taken out (-1): exact, as x + 1·y is x + y. */
  private combine(other: Totals, sign: 1 | -1): void {
    this.total += sign * other.total;
    this.completed += sign * other.completed;
    this.rejected += sign * other.rejected;
    this.rejectedNoBackend += sign * other.rejectedNoBackend;
    this.timedOut += sign * other.timedOut;
    this.rejectedByProxy += sign * other.rejectedByProxy;
    this.queueTimeouts += sign * other.queueTimeouts;
    this.proxyQueued += sign * other.proxyQueued;
    this.retries += sign * other.retries;
    this.retryOverflow += sign * other.retryOverflow;
    const mine = this.perBackend();
    const theirs = other.perBackend();
    for (let a = 0; a < mine.length; a++) for (let b = 0; b < this.backends; b++) mine[a]![b] = mine[a]![b]! + sign * theirs[a]![b]!;
    for (let b = 0; b < this.backends; b++) {
      if (sign > 0) this.histograms[b]!.add(other.histograms[b]!);
      else this.histograms[b]!.subtract(other.histograms[b]!);
    }
  }

  /** Starts the maxima over (a new piece of a window begins: Recorder.checkpoint). */
  resetMaxima(): void {
    for (const m of this.maxima()) m.fill(0);
  }

  private maxima(): Float64Array[] {
    return [this.maxQueue, this.maxInFlight, this.maxLatencyUsBy, this.maxProxyWaitUsBy];
  }

  /**
   * The totals of a window's part after checkpoint `j` (-1: the whole window), from its
   * checkpoint encodings (Recorder.checkpoint): each holds the sums and histogram counts
   * from the window's start up to it, and the maxima of its piece alone. So two decodes
   * (the last, minus checkpoint j's) make any tail, where adding the pieces took one
   * decode and one add per piece; maxima come from the pieces' arrays, without decoding.
   */
  static after(checkpoints: readonly EncodedTotals[], j: number): Totals {
    const t = Totals.decode(checkpoints[checkpoints.length - 1]!);
    if (j >= 0) {
      const head = Totals.decode(checkpoints[j]!);
      t.subtract(head);
      head.destroy();
    }
    const at = t.perBackend().length;
    for (let k = j + 1; k < checkpoints.length - 1; k++) maxInto(t.maxima(), checkpoints[k]!.perBackend.slice(at));
    return t;
  }

  encode(): EncodedTotals {
    return {
      scalars: [this.total, this.completed, this.rejected, this.rejectedNoBackend, this.timedOut, this.rejectedByProxy, this.queueTimeouts, this.proxyQueued, this.retries, this.retryOverflow],
      perBackend: [...this.perBackend(), ...this.maxima()].map((a) => Array.from(a)),
      histograms: this.histograms.map(encodeHistogram),
    };
  }

  static decode(e: EncodedTotals): Totals {
    const t = new Totals(e.histograms.length, e.histograms.map(decodeHistogram));
    [t.total, t.completed, t.rejected, t.rejectedNoBackend, t.timedOut, t.rejectedByProxy, t.queueTimeouts, t.proxyQueued, t.retries, t.retryOverflow] = e.scalars as [number, number, number, number, number, number, number, number, number, number];
    const arrays = [...t.perBackend(), ...t.maxima()];
    arrays.forEach((a, i) => a.set(e.perBackend[i]!));
    return t;
  }

  /** Frees the histograms' WebAssembly memory. */
  destroy(): void {
    for (const h of this.histograms) h.destroy();
  }
}

/** Raises each of `mine` to `theirs` where theirs is larger (the same arrays, in the same order). */
function maxInto(mine: Float64Array[], theirs: readonly ArrayLike<number>[]): void {
  mine.forEach((m, i) => {
    const o = theirs[i]!;
    for (let b = 0; b < m.length; b++) if (o[b]! > m[b]!) m[b] = o[b]!;
  });
}
