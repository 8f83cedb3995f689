/**
 * Batched recording into HdrHistograms, for the hot loop.
 *
 * A call into the WebAssembly histogram costs ~13–20 ns; two per request (the backend's
 * histogram and the interval's) were ~10% of a simulation. Instead, a value is counted
 * in a plain Uint32Array at *HdrHistogram's own counts index* for it, and the counts are
 * handed to the histograms in bulk (`recordValueWithCount` of each bucket's lowest value)
 * before anyone reads them. The histogram ends up with exactly the counts direct
 * recording would give (same buckets, same encoding, same percentiles); HdrHistogram
 * still owns storage, percentiles, merging and encoding.
 *
 * The index is HdrHistogram's (HdrHistogram.java `countsArrayIndex`, same in
 * hdr-histogram-js), for lowestDiscernibleValue 1 (unit magnitude 0) and
 * subBucketHalfCountMagnitude m = ceil(log2(2 · 10^digits)) − 1:
 *   e = max(0, floor(log2 v) − m),  index = (e << m) + (v >> e).
 * It is computed with 32-bit operations, so values from 2^31 µs (≈ 36 min) on are
 * recorded directly. A self-check at load compares the two paths' encodings and, should
 * a future version of the library index differently, falls back to direct recording.
 */
import { boundRecorder, createHistogram, encodeHistogram, type Histogram, type UsRecorder } from './histogram.ts';

const DIRECT_FROM = 2 ** 31;
/** Past this much count memory (~700 histograms of 3 digits) records go straight to the histograms. */
const MAX_BATCH_BYTES = 64 * 2 ** 20;

function halfCountMagnitude(significantDigits: 2 | 3): number {
  return Math.ceil(Math.log2(2 * 10 ** significantDigits)) - 1;
}

export class HistogramBatch {
  private readonly m: number;
  private readonly mask: number;
  /** Counts slots per histogram: indices of every value below 2^31. */
  private readonly span: number;
  private counts: Uint32Array | null = null;
  private readonly dirty: Uint8Array;
  private readonly direct: UsRecorder[];
  private readonly batched: boolean;

  /**
   * Records into `histograms` (all with `significantDigits`), addressed by their position.
   * `batched` is for the self-check; by default batching is on when the self-check passed.
   */
  constructor(
    readonly histograms: readonly Histogram[],
    significantDigits: 2 | 3,
    batched?: boolean,
  ) {
    this.m = halfCountMagnitude(significantDigits);
    this.mask = (2 << this.m) - 1;
    this.span = ((31 - this.m) << this.m) + (2 << this.m);
    this.dirty = new Uint8Array(histograms.length);
    this.direct = histograms.map(boundRecorder);
    this.batched = (batched ?? BATCHING_AGREES[significantDigits]) && histograms.length * this.span * 4 <= MAX_BATCH_BYTES;
  }

  /** Records `us` (a whole number of µs, ≥ 0) into histogram `h`. */
  record(h: number, us: number): void {
    if (us >= DIRECT_FROM || !this.batched) {
      this.direct[h]!(us);
      return;
    }
    const counts = this.counts ?? this.allocate();
    const e = 31 - Math.clz32(us | this.mask) - this.m;
    const i = h * this.span + (e << this.m) + (us >>> e);
    const c = counts[i]! + 1;
    if (c === 2 ** 32) {
      // A bucket is about to overflow its 32-bit count: hand it over now.
      this.histograms[h]!.recordValueWithCount(this.valueAt(i - h * this.span), c);
      counts[i] = 0;
    } else counts[i] = c;
    this.dirty[h] = 1;
  }

  /** Hands every pending count to its histogram. Call before a histogram is read. */
  flush(): void {
    const counts = this.counts;
    if (counts === null) return;
    for (let h = 0; h < this.histograms.length; h++) {
      if (this.dirty[h] === 0) continue;
      this.dirty[h] = 0;
      const hist = this.histograms[h]!;
      const base = h * this.span;
      for (let i = 0; i < this.span; i++) {
        const c = counts[base + i]!;
        if (c === 0) continue;
        hist.recordValueWithCount(this.valueAt(i), c);
        counts[base + i] = 0;
      }
    }
  }

  /** The lowest value of counts index `i` (the inverse of the index formula). */
  private valueAt(i: number): number {
    const m = this.m;
    if (i < 2 << m) return i;
    const e = (i >>> m) - 1;
    return (i - (e << m)) * 2 ** e;
  }

  /** Allocated on the first record: totals decoded from another thread never record. */
  private allocate(): Uint32Array {
    this.counts = new Uint32Array(this.histograms.length * this.span);
    return this.counts;
  }
}

/** Values that cross every bucket boundary below 2^31, for the self-check. */
function probeValues(): number[] {
  const out: number[] = [];
  for (let p = 0; p < 31; p++) for (const d of [-1, 0, 1, 3]) if (2 ** p + d >= 0) out.push(2 ** p + d);
  for (let v = 0; v < 3000; v += 7) out.push(v);
  out.push(DIRECT_FROM - 1, DIRECT_FROM, 86_399_999_999);
  return out;
}

function batchingAgrees(digits: 2 | 3): boolean {
  const direct = createHistogram(digits);
  const viaBatch = createHistogram(digits);
  const batch = new HistogramBatch([viaBatch], digits, true);
  for (const v of probeValues()) {
    direct.recordValue(v);
    batch.record(0, v);
  }
  batch.flush();
  const a = encodeHistogram(direct);
  const b = encodeHistogram(viaBatch);
  const same = a.length === b.length && a.every((x, i) => x === b[i]);
  direct.destroy();
  viaBatch.destroy();
  return same;
}

const BATCHING_AGREES: Record<2 | 3, boolean> = { 2: batchingAgrees(2), 3: batchingAgrees(3) };
