/** One cell of `lbsim compare`'s table: the mean and its 95% interval at the column's precision. */
import { describe, expect, it } from 'vitest';
import { estimateCell } from '../../src/workflows/compare-format.ts';
import type { Estimate } from '../../src/workflows/stats.ts';

const est = (mean: number, halfWidth: number, n = 5): Estimate => ({ mean, halfWidth, low: mean - halfWidth, high: mean + halfWidth, n });

describe('compare cell', () => {
  it('writes mean ±half-width in the column unit', () => {
    expect(estimateCell('p99', est(12.345, 0.5))).toBe('12.3 ±0.5ms');
    expect(estimateCell('p99', est(1500, 120))).toBe('1.50 ±0.12s');
    expect(estimateCell('errors', est(0.25, 0.01))).toBe('25.0% ±1.0%');
  });

  it('a half-width below the last digit reads as <that digit, never ±0', () => {
    expect(estimateCell('p99', est(5.25, 0.001))).toBe('5.25 ±<0.01ms');
    expect(estimateCell('p99', est(250, 0.2))).toBe('250 ±<1ms');
    expect(estimateCell('errors', est(0.25, 1e-7))).toBe('25.0% ±<0.01%');
    expect(estimateCell('maxQueue', est(3, 0.01))).toBe('3.0 ±<0.1');
    expect(estimateCell('imbalance', est(1.2, 1e-5))).toBe('1.200 ±<0.001');
  });

  it('the mean alone when the spread is exactly zero or unknown', () => {
    expect(estimateCell('p99', est(5.25, 0))).toBe('5.25ms');
    expect(estimateCell('p99', est(5.25, Number.NaN, 1))).toBe('5.25ms');
  });
});
