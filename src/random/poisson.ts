/**
 * Poisson variates from a counter-based stream (counter-rng.ts): the number of arrivals in
 * a block of synthetic traffic (src/traffic/synthetic.ts), drawn before any arrival so a
 * time-split run numbers the requests of any window without generating those before it.
 *
 * Exact methods, as numpy's legacy generator has them (`random_poisson_mult` and
 * `random_poisson_ptrs`): below a mean of 10, Knuth's multiplication method; from 10 up,
 * Hörmann's transformed rejection with squeeze, PTRS ("The transformed rejection method
 * for generating Poisson random variables", Insurance: Mathematics and Economics 12,
 * 1993), whose expected number of uniform pairs stays small and bounded whatever the mean. Written here, not taken
 * from a package: @stdlib/random-base-poisson does the same in 235 packages (25 MB).
 *
 * Draw i of the stream is counter i: a variate is a pure function of (stream, mean).
 */
import { uniformBits, unitOf } from './counter-rng.ts';

/** Below this mean, the multiplication method (its cost grows with the mean); from it up, PTRS. */
const PTRS_FROM = 10;

/** A Poisson(mean) variate from the stream (k1, k2), its draws at counters 0, 1, 2, … */
export function poissonVariate(mean: number, k1: number, k2: number): number {
  if (!(mean > 0)) return 0;
  return mean < PTRS_FROM ? multiplication(mean, k1, k2) : ptrs(mean, k1, k2);
}

/** Knuth: the number of uniforms whose running product stays above e^-mean. */
function multiplication(mean: number, k1: number, k2: number): number {
  const limit = Math.exp(-mean);
  let product = 1;
  for (let k = 0; ; k++) {
    product *= unitOf(uniformBits(k1, k2, k));
    if (product <= limit) return k;
  }
}

/** Hörmann's PTRS; the constants are the paper's (and numpy's). */
function ptrs(mean: number, k1: number, k2: number): number {
  const slam = Math.sqrt(mean);
  const loglam = Math.log(mean);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (let c = 0; ; c += 2) {
    const u = unitOf(uniformBits(k1, k2, c)) - 0.5;
    const v = unitOf(uniformBits(k1, k2, c + 1));
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    // The squeeze: most pairs are accepted here, without a logarithm.
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -mean + k * loglam - logGamma(k + 1)) return k;
  }
}

/** Stirling's series for ln Γ(x), x > 0, shifted up to 7 for small x (numpy's `loggam`): ~1e-15 relative. */
const STIRLING = [8.333333333333333e-2, -2.777777777777778e-3, 7.936507936507937e-4, -5.952380952380952e-4, 8.417508417508418e-4, -1.917526917526918e-3, 6.41025641025641e-3, -2.955065359477124e-2, 1.796443723688307e-1, -1.3924322169059];
const LN_2PI = 1.8378770664093453;

export function logGamma(x: number): number {
  if (x === 1 || x === 2) return 0;
  const n = x < 7 ? Math.floor(7 - x) : 0;
  let x0 = x + n;
  const x2 = 1 / (x0 * x0);
  let series = STIRLING[9]!;
  for (let k = 8; k >= 0; k--) series = series * x2 + STIRLING[k]!;
  let gl = series / x0 + 0.5 * LN_2PI + (x0 - 0.5) * Math.log(x0) - x0;
  for (let k = 1; k <= n; k++) {
    gl -= Math.log(x0 - 1);
    x0 -= 1;
  }
  return gl;
}
