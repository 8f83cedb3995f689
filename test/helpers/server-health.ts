/**
 * Drives the real engine with exact arrivals (no randomness in the traffic), recording
 * every pick with its time, so server-health tests can count requests precisely.
 */
import type { Balancer, BalancerModule } from '../../src/balancers/types.ts';
import type { BackendSpec } from '../../src/engine/backends.ts';
import type { ServerSetSpec } from '../../src/engine/server-health.ts';
import { Simulation } from '../../src/engine/simulation.ts';
import type { RequestChunk, TrafficSource } from '../../src/traffic/source.ts';

/** Requests every `everyMs` from `fromMs` until before `untilMs`, each of `workMs`, client = route = request number. */
export function steady(everyMs: number, untilMs: number, workMs = 1, fromMs = 0): TrafficSource {
  let t = fromMs;
  let k = 0;
  return {
    endTime: untilMs,
    fill(c: RequestChunk) {
      let n = 0;
      while (n < c.capacity && t < untilMs) {
        c.arrival[n] = t;
        c.work[n] = workMs;
        c.client[n] = k;
        c.route[n] = k;
        c.flags[n] = 0;
        n++;
        k++;
        t = fromMs + k * everyMs;
      }
      c.count = n;
    },
  };
}

export interface Pick {
  t: number;
  b: number;
}

/** Wraps a balancer module so every pick is logged (time, backend). */
export function logged(module: BalancerModule, log: Pick[]): BalancerModule {
  return {
    name: module.name,
    description: module.description,
    ...(module.spreadsBackups === undefined ? {} : { spreadsBackups: module.spreadsBackups }),
    create(ctx) {
      const inner = module.create(ctx);
      const b: Balancer = {
        pick(request, client, route) {
          const picked = inner.pick(request, client, route);
          log.push({ t: ctx.now(), b: picked });
          return picked;
        },
      };
      if (inner.onDispatch) b.onDispatch = inner.onDispatch.bind(inner);
      if (inner.onComplete) b.onComplete = inner.onComplete.bind(inner);
      if (inner.onBackendDown) b.onBackendDown = inner.onBackendDown.bind(inner);
      if (inner.onBackendUp) b.onBackendUp = inner.onBackendUp.bind(inner);
      if (inner.onWeightChange) b.onWeightChange = inner.onWeightChange.bind(inner);
      return b;
    },
  };
}

export function backend(name: string, fields: Partial<BackendSpec> = {}): BackendSpec {
  return { name, weight: 1, concurrency: 1000, queue: Number.POSITIVE_INFINITY, speed: 1, outages: [], ...fields };
}

export interface Run {
  sim: Simulation;
  picks: Pick[];
  /** Picks of backend b with from <= t < to. */
  count(b: number, from?: number, to?: number): number;
}

export function run(backends: BackendSpec[], module: BalancerModule, traffic: TrafficSource, options: { balancerOptions?: Record<string, unknown>; serverSet?: ServerSetSpec; timeoutMs?: number; seed?: number } = {}): Run {
  const picks: Pick[] = [];
  const sim = new Simulation(
    {
      backends,
      balancer: logged(module, picks),
      balancerOptions: options.balancerOptions ?? {},
      seed: options.seed ?? 1,
      ...(options.serverSet === undefined ? {} : { serverSet: options.serverSet }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    },
    traffic,
  );
  sim.run();
  return {
    sim,
    picks,
    count: (b, from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY) => picks.filter((p) => p.b === b && p.t >= from && p.t < to).length,
  };
}

/** `n` requests all arriving at `atMs`, each of `workMs`. */
export function burst(atMs: number, n: number, workMs: number): TrafficSource {
  let done = false;
  return {
    endTime: atMs,
    fill(c: RequestChunk) {
      if (done) {
        c.count = 0;
        return;
      }
      for (let i = 0; i < n; i++) {
        c.arrival[i] = atMs;
        c.work[i] = workMs;
        c.client[i] = i;
        c.route[i] = i;
        c.flags[i] = 0;
      }
      c.count = n;
      done = true;
    },
  };
}
