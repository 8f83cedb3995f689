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
  /** Half-width of the 95% confidence interval; 0 with one sample (no spread known), NaN with none. */
  halfWidth: number;
  n: number;
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

/** Mean and 95% CI of independent samples. */
export function estimate(xs: readonly number[]): Estimate {
  const n = xs.length;
  if (n === 0) return { mean: Number.NaN, halfWidth: Number.NaN, n };
  if (n === 1) return { mean: xs[0]!, halfWidth: 0, n };
  return { mean: mean(xs), halfWidth: tQuantile975(n - 1) * Math.sqrt(variance(xs) / n), n };
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
}

export function change(before: readonly number[], after: readonly number[], paired: boolean): Change {
  const mb = mean(before);
  const ma = mean(after);
  const delta = ma - mb;
  const half = spread(before, after, paired);
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
    const h = spread(lb, la, paired);
    relative = Math.expm1(m);
    relLow = Math.expm1(m - h);
    relHigh = Math.expm1(m + h);
  }
  return { before: mb, after: ma, delta, low: delta - half, high: delta + half, relative, relLow, relHigh };
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
