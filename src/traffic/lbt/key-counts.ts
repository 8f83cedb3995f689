/**
 * Requests per key (client or path) for `lbsim trace info`: a Uint32Table of counts, so a
 * trace's distinct keys and its heaviest ones come from one pass in a fraction of a Set's
 * memory. Past `cap` distinct keys, new ones are not counted (the caller says the figures
 * are then lower bounds).
 */
import { Uint32Table } from '../../collections/uint32-table.ts';

export class KeyCounts {
  private readonly table = new Uint32Table(1);

  constructor(private readonly cap: number) {}

  /** Distinct keys counted. */
  get size(): number {
    return this.table.size;
  }

  /** Counts one request of `key`; false when the table is full and `key` is new (not counted). */
  add(key: number): boolean {
    const s = this.table.slotFor(key, this.cap);
    if (s < 0) return false;
    this.table.values[s]!++;
    return true;
  }

  /** The `n` largest counts, largest first. */
  top(n: number): number[] {
    return this.table.column(0).sort((a, b) => b - a).slice(0, n);
  }
}
