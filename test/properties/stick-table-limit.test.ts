/**
 * src/balancers/stick-table-limit.ts against a plain reference of the same HAProxy walk
 * (stktable_trash_expired, then stktable_trash_oldest with its lazy re-insertion and
 * max_search), written as directly as possible: the nodes in an array, the smallest found
 * by a scan. Random stores and touches of clients at non-decreasing times must leave both
 * tables holding the same clients, and give the same answer to every makeRoom.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StickTableLimit } from '../../src/balancers/stick-table-limit.ts';
import { Uint32Table } from '../../src/collections/uint32-table.ts';

/** The reference: one node per entry, the node with the smallest (key, insertion) first. */
class Reference {
  nodes: { t: number; seq: number; client: number }[] = [];
  used = new Map<number, number>();
  private seq = 0;
  constructor(
    readonly size: number,
    readonly maxIdleMs: number,
  ) {}
  private popMin() {
    let best = 0;
    for (let i = 1; i < this.nodes.length; i++) {
      const a = this.nodes[i]!;
      const b = this.nodes[best]!;
      if (a.t < b.t || (a.t === b.t && a.seq < b.seq)) best = i;
    }
    return this.nodes.splice(best, 1)[0]!;
  }
  private peekMin() {
    const n = this.popMin();
    this.nodes.push(n);
    return n;
  }
  push(t: number, client: number) {
    this.nodes.push({ t, seq: this.seq++, client });
  }
  makeRoom(now: number): boolean {
    while (this.nodes.length > 0 && now - this.peekMin().t > this.maxIdleMs) {
      const n = this.popMin();
      const used = this.used.get(n.client)!;
      if (used !== n.t && now - used <= this.maxIdleMs) this.push(used, n.client);
      else this.used.delete(n.client);
    }
    if (this.used.size < this.size) return true;
    const batch = Math.floor(this.size / 256) + 1;
    let trashed = 0;
    for (let search = 2 * batch; trashed < batch && this.nodes.length > 0 && --search >= 0; ) {
      const n = this.popMin();
      const used = this.used.get(n.client)!;
      if (used !== n.t) {
        this.push(used, n.client);
        continue;
      }
      this.used.delete(n.client);
      trashed++;
    }
    return trashed > 0;
  }
}

describe('StickTableLimit', () => {
  it('property: holds the same clients as the reference walk, whatever the stores and touches', () => {
    const op = fc.record({ client: fc.integer({ min: 0, max: 40 }), dt: fc.constantFrom(0, 0, 1, 3, 20) });
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 5, 17, 300), fc.constantFrom(15, 60, Number.POSITIVE_INFINITY), fc.array(op, { minLength: 50, maxLength: 600 }), (size, maxIdleMs, ops) => {
        const table = new Uint32Table(3);
        const limit = new StickTableLimit(size, table, 2, maxIdleMs);
        const ref = new Reference(size, maxIdleMs);
        let now = 0;
        for (const { client, dt } of ops) {
          now += dt;
          const slot = table.find(client);
          expect(slot >= 0).toBe(ref.used.has(client));
          if (slot >= 0) {
            // A touch: a match (the entry's expiry moves; its node stays where it is).
            table.values[3 * slot + 2] = now;
            ref.used.set(client, now);
            continue;
          }
          const room = limit.makeRoom(now);
          expect(room).toBe(ref.makeRoom(now));
          if (!room) continue;
          table.values[3 * table.slotFor(client) + 2] = now;
          limit.stored(client, now);
          ref.used.set(client, now);
          ref.push(now, client);
          expect(table.size).toBeLessThanOrEqual(size);
        }
        expect(table.size).toBe(ref.used.size);
        for (const c of ref.used.keys()) expect(table.find(c), `client ${c}`).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 300 },
    );
  });
});
