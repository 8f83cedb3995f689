/**
 * Runs the engine with the proxy layer on a hand-written list of requests, and logs what
 * happened to each one: which backend it was sent to and when, when it finished. For
 * golden traces of the proxy's queues and retries (src/engine/proxy.ts).
 */
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import type { BalancerModule } from '../../src/balancers/types.ts';
import type { BackendSpec } from '../../src/engine/backends.ts';
import { PROXY_DEFAULTS, type ProxyOptions } from '../../src/engine/proxy-options.ts';
import { ProxySimulation } from '../../src/engine/proxy.ts';
import { collectMetrics } from '../../src/metrics/run-metrics.ts';
import type { Totals } from '../../src/metrics/totals.ts';
import type { RequestChunk, TrafficSource } from '../../src/traffic/source.ts';

export interface TraceRequest {
  at: number;
  work: number;
  client?: number;
  route?: number;
}

export function arrayTraffic(requests: readonly TraceRequest[]): TrafficSource {
  let next = 0;
  return {
    endTime: requests.length > 0 ? requests[requests.length - 1]!.at : 0,
    fill(c: RequestChunk) {
      let n = 0;
      for (; next < requests.length && n < c.capacity; next++, n++) {
        const r = requests[next]!;
        c.arrival[n] = r.at;
        c.work[n] = r.work;
        c.client[n] = r.client ?? 0;
        c.route[n] = r.route ?? 0;
      }
      c.count = n;
    },
  };
}

/** One attempt sent to a backend: request number, attempt, backend name, when sent, when answered (or null). */
export interface Sent {
  request: number;
  attempt: number;
  backend: string;
  at: number;
  done: number | null;
}

/** One pick of the balancer: request number, attempt, backend name (null: none), when. */
export interface Picked {
  request: number;
  attempt: number;
  backend: string | null;
  at: number;
}

export interface ProxyRun {
  sent: Sent[];
  picks: Picked[];
  totals: Totals;
  sim: ProxySimulation;
}

export function backendSpecs(list: readonly (Partial<BackendSpec> & { name: string })[]): BackendSpec[] {
  return list.map((b) => ({ weight: 1, concurrency: 1, queue: Number.POSITIVE_INFINITY, speed: 1, outages: [], ...b }));
}

/**
 * Runs `requests` through `algorithm` with the proxy layer on, logging every attempt sent.
 * `wrap` puts something in front of the logged algorithm (session persistence).
 */
export function runProxy(algorithm: string, backends: BackendSpec[], proxy: Partial<ProxyOptions>, requests: readonly TraceRequest[], options: Record<string, unknown> = {}, seed = 1, wrap = (m: BalancerModule) => m): ProxyRun {
  const inner = BUILTIN_BALANCERS.get(algorithm);
  if (inner === undefined) throw new Error(`no balancer ${algorithm}`);
  const sent: Sent[] = [];
  const picks: Picked[] = [];
  const open = new Map<number, Sent>();
  let now = () => 0;
  const logged: BalancerModule = {
    name: inner.name,
    description: inner.description,
    ...(inner.spreadsBackups === undefined ? {} : { spreadsBackups: inner.spreadsBackups }),
    create(ctx) {
      now = ctx.now;
      const b = inner.create(ctx);
      return {
        pick(r, c, k) {
          const picked = b.pick(r, c, k);
          picks.push({ request: r % 2 ** 40, attempt: Math.floor(r / 2 ** 40), backend: picked >= 0 ? ctx.backends.names[picked]! : null, at: now() });
          return picked;
        },
        onDispatch(backend, id) {
          const s: Sent = { request: id % 2 ** 40, attempt: Math.floor(id / 2 ** 40), backend: ctx.backends.names[backend]!, at: now(), done: null };
          sent.push(s);
          open.set(id, s);
          b.onDispatch?.(backend, id);
        },
        onComplete(backend, latency, id) {
          open.get(id)!.done = now();
          open.delete(id);
          b.onComplete?.(backend, latency, id);
        },
        ...(b.onBackendDown === undefined ? {} : { onBackendDown: (x: number) => b.onBackendDown!(x) }),
        ...(b.onBackendUp === undefined ? {} : { onBackendUp: (x: number) => b.onBackendUp!(x) }),
        ...(b.onRefused === undefined ? {} : { onRefused: (x: number) => b.onRefused!(x) }),
      };
    },
  };
  const sim = new ProxySimulation({ backends, balancer: wrap(logged), balancerOptions: options, seed }, { ...PROXY_DEFAULTS, holdServer: algorithm.startsWith('haproxy/'), ...proxy }, arrayTraffic(requests));
  sim.run();
  return { sent, picks, totals: collectMetrics(sim).totals, sim };
}

/** `r2 a@10-20` lines of a run, in the order attempts were sent. */
export function traceLines(run: ProxyRun): string[] {
  return run.sent.map((s) => `r${s.request}${s.attempt > 0 ? `#${s.attempt}` : ''} ${s.backend}@${s.at}-${s.done ?? 'open'}`);
}
