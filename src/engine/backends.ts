/**
 * Backend state in structure-of-arrays form, plus each backend's FCFS waiting line as a
 * growable ring buffer of request slots. The balancer reads these arrays through
 * `BackendView`; only the engine writes them.
 */
import type { BackendView } from '../balancers/types.ts';
import type { ActiveCheckSpec, PassiveCheckSpec, SlowStartSpec } from './server-health-types.ts';
import { SlotRings } from './slot-rings.ts';

/** A backend as the engine needs it, with scenario units resolved (ms, counts). */
export interface BackendSpec {
  name: string;
  /** @default 1 */
  weight: number;
  /** FCFS slots served at once. @default 1 */
  concurrency: number;
  /** Most requests waiting; Infinity = unbounded. @default Infinity */
  queue: number;
  /** Service time = work / speed. @default 1 */
  speed: number;
  /** Windows [from, to) in ms during which the backend refuses every request. */
  outages: { from: number; to: number }[];
  /** A backup server: used only when no primary is usable (server-health.ts). @default false */
  backup?: boolean;
  /** Envoy priority level (0 is the highest; only for modules with `priorityLevels`). @default 0 */
  priority?: number;
  /** Envoy locality ("region/zone/sub_zone"), for locality-weighted balancing. @default "" (none) */
  locality?: string;
  /** Active health checks. @default none (the balancer learns outages at once) */
  check?: ActiveCheckSpec;
  /** Passive checks (nginx max_fails / fail_timeout). @default none */
  passive?: PassiveCheckSpec;
  /** Slow start after coming back up. @default none */
  slowStart?: SlowStartSpec;
  /** Most requests the proxy sends to it at once (HAProxy `maxconn`, nginx `max_conns`); the rest wait at the proxy. @default Infinity (no limit) */
  maxconn?: number;
  /** Most requests waiting in its queue at the proxy (HAProxy `maxqueue`). @default Infinity */
  maxqueue?: number;
}

export class BackendState implements BackendView {
  readonly count: number;
  readonly names: readonly string[];
  readonly weight: Float64Array;
  readonly concurrency: Int32Array;
  readonly queueLimit: Float64Array;
  readonly speed: Float64Array;
  /** What the balancer believes (server-health.ts); equal to `serving` without health knobs. */
  readonly up: Uint8Array;
  /** The truth: 0 while an outage window is open (requests sent then are refused). */
  readonly serving: Uint8Array;
  /** Weight with slow start applied; equal to `weight` when not ramping. */
  readonly effectiveWeight: Float64Array;
  readonly inFlight: Int32Array;
  /** The sum of inFlight, kept as it changes (bounded-load hashing reads it on every pick). */
  inFlightTotal = 0;
  readonly queued: Int32Array;
  readonly busy: Int32Array;
  /** Overlapping outages nest: a backend is up when no outage window is open. */
  readonly downDepth: Int32Array;
  upCount: number;
  // The proxy side (src/engine/proxy.ts); untouched when no backend has a maxconn and nothing retries.
  /** The limit now: the spec's maxconn, ramped by HAProxy slow start (srv_dynamic_maxconn, server-health-slow-start.ts). */
  readonly maxconn: Float64Array;
  readonly maxqueue: Float64Array;
  /** Requests the proxy has sent to the backend and not yet seen answered (HAProxy's `served`). */
  readonly served: Int32Array;
  /** Retries holding a slot of the backend until they go back to it (ProxyOptions.holdServer); `served` counts them. */
  readonly held: Int32Array;
  /** The sum of held, kept as it changes. */
  heldTotal = 0;
  readonly proxyQueued: Int32Array;
  readonly full: Uint8Array;
  readonly priority: Int32Array;
  readonly locality: readonly string[];
  readonly backup: Uint8Array;
  /**
   * 1 when the balancer believes the backend usable, before the backup rule: a backup that
   * runs while the primaries serve is 1 here and 0 in `up`. The same array as `up` unless
   * the engine has server-health knobs (ServerHealth.believed).
   */
  believed: Uint8Array;

  private lines: SlotRings;

  constructor(specs: readonly BackendSpec[]) {
    const n = (this.count = specs.length);
    this.names = specs.map((s) => s.name);
    this.weight = Float64Array.from(specs, (s) => s.weight);
    this.concurrency = Int32Array.from(specs, (s) => s.concurrency);
    this.queueLimit = Float64Array.from(specs, (s) => s.queue);
    this.speed = Float64Array.from(specs, (s) => s.speed);
    this.up = new Uint8Array(n).fill(1);
    this.serving = new Uint8Array(n).fill(1);
    this.effectiveWeight = Float64Array.from(this.weight);
    this.inFlight = new Int32Array(n);
    this.queued = new Int32Array(n);
    this.busy = new Int32Array(n);
    this.downDepth = new Int32Array(n);
    this.upCount = n;
    this.lines = new SlotRings(n, this.queued);
    this.maxconn = Float64Array.from(specs, (s) => s.maxconn ?? Number.POSITIVE_INFINITY);
    this.maxqueue = Float64Array.from(specs, (s) => s.maxqueue ?? Number.POSITIVE_INFINITY);
    this.served = new Int32Array(n);
    this.held = new Int32Array(n);
    this.proxyQueued = new Int32Array(n);
    this.full = new Uint8Array(n);
    this.priority = Int32Array.from(specs, (s) => s.priority ?? 0);
    this.locality = specs.map((s) => s.locality ?? '');
    this.backup = Uint8Array.from(specs, (s) => (s.backup === true ? 1 : 0));
    this.believed = this.up;
  }

  /** Appends request slot `slot` to backend b's waiting line. */
  enqueue(b: number, slot: number): void {
    this.lines.push(b, slot);
  }

  /** Removes and returns the request slot at the head of backend b's waiting line. Precondition: queued[b] > 0. */
  dequeue(b: number): number {
    return this.lines.shift(b);
  }

  /** Recomputes whether b is full at the proxy: it has a maxconn, and requests waiting for it or that many open (HAProxy). */
  updateFull(b: number): void {
    const m = this.maxconn[b]!;
    this.full[b] = m !== Number.POSITIVE_INFINITY && (this.proxyQueued[b]! > 0 || this.served[b]! >= m) ? 1 : 0;
  }

  /** The slots waiting at backend b, head first (for snapshots and cut-off accounting). */
  waiting(b: number): number[] {
    return this.lines.items(b);
  }
}
