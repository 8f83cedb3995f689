/**
 * A synthetic rate profile: λ(t) interpolated linearly between points, and within one block
 * of the generator (synthetic.ts) its integral (the block's expected arrivals) and the
 * inverse of that integral (where the arrival at a given share of the block falls).
 */

export interface RatePoint {
  /** ms from the start */
  at: number;
  /** requests per second */
  rate: number;
}

/** λ(t) of a profile, per second. Before the first point and after the last the rate is flat; equal `at`s make a step. */
export function rateAt(profile: readonly RatePoint[], t: number): number {
  if (t < profile[0]!.at) return profile[0]!.rate;
  for (let i = profile.length - 1; i >= 0; i--) {
    const p = profile[i]!;
    if (t >= p.at) {
      const q = profile[i + 1];
      if (q === undefined || q.at === p.at) return p.rate;
      return p.rate + ((q.rate - p.rate) * (t - p.at)) / (q.at - p.at);
    }
  }
  return profile[profile.length - 1]!.rate;
}

/**
 * λ over one block [from, to) as linear pieces cut at the profile's points: its integral
 * `total` (expected arrivals), and place() puts arrivals where their share of it is reached.
 * Reused block after block (set()); the arrays hold one piece per profile point, plus one.
 */
export class BlockRate {
  /** Expected arrivals in the block. */
  total = 0;
  private pieces = 0;
  private readonly start: Float64Array;
  /** λ at the piece's start, per ms (the right limit at a step). */
  private readonly rate0: Float64Array;
  /** dλ/dt within the piece, per ms². */
  private readonly slope: Float64Array;
  private readonly length: Float64Array;
  /** Expected arrivals before the piece. */
  private readonly before: Float64Array;

  constructor(private readonly profile: readonly RatePoint[]) {
    const n = profile.length + 1;
    this.start = new Float64Array(n);
    this.rate0 = new Float64Array(n);
    this.slope = new Float64Array(n);
    this.length = new Float64Array(n);
    this.before = new Float64Array(n);
  }

  /** The block [from, to), to > from. */
  set(from: number, to: number): void {
    const profile = this.profile;
    let pieces = 0;
    let total = 0;
    let i = 0;
    let a = from;
    while (a < to) {
      // The next cut: the first profile point after a (points at a itself are where this piece starts).
      while (i < profile.length && profile[i]!.at <= a) i++;
      const b = i < profile.length ? Math.min(profile[i]!.at, to) : to;
      const len = b - a;
      // λ is linear on (a, b): its right limit at a and its value at the midpoint give the line.
      const r0 = rateAt(profile, a) / 1000;
      const slope = (2 * (rateAt(profile, a + len / 2) / 1000 - r0)) / len;
      this.start[pieces] = a;
      this.rate0[pieces] = r0;
      this.slope[pieces] = slope;
      this.length[pieces] = len;
      this.before[pieces] = total;
      total += r0 * len + (slope * len * len) / 2;
      pieces++;
      a = b;
    }
    this.pieces = pieces;
    this.total = total;
  }

  /**
   * Places `n` arrivals in the block: arrival k at the t where ∫ λ over [from, t) reaches
   * its share `times[k] / total` of `this.total` (the normalised spacings the caller put in
   * `times`, increasing), written back over it, clamped to [previous arrival, last].
   *
   * The whole loop is here, with no time returned per arrival: a double handed back by a
   * call V8 did not inline is a heap number.
   */
  place(times: Float64Array, n: number, total: number, start: number, last: number): void {
    const before = this.before;
    const pieces = this.pieces;
    const expected = this.total;
    let p = 0;
    for (let k = 0; k < n; k++) {
      const y = (times[k]! / total) * expected;
      // Pieces of rate 0 hold no arrivals: pass them. y only grows, so p does too.
      while (p + 1 < pieces && (y > before[p + 1]! || before[p + 1] === before[p])) p++;
      const r = y - before[p]!;
      const r0 = this.rate0[p]!;
      // Solves r0·s + slope·s²/2 = r for s, in the form without cancellation (slope may be 0 or negative).
      const s = r > 0 ? Math.min((2 * r) / (r0 + Math.sqrt(Math.max(0, r0 * r0 + 2 * this.slope[p]! * r))), this.length[p]!) : 0;
      // Its predecessor read back from `times`, not carried in a variable (synthetic.ts says why).
      times[k] = Math.max(k === 0 ? Math.min(start, last) : times[k - 1]!, Math.min(last, r > 0 ? this.start[p]! + s : this.start[p]!));
    }
  }
}
