/**
 * SyntheticTraffic.countByBlock(): the arrivals of each 1 s block, which a time-split run
 * on the thread pool sums to number the requests before any boundary chosen while it
 * runs (src/parallel/dynamic-windows.ts). A count one off would shift every request
 * number after it and change the balancers' random draws: checked against the arrivals
 * fill() generates, for constant rates, profiles and blocks with no traffic.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RequestChunk } from '../../src/traffic/source.ts';
import type { RatePoint } from '../../src/traffic/rate-profile.ts';
import { BLOCK_MS, SyntheticTraffic } from '../../src/traffic/synthetic.ts';

/** The arrivals fill() generates from block `first` on, counted per block. */
function filledPerBlock(source: SyntheticTraffic, first: number, durationMs: number): number[] {
  const counts = new Array<number>(Math.ceil(durationMs / BLOCK_MS) - first).fill(0);
  const chunk = new RequestChunk(1000);
  for (;;) {
    source.fill(chunk);
    if (chunk.count === 0) return counts;
    for (let i = 0; i < chunk.count; i++) counts[Math.floor(chunk.arrival[i]! / BLOCK_MS) - first]!++;
  }
}

const rateArb: fc.Arbitrary<number | RatePoint[]> = fc.oneof(
  fc.integer({ min: 0, max: 3000 }),
  // A profile whose points may be zero (blocks with no traffic) and may step (equal `at`s).
  fc.array(fc.record({ at: fc.integer({ min: 0, max: 12_000 }), rate: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 })) }), { minLength: 1, maxLength: 5 }),
);

describe('synthetic arrivals counted block by block', () => {
  it('equal the arrivals generated in each block, from any starting block', () => {
    fc.assert(
      fc.property(rateArb, fc.integer({ min: 1, max: 12_500 }), fc.nat(40), fc.nat(), (rate, durationMs, firstAsked, seed) => {
        const first = Math.min(firstAsked, Math.ceil(durationMs / BLOCK_MS) - 1);
        const spec = { rate, service: { distribution: 'exponential' as const, mean: 1 }, durationMs, seed };
        const counts = new SyntheticTraffic(spec, first).countByBlock();
        expect(counts).toEqual(filledPerBlock(new SyntheticTraffic(spec, first), first, durationMs));
        expect(counts.reduce((a, n) => a + n, 0)).toBe(new SyntheticTraffic(spec, first).count());
      }),
      { numRuns: 60 },
    );
  });

  it('a run with traffic only in its middle: zeros around the counted blocks', () => {
    const counts = new SyntheticTraffic({ rate: [{ at: 0, rate: 0 }, { at: 2000, rate: 0 }, { at: 2000, rate: 500 }, { at: 4000, rate: 500 }, { at: 4000, rate: 0 }], service: { distribution: 'exponential', mean: 1 }, durationMs: 6000, seed: 9 }).countByBlock();
    expect(counts).toHaveLength(6);
    expect([counts[0], counts[1], counts[4], counts[5]]).toEqual([0, 0, 0, 0]);
    // 500/s for 1 s each: Poisson(500), far from 0 and within 5 sd.
    for (const n of [counts[2]!, counts[3]!]) expect(Math.abs(n - 500)).toBeLessThan(5 * Math.sqrt(500));
  });
});
