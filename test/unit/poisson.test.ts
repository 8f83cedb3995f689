/**
 * Poisson variates (src/random/poisson.ts), which set how many requests each block of
 * synthetic traffic holds: checked against the exact probability mass function by a
 * chi-square test, on both sides of the switch from the
 * multiplication method to PTRS (mean 10) and at the rates lbsim's scenarios use.
 *
 * Tolerance: the 0.1% critical value, over 1 M variates per mean: enough to catch a PTRS
 * constant changed in its second digit, or its acceptance test loosened by 5% (each tried:
 * every one failed here; with 20 000 variates none did).
 */
import { describe, expect, it } from 'vitest';
import { streamKey } from '../../src/random/counter-rng.ts';
import { logGamma, poissonVariate } from '../../src/random/poisson.ts';
import { chiSquareCritical } from '../helpers/stats.ts';

function variates(mean: number, seed: number, n = 1_000_000): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const { k1, k2 } = streamKey(seed, 99, i);
    out[i] = poissonVariate(mean, k1, k2);
  }
  return out;
}

/** ln P(X = k) for X ~ Poisson(mean), with ln k! summed directly (independent of logGamma). */
function logPmf(mean: number): (k: number) => number {
  const lnFactorial = [0];
  return (k) => {
    for (let i = lnFactorial.length; i <= k; i++) lnFactorial.push(lnFactorial[i - 1]! + Math.log(i));
    return k * Math.log(mean) - mean - lnFactorial[k]!;
  };
}

/** Pearson's chi-square of the variates against Poisson(mean), in bins of expected count ≥ 5 (tails pooled); and its degrees of freedom. */
function chiSquareAgainstPmf(xs: Int32Array, mean: number): { chi2: number; df: number } {
  const N = xs.length;
  const lp = logPmf(mean);
  const hi = Math.ceil(mean + 12 * Math.sqrt(mean) + 20);
  const expected: number[] = [];
  for (let k = 0; k <= hi; k++) expected.push(N * Math.exp(lp(k)));
  const observed = new Array<number>(hi + 1).fill(0);
  for (const x of xs) observed[Math.min(x, hi)]!++;
  // Bins from the left until each holds ≥ 5 expected; the last bin takes the rest of the tail.
  const bins: { o: number; e: number }[] = [];
  let o = 0;
  let e = 0;
  for (let k = 0; k <= hi; k++) {
    o += observed[k]!;
    e += expected[k]!;
    if (e >= 5) {
      bins.push({ o, e });
      o = 0;
      e = 0;
    }
  }
  const last = bins[bins.length - 1]!;
  last.o += o;
  last.e += e + Math.max(0, N - expected.reduce((a, b) => a + b, 0));
  let chi2 = 0;
  for (const b of bins) chi2 += (b.o - b.e) ** 2 / b.e;
  return { chi2, df: bins.length - 1 };
}

describe('poissonVariate', () => {
  for (const mean of [0.4, 3, 9.99, 10, 37.5, 1000, 11_200]) {
    it(`mean ${mean}: follows the Poisson distribution (chi-square against the exact pmf)`, () => {
      const xs = variates(mean, 7);
      const { chi2, df } = chiSquareAgainstPmf(xs, mean);
      expect(chi2).toBeLessThan(chiSquareCritical(df));
      // Not too good to be true either (a sampler copying the pmf's shape without randomness).
      expect(chi2).toBeGreaterThan(chiSquareCritical(df, -3.0902));
    });
  }

  it('a mean of 0 (a block without traffic) gives 0', () => {
    expect(poissonVariate(0, 1, 2)).toBe(0);
    expect(poissonVariate(-1e-18, 1, 2)).toBe(0);
  });

  it('is a pure function of (mean, stream)', () => {
    expect(variates(250, 3, 1000)).toEqual(variates(250, 3, 1000));
    expect(variates(250, 3, 1000)).not.toEqual(variates(250, 4, 1000));
  });

  it('a mean off by 1% would be caught', () => {
    const { chi2, df } = chiSquareAgainstPmf(variates(1010, 7, 20_000), 1000);
    expect(chi2).toBeGreaterThan(chiSquareCritical(df));
  });
});

describe('logGamma', () => {
  it('is ln (x − 1)! at integers, and ln √π at ½', () => {
    let lnFactorial = 0;
    for (let x = 1; x <= 300; x++) {
      expect(Math.abs(logGamma(x) - lnFactorial)).toBeLessThanOrEqual(1e-13 * Math.max(1, lnFactorial));
      lnFactorial += Math.log(x);
    }
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
  });
});
