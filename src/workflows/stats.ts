/**
 * The statistics behind compare, diff and capacity: means with 95% confidence intervals
 * from independent replications (Student t), paired and unpaired. Replications are the
 * unit of evidence: one run's requests are correlated in time (queues carry over), so
 * their count says little about how precise a run's p99 is; independent seeds do.
 */

/** t quantile 0.975 (two-sided 95%) for 1..30 degrees of freedom. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064,
  2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];
const Z975 = 1.959964;

/** The 0.975 quantile of Student's t with `df` degrees of freedom (fractional df from Welch round down). */
export function tQuantile975(df: number): number {
  if (!(df >= 1)) return Number.POSITIVE_INFINITY;
  const d = Math.floor(df);
  if (d <= 30) return T975[d - 1]!;
  // Cornish-Fisher expansion around the normal quantile; within 1e-3 of the table at df = 30.
  const z = Z975;
  return z + (z ** 3 + z) / (4 * d) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * d * d);
}

export interface Estimate {
  mean: number;
  /** Half-width of the symmetric 95% t interval; NaN with fewer than two samples (no spread known). */
  halfWidth: number;
  /**
   * The 95% interval itself: mean ± halfWidth cut to the range the quantity can take
   * (`bounds`), so a latency's or an error share's interval never goes below 0. NaN with
   * fewer than two samples.
   */
  low: number;
  high: number;
  n: number;
}

/** The values a quantity can take: latencies and queues [0, ∞), shares [0, 1], max/mean ≥ 1. */
export interface Bounds {
  min?: number;
  max?: number;
}
export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length > 0 ? s / xs.length : Number.NaN;
}

/** Sample variance (n − 1). */
export function variance(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return s / (xs.length - 1);
}

/**
 * Mean and 95% CI of independent samples (one per replication).
 *
 * The interval is Student's t, intersected with `bounds`. Why cut rather than another
 * method: the true mean of a quantity that cannot be negative is never negative, so
 * removing the impossible part of an interval never removes the true value — the cut
 * interval covers it exactly as often as the t interval did (still 95%), and it stays an
 * interval for the arithmetic mean that is printed beside it. A log-scale interval would
 * be one for the geometric mean instead (and undefined for a zero, as an error share or a
 * queue often is); a Wilson interval on requests would treat one run's requests as
 * independent, which they are not (queues carry over), and come out far too narrow. A cut
 * bound (a lower end at 0) says honestly that the replications cannot tell the value from
 * 0: more replications narrow it.
 */
export function estimate(xs: readonly number[], bounds: Bounds = {}): Estimate {
  const n = xs.length;
  if (n < 2) return { mean: n === 1 ? xs[0]! : Number.NaN, halfWidth: Number.NaN, low: Number.NaN, high: Number.NaN, n };
  const m = mean(xs);
  const halfWidth = tQuantile975(n - 1) * Math.sqrt(variance(xs) / n);
  return { mean: m, halfWidth, low: Math.max(m - halfWidth, bounds.min ?? -Infinity), high: Math.min(m + halfWidth, bounds.max ?? Infinity), n };
}

/**
 * A change from `before` to `after`, as an estimate with a 95% CI. Paired when both ran
 * on the same seeds (common random numbers): the CI comes from the per-replication
 * differences, which cancels most of the traffic's noise. Unpaired: Welch's t.
 */
export interface Change {
  before: number;
  after: number;
  /** after − before (means). */
  delta: number;
  /** 95% CI of delta. */
  low: number;
  high: number;
  /** Relative change after/before − 1 and its CI (from log ratios when all values are positive); NaN when before is 0. */
  relative: number;
  relLow: number;
  relHigh: number;
  /**
   * Whether there is an interval at all: two or more pairs (paired), two or more runs a
   * side (unpaired). With one replication there is no spread to measure, so low, high,
   * relLow and relHigh are NaN (null in JSON) and the change cannot be significant.
   */
  tested: boolean;
  /**
   * Every replication of each side gave the same value (nothing the seed draws changes it:
   * a fixed trace through a deterministic balancer). The change is then exact for this
   * traffic, not an estimate: there is no interval (low, high, relLow, relHigh NaN, null in
   * JSON) rather than a zero-width one, and whether it matters is the threshold's call alone.
   */
  exact: boolean;
}

/** Two or more values, all the same. */
const constant = (xs: readonly number[]) => xs.length >= 2 && xs.every((x) => x === xs[0]);

export function change(before: readonly number[], after: readonly number[], paired: boolean): Change {
  const mb = mean(before);
  const ma = mean(after);
  const delta = ma - mb;
  const tested = paired ? before.length >= 2 : before.length >= 2 && after.length >= 2;
  const exact = tested && constant(before) && constant(after);
  const half = tested && !exact ? spread(before, after, paired) : Number.NaN;
  // The relative change is estimated on log ratios when every value is positive: a ratio's
  // interval is then a ratio too (never below −100%), and a geometric mean of per-seed
  // ratios is what "p99 rose by 20%" means across seeds.
  let relative = mb !== 0 ? delta / mb : Number.NaN;
  let relLow = mb !== 0 ? (delta - half) / mb : Number.NaN;
  let relHigh = mb !== 0 ? (delta + half) / mb : Number.NaN;
  if (before.every((x) => x > 0) && after.every((x) => x > 0)) {
    const lb = before.map(Math.log);
    const la = after.map(Math.log);
    const m = mean(la) - mean(lb);
    const h = tested && !exact ? spread(lb, la, paired) : Number.NaN;
    relative = Math.expm1(m);
    relLow = Math.expm1(m - h);
    relHigh = Math.expm1(m + h);
  }
  return { before: mb, after: ma, delta, low: delta - half, high: delta + half, relative, relLow, relHigh, tested, exact };
}

/** Half-width of the 95% CI of mean(after) − mean(before): paired t, or Welch's t. */
function spread(before: readonly number[], after: readonly number[], paired: boolean): number {
  if (paired) {
    if (before.length !== after.length) throw new Error('paired samples must have equal length');
    return estimate(after.map((a, i) => a - before[i]!)).halfWidth;
  }
  if (before.length < 2 || after.length < 2) return 0;
  const vb = variance(before) / before.length;
  const va = variance(after) / after.length;
  const se = Math.sqrt(vb + va);
  if (se === 0) return 0;
  // Welch–Satterthwaite degrees of freedom.
  const df = (vb + va) ** 2 / (vb ** 2 / (before.length - 1) + va ** 2 / (after.length - 1));
  return tQuantile975(df) * se;
}
