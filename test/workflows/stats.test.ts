import { describe, expect, it } from 'vitest';
import { streamKey, uniform } from '../../src/random/counter-rng.ts';
import { change, estimate, tQuantile975 } from '../../src/workflows/stats.ts';

/** Seeded standard normals (Box–Muller over the project's counter-based uniforms). */
function counterRng(seed: number) {
  const k = streamKey(seed, 0, 0);
  let i = 0;
  return { normal: () => Math.sqrt(-2 * Math.log(uniform(k.k1, k.k2, i++))) * Math.cos(2 * Math.PI * uniform(k.k1, k.k2, i++)) };
}

describe('Student t quantiles', () => {
  it('match the table and the normal limit', () => {
    expect(tQuantile975(1)).toBeCloseTo(12.706, 3);
    expect(tQuantile975(4)).toBeCloseTo(2.776, 3);
    expect(tQuantile975(30)).toBeCloseTo(2.042, 3);
    // Beyond the table: t(60) = 2.000, t(120) = 1.980, t(∞) = 1.960.
    expect(tQuantile975(60)).toBeCloseTo(2.0, 2);
    expect(tQuantile975(120)).toBeCloseTo(1.98, 2);
    expect(tQuantile975(1e9)).toBeCloseTo(1.96, 3);
  });
});

describe('confidence intervals', () => {
  it('cover the true mean about 95% of the time (seeded normal samples, n = 5)', () => {
    const rng = counterRng(12345);
    let covered = 0;
    const trials = 4000;
    for (let t = 0; t < trials; t++) {
      const xs = Array.from({ length: 5 }, () => 10 + 2 * rng.normal());
      const e = estimate(xs);
      if (Math.abs(e.mean - 10) <= e.halfWidth) covered++;
    }
    // Binomial sd at 95% over 4000 trials is 0.34%: 4 sd either side.
    expect(covered / trials).toBeGreaterThan(0.95 - 0.014);
    expect(covered / trials).toBeLessThan(0.95 + 0.014);
  });

  it('paired changes cancel shared noise; unpaired ones cannot', () => {
    const rng = counterRng(7);
    const before: number[] = [];
    const after: number[] = [];
    for (let r = 0; r < 5; r++) {
      const traffic = 100 * Math.exp(0.3 * rng.normal()); // seed-to-seed swing, shared by both
      before.push(traffic);
      after.push(traffic * 1.2 * (1 + 0.01 * rng.normal()));
    }
    const paired = change(before, after, true);
    const unpaired = change(before, after, false);
    expect(paired.relative).toBeGreaterThan(0.17);
    expect(paired.relative).toBeLessThan(0.23);
    expect(paired.relLow).toBeGreaterThan(0.1);
    expect(unpaired.relLow).toBeLessThan(0); // the same data, unpaired, proves nothing
    expect(paired.relHigh - paired.relLow).toBeLessThan((unpaired.relHigh - unpaired.relLow) / 5);
  });

  it('one replication has no interval: the change is untested, never significant', () => {
    for (const paired of [true, false]) {
      const c = change([100], [130], paired);
      expect(c.relative).toBeCloseTo(0.3, 12);
      expect(c.delta).toBe(30);
      expect(c.tested).toBe(false);
      expect([c.low, c.high, c.relLow, c.relHigh].every(Number.isNaN)).toBe(true);
    }
    // Unpaired, one side with a single run is untested too; two pairs are tested.
    expect(change([100, 110], [130], false).tested).toBe(false);
    expect(change([100, 110], [130, 128], true).tested).toBe(true);
    expect(estimate([5])).toMatchObject({ mean: 5, n: 1, halfWidth: Number.NaN, low: Number.NaN, high: Number.NaN });
  });

  it('every replication of each side alike (a fixed trace, a deterministic balancer): exact, with no interval rather than a zero-width one', () => {
    for (const paired of [true, false]) {
      const c = change([100, 100, 100], [117.8, 117.8, 117.8], paired);
      expect(c.exact).toBe(true);
      expect(c.tested).toBe(true);
      expect(c.relative).toBeCloseTo(0.178, 12);
      expect([c.low, c.high, c.relLow, c.relHigh].every(Number.isNaN)).toBe(true);
    }
    // One side varies: an estimate with its interval, as before.
    const v = change([100, 100, 100], [110, 120, 125], true);
    expect([v.exact, v.relLow < v.relative && v.relative < v.relHigh]).toEqual([false, true]);
    expect(change([100], [130], true).exact).toBe(false);
  });

  it('identical samples give a zero-width paired interval', () => {
    const c = change([1, 2, 3], [1, 2, 3], true);
    expect([c.delta, c.low, c.high, c.relative, c.relLow, c.relHigh]).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
