import type { BackendState } from './backends.ts';
import { AT_PROXY, type ProxySlots, SlotStatus } from './proxy-slots.ts';
import { SlotRings } from './slot-rings.ts';

/**
 * The proxy's queues (proxy.ts, HAProxy 2.6 src/queue.c): one line per backend, of
 * requests whose server was full (srv->queue), and one backend-wide line, of requests
 * no server could take when they came (px->queue). Each line is in the order requests
 * joined it.
 */
export class ProxyQueues {
  /** One line per backend (its lengths are BackendState.proxyQueued). */
  readonly server: SlotRings;
  /** The backend-wide line. */
  readonly shared = new SlotRings(1);
  /** Requests waiting in all lines, as one element (the recorder reads it). */
  readonly depth = new Int32Array(1);

  constructor(
    private readonly backends: BackendState,
    private readonly slots: ProxySlots,
  ) {
    this.server = new SlotRings(backends.count, backends.proxyQueued);
  }

  get length(): number {
    return this.depth[0]!;
  }

  /** `slot` joins backend b's line at time t, or (b = -1) the backend-wide line. */
  join(slot: number, b: number, t: number): void {
    if (b < 0) this.shared.push(0, slot);
    else {
      this.server.push(b, slot);
      this.backends.updateFull(b);
    }
    this.depth[0]!++;
    const sl = this.slots;
    sl.state[slot] = SlotStatus.Queued;
    sl.line[slot] = b;
    sl.queuedAt[slot] = t;
    sl.backend[slot] = AT_PROXY;
  }

  /** Takes a queued slot out of its line (`head`: it is known to be the line's head). */
  leave(slot: number, head: boolean): void {
    const b = this.slots.line[slot]!;
    const lines = b < 0 ? this.shared : this.server;
    const i = b < 0 ? 0 : b;
    if (head || lines.peek(i) === slot) lines.shift(i);
    else lines.remove(i, slot);
    if (b >= 0) this.backends.updateFull(b);
    this.depth[0]!--;
    this.slots.state[slot] = SlotStatus.Free;
  }

  /**
   * The request backend b takes next, or -1: the older of the heads of its own line and
   * (`withShared`) the backend-wide line. HAProxy pendconn_process_next_strm: keys are
   * whole ms (now_ms), and the server's own line wins a tie (`pkey <= ppkey`).
   */
  nextFor(b: number, withShared: boolean): number {
    const theirs = withShared ? this.nextShared() : -1;
    if (this.backends.proxyQueued[b] === 0) return theirs;
    const own = this.server.peek(b);
    const at = this.slots.queuedAt;
    return theirs < 0 || Math.floor(at[own]!) <= Math.floor(at[theirs]!) ? own : theirs;
  }

  /** The head of the backend-wide line, or -1. */
  nextShared(): number {
    return this.shared.lengths[0]! > 0 ? this.shared.peek(0) : -1;
  }
}
