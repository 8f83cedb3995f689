/**
 * The client counts behind `trace info`'s distinct clients and heaviest clients
 * (src/traffic/lbt/key-counts.ts): against a Map, on keys that collide in their low
 * bits, across growth, and at the cap.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyCounts } from '../../src/traffic/lbt/key-counts.ts';

describe('client counts', () => {
  it('counts like a Map: distinct clients, and the largest counts in order', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 2000 }).map((k) => (k << 8) >>> 0)), { maxLength: 6000 }), (keys) => {
        const c = new KeyCounts(1_000_000);
        const m = new Map<number, number>();
        for (const k of keys) {
          expect(c.add(k)).toBe(true);
          m.set(k, (m.get(k) ?? 0) + 1);
        }
        expect(c.size).toBe(m.size);
        expect(c.top(20)).toEqual([...m.values()].sort((a, b) => b - a).slice(0, 20));
      }),
      { numRuns: 200, seed: 9 },
    );
  });

  it('past the cap a new client is not counted (add says so); known ones still are', () => {
    const c = new KeyCounts(3);
    expect([1, 2, 3, 4].map((k) => c.add(k))).toEqual([true, true, true, false]);
    expect([c.add(2), c.add(2), c.size]).toEqual([true, true, 3]);
    expect(c.top(5)).toEqual([3, 1, 1]);
  });
});
