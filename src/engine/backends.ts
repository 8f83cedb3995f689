/**
 * Backend state in structure-of-arrays form, plus each backend's FCFS waiting line as a
 * growable ring buffer of request slots. The balancer reads these arrays through
 * `BackendView`; only the engine writes them.
 */
import type { BackendView } from '../balancers/types.ts';
import type { ActiveCheckSpec, PassiveCheckSpec, SlowStartSpec } from './server-health-types.ts';

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
  /** Active health checks. @default none (the balancer learns outages at once) */
  check?: ActiveCheckSpec;
  /** Passive checks (nginx max_fails / fail_timeout). @default none */
  passive?: PassiveCheckSpec;
  /** Slow start after coming back up. @default none */
  slowStart?: SlowStartSpec;
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
  readonly queued: Int32Array;
  readonly busy: Int32Array;
  /** Overlapping outages nest: a backend is up when no outage window is open. */
  readonly downDepth: Int32Array;
  upCount: number;

  private rings: Int32Array[];
  private heads: Int32Array;

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
    this.rings = Array.from({ length: n }, () => new Int32Array(16));
    this.heads = new Int32Array(n);
  }

  /** Appends request slot `slot` to backend b's waiting line. */
  enqueue(b: number, slot: number): void {
    let ring = this.rings[b]!;
    const len = this.queued[b]!;
    if (len === ring.length) ring = this.growRing(b);
    ring[(this.heads[b]! + len) & (ring.length - 1)] = slot;
    this.queued[b] = len + 1;
  }

  /** Removes and returns the request slot at the head of backend b's waiting line. Precondition: queued[b] > 0. */
  dequeue(b: number): number {
    const ring = this.rings[b]!;
    const h = this.heads[b]!;
    const slot = ring[h]!;
    this.heads[b] = (h + 1) & (ring.length - 1);
    this.queued[b] = this.queued[b]! - 1;
    return slot;
  }

  /** The slots waiting at backend b, head first (for snapshots and cut-off accounting). */
  waiting(b: number): number[] {
    const ring = this.rings[b]!;
    const out: number[] = [];
    for (let i = 0; i < this.queued[b]!; i++) out.push(ring[(this.heads[b]! + i) & (ring.length - 1)]!);
    return out;
  }

  /** Ring capacities stay powers of two so the index wraps with a mask. */
  private growRing(b: number): Int32Array {
    const old = this.rings[b]!;
    const next = new Int32Array(old.length * 2);
    const h = this.heads[b]!;
    for (let i = 0; i < old.length; i++) next[i] = old[(h + i) & (old.length - 1)]!;
    this.rings[b] = next;
    this.heads[b] = 0;
    return next;
  }
}
