/**
 * The pending-event set: a binary min-heap kept in parallel typed arrays, so pushing and
 * popping an event allocates nothing. Events are ordered by (time, order), where `order`
 * packs the event kind's priority above a sequence number:
 *
 *   order = priority * 2^44 + sequence
 *
 * At equal times, lower priority runs first, then the event scheduled first (as SimPy's
 * (time, priority, eid) heap). The engine defines the priorities; see `EventKind`.
 */

const PRIORITY_SHIFT = 2 ** 44;

export class EventQueue {
  private time: Float64Array;
  private order: Float64Array;
  private kind: Uint8Array;
  private payload: Int32Array;
  private n = 0;
  private sequence = 0;

  constructor(initialCapacity = 1024) {
    this.time = new Float64Array(initialCapacity);
    this.order = new Float64Array(initialCapacity);
    this.kind = new Uint8Array(initialCapacity);
    this.payload = new Int32Array(initialCapacity);
  }

  get size(): number {
    return this.n;
  }

  /** Time of the earliest event; +Infinity when empty. */
  peekTime(): number {
    return this.n > 0 ? this.time[0]! : Number.POSITIVE_INFINITY;
  }

  peekKind(): number {
    return this.kind[0]!;
  }

  /** Schedules an event. `priority` must be a small non-negative integer (the event kind's rank). */
  push(time: number, priority: number, kind: number, payload: number): void {
    if (this.n === this.time.length) this.grow();
    const order = priority * PRIORITY_SHIFT + this.sequence++;
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
      this.kind[i] = this.kind[p]!;
      this.payload[i] = this.payload[p]!;
      i = p;
    }
    t[i] = time;
    o[i] = order;
    this.kind[i] = kind;
    this.payload[i] = payload;
  }

  /**
   * Removes the earliest event. Read its fields with `peekTime`/`peekKind`/`peekPayload`
   * before calling. Precondition: the queue is not empty.
   */
  pop(): void {
    const n = --this.n;
    if (n === 0) return;
    const t = this.time;
    const o = this.order;
    const k = this.kind;
    const pl = this.payload;
    const lastT = t[n]!;
    const lastO = o[n]!;
    const lastK = k[n]!;
    const lastP = pl[n]!;
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
      if (lastT < ct || (lastT === ct && lastO < co)) break;
      t[i] = ct;
      o[i] = co;
      k[i] = k[c]!;
      pl[i] = pl[c]!;
      i = c;
    }
    t[i] = lastT;
    o[i] = lastO;
    k[i] = lastK;
    pl[i] = lastP;
  }

  peekPayload(): number {
    return this.payload[0]!;
  }

  /** The next sequence number; part of the engine state a snapshot must carry. */
  get nextSequence(): number {
    return this.sequence;
  }

  clear(): void {
    this.n = 0;
    this.sequence = 0;
  }

  /** Copies out the pending events in heap order, for snapshots and state comparison. */
  entries(): { time: Float64Array; order: Float64Array; kind: Uint8Array; payload: Int32Array } {
    return {
      time: this.time.slice(0, this.n),
      order: this.order.slice(0, this.n),
      kind: this.kind.slice(0, this.n),
      payload: this.payload.slice(0, this.n),
    };
  }

  private grow(): void {
    const cap = this.time.length * 2;
    const time = new Float64Array(cap);
    time.set(this.time);
    const order = new Float64Array(cap);
    order.set(this.order);
    const kind = new Uint8Array(cap);
    kind.set(this.kind);
    const payload = new Int32Array(cap);
    payload.set(this.payload);
    this.time = time;
    this.order = order;
    this.kind = kind;
    this.payload = payload;
  }
}
