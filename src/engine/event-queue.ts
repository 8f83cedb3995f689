/**
 * The pending-event set: a binary min-heap kept in parallel typed arrays, so pushing and
 * popping an event allocates nothing. Events are ordered by (time, order), where `order`
 * packs the event kind's priority above a sequence number:
 *
 *   order = priority * 2^44 + sequence
 *
 * At equal times, lower priority runs first, then the event scheduled first (as SimPy's
 * (time, priority, eid) heap). The engine defines the priorities; see `EventKind`.
 * An event's kind (0..15) and payload (< 2^27) travel packed in one Int32, so a sift
 * step moves three values, not four.
 */

const PRIORITY_SHIFT = 2 ** 44;

export class EventQueue {
  private time: Float64Array;
  private order: Float64Array;
  /** payload * 16 + kind */
  private packed: Int32Array;
  private n = 0;
  private sequence = 0;

  constructor(initialCapacity = 1024) {
    this.time = new Float64Array(initialCapacity);
    this.order = new Float64Array(initialCapacity);
    this.packed = new Int32Array(initialCapacity);
  }

  get size(): number {
    return this.n;
  }

  /** Time of the earliest event; +Infinity when empty. */
  peekTime(): number {
    return this.n > 0 ? this.time[0]! : Number.POSITIVE_INFINITY;
  }

  peekKind(): number {
    return this.packed[0]! & 15;
  }

  /** Schedules an event. `priority` must be a small non-negative integer (the event kind's rank). */
  push(time: number, priority: number, kind: number, payload: number): void {
    if (this.n === this.time.length) this.grow();
    const order = priority * PRIORITY_SHIFT + this.sequence++;
    const packed = payload * 16 + kind;
    const pk = this.packed;
    // Sift up: move parents down until the new event's place is found.
    let i = this.n++;
    const t = this.time;
    const o = this.order;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = t[p]!;
      if (pt < time || (pt === time && o[p]! < order)) break;
      t[i] = pt;
      o[i] = o[p]!;
      pk[i] = pk[p]!;
      i = p;
    }
    t[i] = time;
    o[i] = order;
    pk[i] = packed;
  }

  /**
   * Removes the earliest event. Read its fields with `peekTime`/`peekKind`/`peekPayload`
   * before calling. Precondition: the queue is not empty.
   */
  pop(): void {
    const n = --this.n;
    if (n === 0) return;
    this.siftDown(this.time[n]!, this.order[n]!, this.packed[n]!, n);
  }

  /**
   * pop() then push() in one sift-down instead of two walks: for a completion that starts
   * the next waiting request. The new event gets the next sequence number, as push()
   * would give it, so the order of events is the same either way. Precondition: the
   * queue is not empty.
   */
  replaceTop(time: number, priority: number, kind: number, payload: number): void {
    this.siftDown(time, priority * PRIORITY_SHIFT + this.sequence++, payload * 16 + kind, this.n);
  }

  /** Places (time, order, packed) from the root down, over the first n entries. */
  private siftDown(time: number, order: number, packed: number, n: number): void {
    const t = this.time;
    const o = this.order;
    const pk = this.packed;
    let i = 0;
    const half = n >> 1;
    while (i < half) {
      let c = 2 * i + 1;
      let ct = t[c]!;
      let co = o[c]!;
      const r = c + 1;
      if (r < n) {
        const rt = t[r]!;
        const ro = o[r]!;
        if (rt < ct || (rt === ct && ro < co)) {
          c = r;
          ct = rt;
          co = ro;
        }
      }
      if (time < ct || (time === ct && order < co)) break;
      t[i] = ct;
      o[i] = co;
      pk[i] = pk[c]!;
      i = c;
    }
    t[i] = time;
    o[i] = order;
    pk[i] = packed;
  }

  peekPayload(): number {
    return this.packed[0]! >> 4;
  }

  /** The next sequence number; part of the engine state a snapshot must carry. */
  get nextSequence(): number {
    return this.sequence;
  }

  clear(): void {
    this.n = 0;
    this.sequence = 0;
  }

  /**
   * The pending events of one kind in the order they will run (time, then scheduling
   * order: all that their sequence numbers mean to a snapshot), for canonical states.
   */
  pendingOf(kind: number): { time: number; payload: number }[] {
    const e = this.entries();
    const ids = Array.from(e.time.keys()).filter((i) => e.kind[i] === kind);
    ids.sort((x, y) => e.time[x]! - e.time[y]! || e.order[x]! - e.order[y]!);
    return ids.map((i) => ({ time: e.time[i]!, payload: e.payload[i]! }));
  }

  /** Copies out the pending events in heap order, for snapshots and state comparison. */
  entries(): { time: Float64Array; order: Float64Array; kind: Uint8Array; payload: Int32Array } {
    const packed = this.packed.subarray(0, this.n);
    return {
      time: this.time.slice(0, this.n),
      order: this.order.slice(0, this.n),
      kind: Uint8Array.from(packed, (p) => p & 15),
      payload: Int32Array.from(packed, (p) => p >> 4),
    };
  }

  private grow(): void {
    const cap = this.time.length * 2;
    const time = new Float64Array(cap);
    time.set(this.time);
    const order = new Float64Array(cap);
    order.set(this.order);
    const packed = new Int32Array(cap);
    packed.set(this.packed);
    this.time = time;
    this.order = order;
    this.packed = packed;
  }
}
