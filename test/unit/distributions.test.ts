/**
 * Service-time distributions and Zipf keys, sampled through the counter-based generator as
 * the traffic source does. Tolerances are 4 standard errors of the estimate (computed from
 * the distribution's own variance), so a wrong parameterisation (e.g. lognormal's mu
 * without the -sigma^2/2 correction, +12% on the mean at cv 0.5) fails by far.
 */
import { describe, expect, it } from 'vitest';
import { Purpose, streamKey, uniformBits } from '../../src/random/counter-rng.ts';
import { ServiceSampler, type ServiceSpec, ZipfSampler } from '../../src/random/distributions.ts';
import { chiSquare, chiSquareCritical, cv, mean } from '../helpers/stats.ts';

const N = 400_000;

function sample(spec: ServiceSpec, n = N, seed = 11): Float64Array {
  const s = new ServiceSampler(spec);
  const k1 = streamKey(seed, Purpose.Work, 0);
  const k2 = streamKey(seed, Purpose.WorkAux, 0);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) s.sampleInto(out, i, uniformBits(k1.k1, k1.k2, i), uniformBits(k2.k1, k2.k2, i));
  return out;
}

function tailShare(xs: Float64Array, x: number): number {
  let c = 0;
  for (const v of xs) if (v > x) c++;
  return c / xs.length;
}

/** |observed − p| within 4 binomial standard errors. */
function expectShare(observed: number, p: number, n: number): void {
  expect(Math.abs(observed - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
}

describe('ServiceSampler', () => {
  it('constant: every sample is the mean', () => {
    const xs = sample({ distribution: 'constant', mean: 4 }, 1000);
    expect(new Set(xs)).toEqual(new Set([4]));
  });

  it('exponential: mean, cv 1 and the tail P(X > m ln 100) = 1%', () => {
    const xs = sample({ distribution: 'exponential', mean: 4 });
    expect(Math.abs(mean(xs) / 4 - 1)).toBeLessThan(4 / Math.sqrt(N)); // sd of mean / mean = cv/sqrt(n)
    // sd of the sample cv of an exponential is about sqrt(2/n) (kurtosis 9: sqrt((9-1)/4n)).
    expect(Math.abs(cv(xs) - 1)).toBeLessThan(4 * Math.sqrt(2 / N));
    expectShare(tailShare(xs, 4 * Math.log(100)), 0.01, N);
  });

  it('lognormal: mean and cv as configured (cv 0.5 and 2)', () => {
    const a = sample({ distribution: 'lognormal', mean: 10, cv: 0.5 });
    expect(Math.abs(mean(a) / 10 - 1)).toBeLessThan((4 * 0.5) / Math.sqrt(N));
    // Lognormal with cv 0.5 has kurtosis 8.0, so the sample cv has sd ≈ cv·sqrt((8−1)/(4n)).
    expect(Math.abs(cv(a) / 0.5 - 1)).toBeLessThan(4 * Math.sqrt(7 / (4 * N)));
    const b = sample({ distribution: 'lognormal', mean: 10, cv: 2 });
    expect(Math.abs(mean(b) / 10 - 1)).toBeLessThan((4 * 2) / Math.sqrt(N));
    // Median of a lognormal is mean / sqrt(1 + cv^2): half the samples lie below it.
    expectShare(1 - tailShare(b, 10 / Math.sqrt(5)), 0.5, N);
  });

  it('pareto: mean, and the tail P(X > x) = (xm/x)^alpha at several x', () => {
    const alpha = 2.5;
    const xs = sample({ distribution: 'pareto', mean: 5, shape: alpha });
    const xm = (5 * (alpha - 1)) / alpha;
    const cvPareto = Math.sqrt(1 / (alpha * (alpha - 2)));
    expect(Math.abs(mean(xs) / 5 - 1)).toBeLessThan((4 * cvPareto) / Math.sqrt(N));
    expect(Math.min(...xs.subarray(0, 10_000))).toBeGreaterThanOrEqual(xm);
    for (const x of [1.5 * xm, 3 * xm, 10 * xm]) expectShare(tailShare(xs, x), (xm / x) ** alpha, N);
  });
});

describe('ZipfSampler', () => {
  function frequencies(n: number, skew: number, draws: number): Float64Array {
    const z = new ZipfSampler(n, skew);
    const k = streamKey(5, Purpose.Client, 0);
    const counts = new Float64Array(n);
    for (let i = 0; i < draws; i++) counts[z.keyOf(uniformBits(k.k1, k.k2, i))]!++;
    return counts;
  }

  function expected(n: number, skew: number, draws: number): Float64Array {
    const w = Float64Array.from({ length: n }, (_, k) => 1 / (k + 1) ** skew);
    const total = w.reduce((a, b) => a + b, 0);
    return w.map((x) => (x / total) * draws);
  }

  it.each([
    [50, 0],
    [50, 0.8],
    [200, 1.1],
  ])('n=%i skew=%f: key k has probability ∝ 1/(k+1)^skew (chi-square)', (n, skew) => {
    const draws = 500_000;
    expect(chiSquare(frequencies(n, skew, draws), expected(n, skew, draws))).toBeLessThan(chiSquareCritical(n - 1));
  });

  it('maps the draw monotonically onto 0..n-1, reaching both ends; one key is always 0', () => {
    const z = new ZipfSampler(10, 1);
    let last = 0;
    // Bits as the generator draws them: signed 32-bit integers, whose unsigned value orders the uniforms.
    for (let u = 0; u < 2 ** 32; u += 2 ** 22) {
      const k = z.keyOf(u | 0);
      expect(k).toBeGreaterThanOrEqual(last);
      last = k;
    }
    expect(z.keyOf(0)).toBe(0);
    expect(z.keyOf(-1)).toBe(9);
    expect(new ZipfSampler(1, 1.2).keyOf(0x7fffffff)).toBe(0);
  });
});
