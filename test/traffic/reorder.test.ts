import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReorderBuffer } from '../../src/traffic/readers/reorder.ts';

describe('reorder buffer', () => {
  it('releases a permutation of what came, sorted by arrival, ties in arrival order; refuses only what is beyond the window', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 12 })), { minLength: 5000, maxLength: 12_000 }), fc.integer({ min: 0, max: 10 }), (steps, windowMs) => {
        const out: [number, number][] = [];
        const buf = new ReorderBuffer(windowMs, (arrival, work) => out.push([arrival, work]));
        let clock = 0;
        let maxSeen = Number.NEGATIVE_INFINITY;
        const kept: [number, number][] = [];
        let wrongVerdicts = 0;
        steps.forEach(([advance, late], i) => {
          clock += advance / 10;
          const t = clock - late;
          const ok = buf.push(t, i, 0, 0, 0);
          if (ok !== !(t < maxSeen - windowMs)) wrongVerdicts++;
          if (ok) kept.push([t, i]);
          maxSeen = Math.max(maxSeen, t);
        });
        buf.flush();
        expect(wrongVerdicts).toBe(0);
        const want = [...kept].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(out).toEqual(want);
      }),
      { numRuns: 30, seed: 3 },
    );
  });
});
