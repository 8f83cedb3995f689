/**
 * A hash table from uint32 keys (client keys) to `width` numbers each: open addressing
 * with linear probing, at most half full, the keys in a Uint32Array and the values in one
 * Float64Array (slot s's at s × width), so a lookup allocates nothing and a table of a
 * million keys is a few tens of MB, not a Map's hundreds. Used for the clients session
 * persistence pins (src/balancers/persistence.ts) and the clients `trace info` counts.
 */
export class Uint32Table {
  private mask: number;
  /** 32 − log2(slots): a key's home slot is the high bits of its product with 2^32/φ (Fibonacci hashing). */
  private shift: number;
  private used: Uint8Array;
  private keys: Uint32Array;
  /** The values, `width` per slot; reallocated when the table grows (read it after slotFor). */
  values: Float64Array;
  /** Keys held. */
  size = 0;

  constructor(readonly width: number) {
    this.mask = 1023;
    this.shift = 22;
    this.used = new Uint8Array(1024);
    this.keys = new Uint32Array(1024);
    this.values = new Float64Array(1024 * width);
  }

  /**
   * The slot `key` has or would take. The high bits of the product, which every bit of the
   * key reaches: its low bits depend on the key's low bits alone, and IPv4 keys of .0
   * addresses would share 1/256 of the slots.
   */
  private slotOf(key: number): number {
    let i = Math.imul(key, 0x9e3779b1) >>> this.shift;
    while (this.used[i] === 1 && this.keys[i] !== key) i = (i + 1) & this.mask;
    return i;
  }

  /** `key`'s slot, or -1. */
  find(key: number): number {
    const i = this.slotOf(key);
    return this.used[i] === 1 ? i : -1;
  }

  /** `key`'s slot, added with values 0 when absent; -1 when absent and the table already holds `limit` keys. */
  slotFor(key: number, limit = Number.POSITIVE_INFINITY): number {
    let i = this.slotOf(key);
    if (this.used[i] === 1) return i;
    if (this.size >= limit) return -1;
    if (2 * (this.size + 1) > this.mask + 1) {
      this.grow();
      i = this.slotOf(key);
    }
    this.used[i] = 1;
    this.keys[i] = key;
    this.size++;
    return i;
  }

  /**
   * Removes the key in `slot` (from find or slotFor). Backward-shift deletion: the keys
   * after it in its probe run move back where their probe would find them first, so no
   * tombstone is left and lookups stay as short as before. Slots of other keys may change:
   * look them up again.
   */
  remove(slot: number): void {
    const { used, keys, values, width, mask } = this;
    let hole = slot;
    used[hole] = 0;
    this.size--;
    for (let j = (hole + 1) & mask; used[j] === 1; j = (j + 1) & mask) {
      const home = Math.imul(keys[j]!, 0x9e3779b1) >>> this.shift;
      // Key j may fill the hole unless its home lies cyclically in (hole, j].
      const stays = hole < j ? home > hole && home <= j : home > hole || home <= j;
      if (stays) continue;
      keys[hole] = keys[j]!;
      used[hole] = 1;
      values.copyWithin(hole * width, j * width, (j + 1) * width);
      used[j] = 0;
      hole = j;
    }
  }

  /** Value `col` of every key held, in slot order. */
  column(col: number): number[] {
    const out: number[] = [];
    for (let i = 0; i <= this.mask; i++) if (this.used[i] === 1) out.push(this.values[i * this.width + col]!);
    return out;
  }

  private grow(): void {
    const { used, keys, values, width } = this;
    const n = (this.mask + 1) * 2;
    this.mask = n - 1;
    this.shift--;
    this.used = new Uint8Array(n);
    this.keys = new Uint32Array(n);
    this.values = new Float64Array(n * width);
    for (let j = 0; j < used.length; j++) {
      if (used[j] === 0) continue;
      const i = this.slotOf(keys[j]!);
      this.used[i] = 1;
      this.keys[i] = keys[j]!;
      this.values.set(values.subarray(j * width, (j + 1) * width), i * width);
    }
  }
}
