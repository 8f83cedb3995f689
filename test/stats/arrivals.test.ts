/**
 * Synthetic arrivals are a Poisson process of the configured rate: counts in disjoint
 * windows are independent Poisson variables whose means integrate the rate profile
 * (constant, piecewise-linear, steps), generated 1 s block by block. Counts
 * come straight from the traffic source (no engine), so these tests are fast.
 *
 * Tolerances: a Poisson count of mean m has sd sqrt(m); sums of squared standardised
 * deviations over k windows are chi-square with k degrees of freedom, checked at the
 * 0.1% critical value. A rate off by 2% over 600 k arrivals is 15 sd away.
 */
import { describe, expect, it } from 'vitest';
import { RequestChunk } from '../../src/traffic/source.ts';
import { rateAt, type RatePoint } from '../../src/traffic/rate-profile.ts';
import { SyntheticTraffic } from '../../src/traffic/synthetic.ts';
import { chiSquareCritical, Z_999 } from '../helpers/stats.ts';

/** Arrivals per window of `windowMs` over the whole run (checking they come in time order, before the end). */
function countArrivals(rate: number | RatePoint[], durationMs: number, windowMs: number, seed = 1): Float64Array {
  const source = new SyntheticTraffic({ rate, service: { distribution: 'exponential', mean: 1 }, durationMs, seed });
  const chunk = new RequestChunk(4096);
  const counts = new Float64Array(Math.ceil(durationMs / windowMs));
  let last = 0;
  let outOfOrder = 0;
  for (;;) {
    source.fill(chunk);
    if (chunk.count === 0) break;
    for (let i = 0; i < chunk.count; i++) {
      const t = chunk.arrival[i]!;
      if (t < last || t >= durationMs) outOfOrder++;
      last = t;
      counts[Math.floor(t / windowMs)]!++;
    }
  }
  expect(outOfOrder, 'arrivals out of order or past the end').toBe(0);
  return counts;
}

/** ∫ rate over [from, to) in requests (rate per second, times in ms), by the midpoint rule on 1 ms steps. */
function expectedCount(profile: RatePoint[], from: number, to: number): number {
  let sum = 0;
  for (let t = from; t < to; t += 1) sum += rateAt(profile, t + 0.5) / 1000;
  return sum;
}

describe('synthetic arrivals', () => {
  it('a constant rate: the total is Poisson(λT), and counts per 100 ms are Poisson (dispersion index 1, across block boundaries too)', () => {
    const rate = 2000;
    const counts = countArrivals(rate, 300_000, 100);
    const m = rate / 10;
    const total = counts.reduce((a, b) => a + b, 0);
    expect(Math.abs(total - rate * 300)).toBeLessThan(Z_999 * Math.sqrt(rate * 300));
    // Chi-square of the window counts against Poisson(m): k = 3000 windows.
    let chi2 = 0;
    for (const c of counts) chi2 += (c - m) ** 2 / m;
    expect(chi2).toBeLessThan(chiSquareCritical(counts.length));
    // ... and not under-dispersed either (a regular, non-random stream would pass above).
    expect(chi2).toBeGreaterThan(chiSquareCritical(counts.length, -Z_999));
  });

  it('a duration ending inside a block: the last, partial block gets the rate times its own length', () => {
    // 2.25 s at 100 000/s: 225 000 arrivals (Poisson, sd 474), 25 000 in the last 250 ms
    // (sd 158), each within Z_999 (3.09) sd. Giving the partial block a whole
    // block's mean would put 100 000 there: ~470 sd off.
    const rate = 100_000;
    const counts = countArrivals(rate, 2250, 250, 3);
    const total = counts.reduce((a, b) => a + b, 0);
    expect(Math.abs(total - 225_000)).toBeLessThan(Z_999 * Math.sqrt(225_000));
    expect(Math.abs(counts[counts.length - 1]! - 25_000)).toBeLessThan(Z_999 * Math.sqrt(25_000));
  });

  it('counts in neighbouring windows are uncorrelated (independent increments)', () => {
    const counts = countArrivals(5000, 200_000, 50, 7);
    const m = counts.reduce((a, b) => a + b, 0) / counts.length;
    let num = 0;
    let den = 0;
    for (let i = 0; i < counts.length; i++) {
      den += (counts[i]! - m) ** 2;
      if (i + 1 < counts.length) num += (counts[i]! - m) * (counts[i + 1]! - m);
    }
    expect(Math.abs(num / den)).toBeLessThan(Z_999 / Math.sqrt(counts.length));
  });

  it('a piecewise-linear profile with a step: counts per second follow ∫λ(t)dt', () => {
    const profile: RatePoint[] = [
      { at: 0, rate: 500 },
      { at: 60_000, rate: 3000 },
      { at: 90_000, rate: 3000 },
      { at: 90_000, rate: 200 }, // a step down
      { at: 150_000, rate: 1200 },
    ];
    const counts = countArrivals(profile, 180_000, 1000, 3);
    let chi2 = 0;
    for (let s = 0; s < counts.length; s++) {
      const m = expectedCount(profile, s * 1000, (s + 1) * 1000);
      chi2 += (counts[s]! - m) ** 2 / m;
    }
    expect(chi2).toBeLessThan(chiSquareCritical(counts.length));
    // The step is sharp: the second after it has the low rate.
    expect(Math.abs(counts[90]! - 200)).toBeLessThan(Z_999 * Math.sqrt(200));
  });

  it('within a block too: a steep ramp, a step and a silent stretch inside blocks, counted per 50 ms', () => {
    // Blocks are 1 s: each arrival's place inside its block comes from inverting the rate's
    // integral there, which the per-second test above cannot see.
    const profile: RatePoint[] = [
      { at: 0, rate: 0 },
      { at: 10_250, rate: 0 },
      { at: 10_250, rate: 4000 }, // a step up a quarter into a block
      { at: 30_700, rate: 200 }, // a steep ramp down, ending inside a block
      { at: 40_000, rate: 6000 },
      { at: 50_500, rate: 0 }, // down to nothing, then silence to the end
    ];
    const counts = countArrivals(profile, 60_000, 50, 9);
    let chi2 = 0;
    let df = 0;
    for (let w = 0; w < counts.length; w++) {
      const m = expectedCount(profile, w * 50, (w + 1) * 50);
      if (m === 0) {
        expect(counts[w], `arrivals in silent window ${w}`).toBe(0);
        continue;
      }
      chi2 += (counts[w]! - m) ** 2 / m;
      df++;
    }
    expect(chi2).toBeLessThan(chiSquareCritical(df));
    expect(chi2).toBeGreaterThan(chiSquareCritical(df, -Z_999));
  });

  it('the same seed gives the same arrivals; another seed different ones', () => {
    const a = countArrivals(1000, 20_000, 10, 5);
    expect(countArrivals(1000, 20_000, 10, 5)).toEqual(a);
    expect(countArrivals(1000, 20_000, 10, 6)).not.toEqual(a);
  });
});
