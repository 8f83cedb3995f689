import { markMutable } from '../jit/mutable-fields.ts';
import { grown, RequestSlots } from './request-slots.ts';

/** Where a request slot stands at the proxy (ProxySlots.state). */
export const SlotStatus = {
  Free: 0,
  /** In one of the proxy's queues. */
  Queued: 1,
  /** Sent to a backend, awaited. */
  Sent: 2,
  /** Abandoned by the proxy after a per-try timeout; the backend still works on it. */
  Orphan: 3,
  /** Waiting for its retry's back-off or turn-around to end (a Retry event). */
  Waiting: 4,
} as const;

/** RequestSlots.backend of a request waiting at the proxy (for no backend yet, or for a full one). */
export const AT_PROXY = -2;

/**
 * The proxy layer's per-request columns (proxy.ts), beside the engine's, growing with
 * them. A slot's columns are written only where they are read again (proxy-state.ts).
 */
export class ProxySlots extends RequestSlots {
  /** A SlotStatus. */
  state: Uint8Array;
  client: Float64Array;
  route: Float64Array;
  /** 0 for the first attempt, k for the k-th retry. */
  attempt: Int32Array;
  /** The backend of the last attempt (the one a retry stays with); -1 before the first. */
  lastBackend: Int32Array;
  /** 1 when the slot's retry stays with lastBackend (decided when the attempt failed). */
  keepServer: Uint8Array;
  /**
   * 1 while the request goes where session persistence pinned its client (HAProxy's
   * SF_DIRECT): set by its first pick, kept by retries that stay with the server, cleared
   * by a redispatch. Only session persistence sets it.
   */
  direct: Uint8Array;
  /** The host of each attempt, `triedStride` entries per slot (previous_hosts, nginx's tried peers). */
  tried: Int32Array;
  /** retries + 1 when hosts tried are kept, else 0 (and `tried` is empty). */
  readonly triedStride: number;
  /** The queue a Queued slot is in: its backend, or -1 for the backend-wide queue. */
  line: Int32Array;
  queuedAt: Float64Array;
  sentAt: Float64Array;

  constructor(triedStride: number, capacity = 1024) {
    super(capacity);
    this.triedStride = triedStride;
    this.state = new Uint8Array(capacity);
    this.client = new Float64Array(capacity);
    this.route = new Float64Array(capacity);
    this.attempt = new Int32Array(capacity);
    this.lastBackend = new Int32Array(capacity);
    this.keepServer = new Uint8Array(capacity);
    this.direct = new Uint8Array(capacity);
    this.tried = new Int32Array(capacity * triedStride);
    this.line = new Int32Array(capacity);
    this.queuedAt = new Float64Array(capacity);
    this.sentAt = new Float64Array(capacity);
    // The columns are replaced when they grow, maybe after the hot loop is optimized: see jit/mutable-fields.ts.
    markMutable(this, ['state', 'client', 'route', 'attempt', 'lastBackend', 'keepServer', 'direct', 'tried', 'line', 'queuedAt', 'sentAt']);
  }

  override release(slot: number): void {
    this.state[slot] = SlotStatus.Free;
    super.release(slot);
  }

  protected override grow(): void {
    super.grow();
    const cap = this.capacity;
    this.state = grown(this.state, cap);
    this.client = grown(this.client, cap);
    this.route = grown(this.route, cap);
    this.attempt = grown(this.attempt, cap);
    this.lastBackend = grown(this.lastBackend, cap);
    this.keepServer = grown(this.keepServer, cap);
    this.direct = grown(this.direct, cap);
    this.tried = grown(this.tried, cap * this.triedStride);
    this.line = grown(this.line, cap);
    this.queuedAt = grown(this.queuedAt, cap);
    this.sentAt = grown(this.sentAt, cap);
  }
}
