/**
 * Several FCFS lines of request slots, each a growable ring buffer (capacity a power of
 * two, so the index wraps with a mask). A line's length lives in `lengths`, an array the
 * caller may share (the backends' `queued` counts are such an array, read by balancers
 * and the recorder). Used for the backends' own queues and for the proxy's queues.
 */
export class SlotRings {
  private rings: Int32Array[];
  private readonly heads: Int32Array;

  constructor(
    count: number,
    readonly lengths: Int32Array = new Int32Array(count),
  ) {
    this.rings = Array.from({ length: count }, () => new Int32Array(16));
    this.heads = new Int32Array(count);
  }

  /** Appends `slot` to line i. */
  push(i: number, slot: number): void {
    let ring = this.rings[i]!;
    const len = this.lengths[i]!;
    if (len === ring.length) ring = this.grow(i);
    ring[(this.heads[i]! + len) & (ring.length - 1)] = slot;
    this.lengths[i] = len + 1;
  }

  /** The slot at the head of line i. Precondition: lengths[i] > 0. */
  peek(i: number): number {
    return this.rings[i]![this.heads[i]!]!;
  }

  /** Removes and returns the slot at the head of line i. Precondition: lengths[i] > 0. */
  shift(i: number): number {
    const ring = this.rings[i]!;
    const h = this.heads[i]!;
    const slot = ring[h]!;
    this.heads[i] = (h + 1) & (ring.length - 1);
    this.lengths[i] = this.lengths[i]! - 1;
    return slot;
  }

  /** Removes `slot` from line i wherever it stands (the rare path: a timeout not at the head). Returns false if absent. */
  remove(i: number, slot: number): boolean {
    const ring = this.rings[i]!;
    const mask = ring.length - 1;
    const h = this.heads[i]!;
    const len = this.lengths[i]!;
    let k = 0;
    while (k < len && ring[(h + k) & mask] !== slot) k++;
    if (k === len) return false;
    for (; k < len - 1; k++) ring[(h + k) & mask] = ring[(h + k + 1) & mask]!;
    this.lengths[i] = len - 1;
    return true;
  }

  /** The slots of line i, head first (for snapshots and cut-off accounting). */
  items(i: number): number[] {
    const ring = this.rings[i]!;
    const out: number[] = [];
    for (let k = 0; k < this.lengths[i]!; k++) out.push(ring[(this.heads[i]! + k) & (ring.length - 1)]!);
    return out;
  }

  private grow(i: number): Int32Array {
    const old = this.rings[i]!;
    const next = new Int32Array(old.length * 2);
    const h = this.heads[i]!;
    for (let k = 0; k < old.length; k++) next[k] = old[(h + k) & (old.length - 1)]!;
    this.rings[i] = next;
    this.heads[i] = 0;
    return next;
  }
}
