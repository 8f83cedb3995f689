/**
 * Drives a balancer outside the engine: a hand-made BackendView whose in-flight counts
 * the test controls, a counter-based ctx.random, and helpers that record pick sequences.
 */
import type { BackendView, Balancer, BalancerContext, BalancerModule } from '../../src/balancers/types.ts';
import { Purpose, streamKey, uniform } from '../../src/random/counter-rng.ts';

export interface FakeView extends BackendView {
  readonly weight: Float64Array;
  readonly up: Uint8Array;
  readonly inFlight: Int32Array;
  readonly queued: Int32Array;
  readonly maxconn: Float64Array;
  readonly proxyQueued: Int32Array;
  readonly full: Uint8Array;
  upCount: number;
}

export function view(weights: readonly number[], names?: readonly string[]): FakeView {
  const n = weights.length;
  return {
    count: n,
    names: names ?? weights.map((_, i) => String.fromCharCode(97 + i)),
    weight: Float64Array.from(weights),
    concurrency: new Int32Array(n).fill(1),
    up: new Uint8Array(n).fill(1),
    inFlight: new Int32Array(n),
    queued: new Int32Array(n),
    maxconn: new Float64Array(n).fill(Number.POSITIVE_INFINITY),
    maxqueue: new Float64Array(n).fill(Number.POSITIVE_INFINITY),
    proxyQueued: new Int32Array(n),
    full: new Uint8Array(n),
    upCount: n,
  };
}

export interface Harness {
  readonly view: FakeView;
  readonly balancer: Balancer;
  now: number;
  /** Picks `count` requests that finish at once (no load builds up); returns backend names. */
  sequence(count: number, client?: (i: number) => number, route?: (i: number) => number): string[];
  /** One pick that stays in flight (dispatched, not completed). */
  hold(client?: number, route?: number): number;
  /** Finishes request `which` at b (default: the oldest held there). */
  complete(b: number, latencyMs?: number, which?: number): void;
  down(b: number): void;
  upAgain(b: number): void;
}

/** What a harness may be given beyond weights and options. */
export interface HarnessExtras {
  /** Each backend's Envoy priority level (BackendView.priority). @default none (all at 0) */
  priority?: readonly number[];
  /** Each backend's Envoy locality (BackendView.locality). @default none */
  locality?: readonly string[];
  /** Replaces ctx.random (e.g. a constant, as Envoy's tests mock random()). @default counter-based from the seed */
  random?: (request: number, draw: number) => number;
}

export function harness(module: BalancerModule, weights: readonly number[], options: Record<string, unknown> = {}, seed = 1, names?: readonly string[], extras: HarnessExtras = {}): Harness {
  const v: FakeView = {
    ...view(weights, names),
    ...(extras.priority === undefined ? {} : { priority: Int32Array.from(extras.priority) }),
    ...(extras.locality === undefined ? {} : { locality: extras.locality }),
  };
  const keys = Array.from({ length: 16 }, (_, d) => streamKey(seed, Purpose.Balancer, d));
  let request = 0;
  /** Request numbers in flight at each backend, oldest first: complete(b) finishes the oldest. */
  const held: number[][] = weights.map(() => []);
  const h: Harness = {
    view: v,
    now: 0,
    balancer: undefined as unknown as Balancer,
    sequence(count, client = () => 0, route = () => 0) {
      const out: string[] = [];
      for (let i = 0; i < count; i++) {
        const b = h.hold(client(i), route(i));
        out.push(b < 0 ? '-' : v.names[b]!);
        if (b >= 0) h.complete(b);
      }
      return out;
    },
    hold(client = 0, route = 0) {
      const r = request++;
      const b = h.balancer.pick(r, client, route);
      if (b >= 0) {
        v.inFlight[b]!++;
        held[b]!.push(r);
        h.balancer.onDispatch?.(b, r);
      }
      return b;
    },
    complete(b, latencyMs = 1, which?: number) {
      v.inFlight[b]!--;
      const line = held[b]!;
      const at = which === undefined ? 0 : line.indexOf(which);
      const r = at >= 0 ? line.splice(at, 1)[0]! : -1;
      h.balancer.onComplete?.(b, latencyMs, r);
    },
    down(b) {
      v.up[b] = 0;
      v.upCount--;
      h.balancer.onBackendDown?.(b);
    },
    upAgain(b) {
      v.up[b] = 1;
      v.upCount++;
      h.balancer.onBackendUp?.(b);
    },
  };
  const ctx: BalancerContext = {
    backends: v,
    options,
    now: () => h.now,
    random: extras.random ?? ((req, draw) => {
      const k = keys[draw] ?? (keys[draw] = streamKey(seed, Purpose.Balancer, draw));
      return uniform(k.k1, k.k2, req);
    }),
  };
  (h as { balancer: Balancer }).balancer = module.create(ctx);
  return h;
}

/** Counts picks per backend name. */
export function tally(names: readonly string[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const n of names) t[n] = (t[n] ?? 0) + 1;
  return t;
}
