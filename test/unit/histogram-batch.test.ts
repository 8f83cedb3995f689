import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHistogram, encodeHistogram, HIGHEST_TRACKABLE_US } from '../../src/metrics/histogram.ts';
import { HistogramBatch } from '../../src/metrics/histogram-batch.ts';

/** Records `values` into histogram 0 of a batch, and directly into another histogram. */
function bothWays(values: number[], digits: 2 | 3, batched?: boolean): { direct: Uint8Array; batch: Uint8Array } {
  const direct = createHistogram(digits);
  const target = createHistogram(digits);
  const batch = new HistogramBatch([createHistogram(digits), target], digits, batched);
  for (const v of values) {
    direct.recordValue(Math.min(v, HIGHEST_TRACKABLE_US));
    batch.record(1, v);
  }
  batch.flush();
  const out = { direct: encodeHistogram(direct), batch: encodeHistogram(target) };
  expect(batch.histograms[0]!.totalCount).toBe(0);
  direct.destroy();
  for (const h of batch.histograms) h.destroy();
  return out;
}

describe('HistogramBatch', () => {
  it('gives the histogram exactly the counts direct recording gives (2 and 3 digits, any µs value)', () => {
    const value = fc.oneof(
      fc.integer({ min: 0, max: 5000 }),
      fc.integer({ min: 0, max: 2 ** 31 + 10 }),
      fc.integer({ min: 0, max: HIGHEST_TRACKABLE_US }),
    );
    fc.assert(
      fc.property(fc.array(value, { maxLength: 300 }), fc.constantFrom<2 | 3>(2, 3), (values, digits) => {
        const { direct, batch } = bothWays(values, digits, true);
        expect(batch).toEqual(direct);
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('is batching (not silently recording directly) on this version of hdr-histogram-js', () => {
    // The self-check in histogram-batch.ts turns batching off if the library's bucket
    // index ever differs; then this fails, and the speed loss does not go unnoticed.
    const target = createHistogram(3);
    const batch = new HistogramBatch([target], 3);
    batch.record(0, 1234);
    expect(target.totalCount).toBe(0);
    batch.flush();
    expect(target.totalCount).toBe(1);
    target.destroy();
  });

  it('reading the histograms of Totals flushes pending records', async () => {
    const { Totals } = await import('../../src/metrics/totals.ts');
    const t = new Totals(2);
    t.recordLatency(1, 5000);
    t.recordLatency(1, 7000);
    expect(t.histograms[1]!.totalCount).toBe(2);
    expect(t.histograms[0]!.totalCount).toBe(0);
    t.destroy();
  });
});
