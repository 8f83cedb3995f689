/**
 * A hand-made backend view and balancer context for property tests of balancers, and
 * fast-check arbitraries of backend sets and of the events the engine sends a balancer.
 */
import fc from 'fast-check';
import type { Balancer, BalancerContext } from '../../src/balancers/types.ts';
import { Purpose, streamKey, uniform } from '../../src/random/counter-rng.ts';

/**
 * Balancer options for the properties, by name prefix. Envoy's algorithms have a "panic
 * mode" (healthy_panic_threshold, default 50%): with fewer healthy hosts than that, Envoy
 * balances over all hosts, down ones included, on purpose (src/balancers/envoy/priority-set.ts).
 * The properties run them with panic off, so "never picks a down backend" is still checked.
 */
export function optionsFor(name: string): Record<string, unknown> {
  return name.startsWith('envoy/') ? { healthy_panic_threshold: 0 } : {};
}

/** A mutable backend view, as the engine keeps it. */
export class FakeBackends {
  readonly names: string[];
  readonly weight: Float64Array;
  readonly concurrency: Int32Array;
  readonly up: Uint8Array;
  readonly inFlight: Int32Array;
  readonly queued: Int32Array;
  // The proxy layer's view (src/engine/proxy.ts): no limits, nothing full, nothing queued.
  readonly maxconn: Float64Array;
  readonly maxqueue: Float64Array;
  readonly proxyQueued: Int32Array;
  readonly full: Uint8Array;
  /** Envoy priority levels (BackendView.priority), when the spec gives any; other balancers ignore them. */
  readonly priority?: Int32Array;
  constructor(spec: readonly { weight: number; up: boolean; inFlight: number; level?: number }[]) {
    this.names = spec.map((_, i) => `b${i}`);
    this.weight = Float64Array.from(spec, (s) => s.weight);
    this.concurrency = new Int32Array(spec.length).fill(1);
    this.up = Uint8Array.from(spec, (s) => (s.up ? 1 : 0));
    this.inFlight = Int32Array.from(spec, (s) => s.inFlight);
    this.queued = Int32Array.from(spec, (s) => Math.max(s.inFlight - 1, 0));
    this.maxconn = new Float64Array(spec.length).fill(Number.POSITIVE_INFINITY);
    this.maxqueue = new Float64Array(spec.length).fill(Number.POSITIVE_INFINITY);
    this.proxyQueued = new Int32Array(spec.length);
    this.full = new Uint8Array(spec.length);
    if (spec.some((s) => s.level !== undefined)) this.priority = Int32Array.from(spec, (s) => s.level ?? 0);
  }
  get count(): number {
    return this.names.length;
  }
  get upCount(): number {
    let n = 0;
    for (const u of this.up) n += u;
    return n;
  }
  isEligible(b: number): boolean {
    return this.up[b] === 1 && this.weight[b]! > 0;
  }
  anyEligible(): boolean {
    for (let b = 0; b < this.count; b++) if (this.isEligible(b)) return true;
    return false;
  }
}

/** A context like the engine's: ctx.random(request, draw) for any draw index. */
export function contextFor(view: FakeBackends, seed: number, options: Record<string, unknown> = {}, now: () => number = () => 0): BalancerContext {
  const keys = new Map<number, { k1: number; k2: number }>();
  return {
    backends: view,
    now,
    options,
    random(request, draw) {
      let k = keys.get(draw);
      if (k === undefined) keys.set(draw, (k = streamKey(seed, Purpose.Balancer, draw)));
      return uniform(k.k1, k.k2, request);
    },
  };
}

export const backendArb = fc.record({
  weight: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 6 })),
  up: fc.boolean(),
  inFlight: fc.integer({ min: 0, max: 6 }),
  // An Envoy priority level, mostly 0 (envoy/* balance over levels; the others ignore them).
  level: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }) }),
});
// As scenarios guarantee (the schema rejects it otherwise): at least one weight above 0.
export const backendsArb = fc.array(backendArb, { minLength: 1, maxLength: 9 }).filter((bs) => bs.some((b) => b.weight > 0));

export type Op = { kind: 'pick' } | { kind: 'complete'; b: number } | { kind: 'down'; b: number } | { kind: 'up'; b: number };
export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'pick' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('complete' as const), b: fc.nat(8) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('down' as const), b: fc.nat(8) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('up' as const), b: fc.nat(8) }) },
);


/** Where a drive() stands: the next request number, the requests in flight at each backend (oldest first), the clock. */
export interface DriveState {
  next: number;
  held: number[][];
  clock: { now: number };
}

export function driveState(backends: number): DriveState {
  return { next: 0, held: Array.from({ length: backends }, () => []), clock: { now: 0 } };
}

/**
 * Drives a balancer through `ops` the way the engine does (hooks on dispatch, completion
 * of the oldest request at that backend, outage), calling `check` after every pick before
 * state changes. Time moves on (for a context reading `at.clock`) and latencies vary, so
 * EWMA-like state takes many values. Returns the picks. Continue a run by passing its `at`.
 */
export function drive(balancer: Balancer, view: FakeBackends, ops: readonly Op[], check: (picked: number) => void = () => {}, at: DriveState = driveState(view.count)): number[] {
  const picks: number[] = [];
  ops.forEach((op, k) => {
    at.clock.now += 0.37 + (k % 5) * 1.1;
    if (op.kind === 'pick') {
      const r = at.next++;
      // As the engine: with every backend down the balancer is not asked; the request is rejected.
      const b = view.upCount > 0 ? balancer.pick(r, r % 7, r % 3) : -1;
      check(b);
      picks.push(b);
      if (b >= 0) {
        view.inFlight[b]!++;
        at.held[b]!.push(r);
        balancer.onDispatch?.(b, r);
      }
      return;
    }
    const b = op.b % view.count;
    if (op.kind === 'complete' && view.inFlight[b]! > 0) {
      view.inFlight[b]!--;
      // A backend may start with requests in flight that no drive() sent: those are -1.
      balancer.onComplete?.(b, 0.25 + ((k * 7919) % 97) / 3, at.held[b]!.shift() ?? -1);
    } else if (op.kind === 'down' && view.up[b] === 1) {
      view.up[b] = 0;
      balancer.onBackendDown?.(b);
    } else if (op.kind === 'up' && view.up[b] === 0) {
      view.up[b] = 1;
      balancer.onBackendUp?.(b);
    }
  });
  return picks;
}
