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
import { markMutable } from '../jit/mutable-fields.ts';
import { NEVER } from './events.ts';

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
    this.time[0] = NEVER;
    // The arrays are replaced when the queue grows, maybe after the hot loop is optimized: see jit/mutable-fields.ts.
    markMutable(this, ['time', 'order', 'packed', 'n', 'sequence', 'at']);
  }

  get size(): number {
    return this.n;
  }

  /**
   * Time of the earliest event; +Infinity when empty. An empty queue keeps +Infinity in
   * `time[0]`, so this is one typed-array read: with a branch to `NEVER` (a tagged module
   * constant) V8 made the result a tagged value and boxed `time[0]` in a new heap number on
   * every call, ~1 GB of garbage in a 20 M-request replay (RESULTS.md, 2026-11-26 16:00).
   */
  peekTime(): number {
    return this.time[0]!;
  }

  peekKind(): number {
    return this.packed[0]! & 15;
  }

  /**
   * The time of the event the next schedule() or replaceTop() places. The engine's hot
   * loop sets it rather than passing the time: V8 boxes a fractional double passed to a
   * call it did not inline (a heap number per event), and whether it inlines a call is
   * up to its budget, which differs from process to process and thread to thread
   * (RESULTS.md, 2026-11-26 12:33). NaN at first, so V8 keeps the field as a double from
   * the start (a field that holds a small integer first changes representation later,
   * and code built on the first one deoptimizes).
   */
  at = Number.NaN;

  /** Schedules an event at `time`. `priority` must be a small non-negative integer (the event kind's rank). */
  push(time: number, priority: number, kind: number, payload: number): void {
    this.at = time;
    this.schedule(priority, kind, payload);
  }

  /** push() at the time set in `at`: for the hot loop (see `at`). */
  schedule(priority: number, kind: number, payload: number): void {
    if (this.n === this.time.length) this.grow();
    const time = this.at;
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
    // The last event, now just past the heap's end, goes down from the root.
    if (n > 0) this.siftDown(n);
    else this.time[0] = NEVER;
  }

  /**
   * pop() then schedule() in one sift-down instead of two walks: for a completion that
   * starts the next waiting request, at the time set in `at`. The new event gets the next
   * sequence number, as schedule() would give it, so the order of events is the same
   * either way. Precondition: the queue is not empty.
   */
  replaceTop(priority: number, kind: number, payload: number): void {
    const n = this.n;
    if (n === this.time.length) this.grow();
    // The new event waits just past the heap's end, where siftDown() takes it from.
    this.time[n] = this.at;
    this.order[n] = priority * PRIORITY_SHIFT + this.sequence++;
    this.packed[n] = payload * 16 + kind;
    this.siftDown(n);
  }

  /**
   * Places the event at index n, just past the first n entries, from the root down over
   * them. It takes the event's index, not its time and order, for the reason given at
   * `at` (an order, above 2^44, is no small integer either).
   */
  private siftDown(n: number): void {
    const t = this.time;
    const o = this.order;
    const pk = this.packed;
    const time = t[n]!;
    const order = o[n]!;
    const packed = pk[n]!;
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
    this.time[0] = NEVER;
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
