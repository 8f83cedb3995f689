import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReorderBuffer } from '../../src/traffic/readers/reorder.ts';

describe('reorder buffer', () => {
  it('releases a permutation of what came, sorted by arrival, ties in arrival order, each row whole; refuses only what is beyond the window', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 12 })), { minLength: 5000, maxLength: 12_000 }), fc.integer({ min: 0, max: 10 }), (steps, windowMs) => {
        const out: [number, number][] = [];
        // Every column of row i derives from i (its work): a row whose columns moved apart shows.
        let torn = 0;
        const buf = new ReorderBuffer(windowMs, (arrival, work, client, route, flags, uri) => {
          if (client !== work * 3 || route !== work * 5 || flags !== work % 2 || uri !== work * 7) torn++;
          out.push([arrival, work]);
        });
        let clock = 0;
        let maxSeen = Number.NEGATIVE_INFINITY;
        const kept: [number, number][] = [];
        let wrongVerdicts = 0;
        steps.forEach(([advance, late], i) => {
          clock += advance / 10;
          const t = clock - late;
          const ok = buf.push(t, i, i * 3, i * 5, i % 2, i * 7);
          if (ok !== !(t < maxSeen - windowMs)) wrongVerdicts++;
          if (ok) kept.push([t, i]);
          maxSeen = Math.max(maxSeen, t);
        });
        buf.flush();
        expect(wrongVerdicts).toBe(0);
        expect(torn).toBe(0);
        const want = [...kept].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(out).toEqual(want);
      }),
      { numRuns: 30, seed: 3 },
    );
  });
});
