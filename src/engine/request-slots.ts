/**
 * The requests in flight, as columns indexed by *slot*, reused through a free list: the
 * engine allocates nothing per request. When every slot is taken the columns double, so a
 * caller holding a column reads it again after fill(). The proxy layer's own columns
 * (proxy-slots.ts) grow with these, in a subclass.
 */
import { markMutable } from '../jit/mutable-fields.ts';

export class RequestSlots {
  /** The request's sequence number in the run. */
  request: Float64Array;
  /** When it arrived, ms. */
  arrival: Float64Array;
  /** Its work, in ms of a speed-1 backend. */
  work: Float64Array;
  /** The backend it is at; -1 for a free slot (and AT_PROXY, -2, for one waiting at the proxy). */
  backend: Int32Array;
  /** 1 when it arrived after the warm-up. */
  counted: Uint8Array;
  /** Slots below this have been taken at least once: the run's cut-off walks them. */
  used = 0;
  private free: Int32Array;
  private freeTop: number;

  constructor(capacity = 1024) {
    this.request = new Float64Array(capacity);
    this.arrival = new Float64Array(capacity);
    this.work = new Float64Array(capacity);
    this.backend = new Int32Array(capacity).fill(-1);
    this.counted = new Uint8Array(capacity);
    this.free = new Int32Array(capacity);
    // Taken lowest first, so `used` stays as small as the run's peak.
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity;
    // The columns are replaced when they grow, maybe after the hot loop is optimized: see jit/mutable-fields.ts.
    markMutable(this, ['request', 'arrival', 'work', 'backend', 'counted', 'free', 'freeTop', 'used']);
  }

  get capacity(): number {
    return this.arrival.length;
  }

  /** Requests holding a slot now: in service, queued, waiting at the proxy or for a retry, or an abandoned try still at its backend. */
  get live(): number {
    return this.arrival.length - this.freeTop;
  }

  /** A free slot holding this request (the columns may have grown). */
  fill(request: number, arrival: number, work: number, backend: number, counted: boolean): number {
    const s = this.take(request, backend, counted);
    this.arrival[s] = arrival;
    this.work[s] = work;
    return s;
  }

  /**
   * A free slot holding this request, its `arrival` and `work` still to be written by the
   * caller (the columns may have grown: read them after this). For the hot loop, which
   * must not pass a fractional double to a call: V8 boxes one passed to a call it did not
   * inline, an allocation per request, and whether it inlines fill() is up to its budget
   * (RESULTS.md, 2026-11-26 12:33).
   */
  take(request: number, backend: number, counted: boolean): number {
    if (this.freeTop === 0) this.grow();
    const s = this.free[--this.freeTop]!;
    if (s >= this.used) this.used = s + 1;
    this.request[s] = request;
    this.backend[s] = backend;
    this.counted[s] = counted ? 1 : 0;
    return s;
  }

  release(slot: number): void {
    this.backend[slot] = -1;
    this.free[this.freeTop++] = slot;
  }

  /** Doubles every column; a subclass grows its own after calling this (read `capacity` for the new size). */
  protected grow(): void {
    const old = this.capacity;
    const cap = old * 2;
    this.request = grown(this.request, cap);
    this.arrival = grown(this.arrival, cap);
    this.work = grown(this.work, cap);
    this.backend = grown(this.backend, cap).fill(-1, old);
    this.counted = grown(this.counted, cap);
    const free = new Int32Array(cap);
    // Every old slot is taken when the free list is empty; the new ones are free.
    for (let i = 0; i < cap - old; i++) free[i] = cap - 1 - i;
    this.free = free;
    this.freeTop = cap - old;
  }
}

/** A copy of `a` in a new array of `length` elements (the rest zero). */
export function grown<T extends Float64Array | Int32Array | Uint8Array>(a: T, length: number): T {
  const next = new (a.constructor as new (n: number) => T)(length);
  next.set(a);
  return next;
}
