/**
 * Logs are written when a response ends, not when the request arrived, so arrivals come
 * slightly out of order. The reorder buffer holds requests until no earlier one can
 * still come (everything more than `windowMs` older than the latest arrival seen), sorts
 * them as they come (insertion from the end; ties keep file order) and releases them in
 * arrival order. A request older than
 * that is refused: the caller reports its line. Memory: the requests of one window.
 */

export type Emit = (arrival: number, work: number, client: number, route: number, flags: number, uri: number) => void;

export class ReorderBuffer {
  private cap = 4096;
  private arrival = new Float64Array(this.cap);
  private work = new Float64Array(this.cap);
  private client = new Uint32Array(this.cap);
  private route = new Uint32Array(this.cap);
  private uri = new Uint32Array(this.cap);
  private flags = new Uint8Array(this.cap);
  private n = 0;
  private maxSeen = Number.NEGATIVE_INFINITY;
  /** Requests that arrived out of order (and were put back in order). */
  reordered = 0;

  constructor(
    private readonly windowMs: number,
    private readonly emit: Emit,
  ) {}

  /** Adds a request. Returns false (and keeps nothing) when it is older than the window allows. */
  push(arrival: number, work: number, client: number, route: number, flags: number, uri: number): boolean {
    const late = arrival < this.maxSeen;
    if (late) {
      if (arrival < this.maxSeen - this.windowMs) return false;
      this.reordered++;
    } else this.maxSeen = arrival;
    if (this.n === this.cap) {
      this.release(this.maxSeen - this.windowMs);
      if (this.n > this.cap / 2) this.grow();
    }
    let i = this.n++;
    if (late) {
      // Insertion from the end: logs are nearly sorted (a line is late by its request's duration), so the walk is short.
      // Equal arrivals stay in file order (strict >), so the order is deterministic.
      const a = this.arrival;
      while (i > 0 && a[i - 1]! > arrival) {
        a[i] = a[i - 1]!;
        this.work[i] = this.work[i - 1]!;
        this.client[i] = this.client[i - 1]!;
        this.route[i] = this.route[i - 1]!;
        this.uri[i] = this.uri[i - 1]!;
        this.flags[i] = this.flags[i - 1]!;
        i--;
      }
    }
    this.arrival[i] = arrival;
    this.work[i] = work;
    this.client[i] = client;
    this.route[i] = route;
    this.uri[i] = uri;
    this.flags[i] = flags;
    return true;
  }

  /** Releases everything left, in order. */
  flush(): void {
    this.release(Number.POSITIVE_INFINITY);
  }

  /** Emits, in arrival order, every buffered request arriving at or before `cutoff`; keeps the rest. */
  private release(cutoff: number): void {
    const n = this.n;
    if (n === 0) return;
    const a = this.arrival;
    let k = 0;
    while (k < n && a[k]! <= cutoff) {
      this.emit(a[k]!, this.work[k]!, this.client[k]!, this.route[k]!, this.flags[k]!, this.uri[k]!);
      k++;
    }
    if (k > 0) {
      this.arrival.copyWithin(0, k, n);
      this.work.copyWithin(0, k, n);
      this.client.copyWithin(0, k, n);
      this.route.copyWithin(0, k, n);
      this.uri.copyWithin(0, k, n);
      this.flags.copyWithin(0, k, n);
      this.n = n - k;
    }
  }

  private grow(): void {
    this.cap *= 2;
    const grow = <T extends Float64Array | Uint32Array | Uint8Array>(col: T, make: (n: number) => T): T => {
      const next = make(this.cap);
      next.set(col.subarray(0, this.n) as never);
      return next;
    };
    this.arrival = grow(this.arrival, (c) => new Float64Array(c));
    this.work = grow(this.work, (c) => new Float64Array(c));
    this.client = grow(this.client, (c) => new Uint32Array(c));
    this.route = grow(this.route, (c) => new Uint32Array(c));
    this.uri = grow(this.uri, (c) => new Uint32Array(c));
    this.flags = grow(this.flags, (c) => new Uint8Array(c));
  }
}
