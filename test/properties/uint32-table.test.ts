/**
 * src/collections/uint32-table.ts against a Map: any mix of inserts, updates and removals
 * (backward-shift deletion) leaves the same keys with the same values, and lookups of
 * removed keys fail, across growths and with keys that collide in their low bits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Uint32Table } from '../../src/collections/uint32-table.ts';

describe('Uint32Table', () => {
  it('property: behaves as a Map of uint32 keys under inserts, updates and removals', () => {
    // Keys from a small pool (many repeats and removals of present keys), some sharing their low bits.
    const key = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }).map((k) => (k << 12) >>> 0), fc.nat({ max: 0xffffffff }));
    const op = fc.tuple(fc.constantFrom('set', 'set', 'remove'), key, fc.double({ noNaN: true }));
    fc.assert(
      fc.property(fc.array(op, { minLength: 200, maxLength: 3000 }), (ops) => {
        const table = new Uint32Table(2);
        const model = new Map<number, number>();
        for (const [kind, k, v] of ops) {
          if (kind === 'set') {
            const s = table.slotFor(k);
            table.values[2 * s] = v;
            table.values[2 * s + 1] = k;
            model.set(k, v);
          } else {
            const s = table.find(k);
            expect(s >= 0).toBe(model.has(k));
            if (s >= 0) table.remove(s);
            model.delete(k);
          }
        }
        expect(table.size).toBe(model.size);
        for (const [k, v] of model) {
          const s = table.find(k);
          expect(s).toBeGreaterThanOrEqual(0);
          expect([table.values[2 * s], table.values[2 * s + 1]]).toEqual([v, k]);
        }
        for (const [, k] of ops) if (!model.has(k)) expect(table.find(k)).toBe(-1);
      }),
      { numRuns: 200 },
    );
  });
});
