/**
 * Random small scenarios with the proxy layer (src/engine/proxy.ts) for property tests:
 * maxconn, maxqueue, queue timeouts, retries (delayed or not, avoiding tried hosts or
 * not), per-try timeouts, retry budgets and outages, for algorithms of every kind
 * (skipping full servers or bound by a hash, with or without a proxy queue).
 */
import fc from 'fast-check';

export const ALGORITHMS = ['round-robin', 'least-connections', 'power-of-two', 'haproxy/roundrobin', 'haproxy/static-rr', 'haproxy/leastconn', 'haproxy/first', 'haproxy/random', 'haproxy/source', 'haproxy/uri', 'nginx/round_robin', 'nginx/least_conn', 'nginx/hash', 'nginx/ip_hash', 'envoy/round_robin', 'envoy/least_request', 'envoy/ring_hash'];

export const backendArb = fc.record({
  concurrency: fc.integer({ min: 1, max: 3 }),
  queue: fc.oneof(fc.constant('unbounded' as const), fc.integer({ min: 0, max: 3 })),
  maxconn: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  maxqueue: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  outage: fc.option(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 2 })).map(([from, len]) => ({ from: from * 1000, to: (from + len) * 1000 })), { nil: undefined }),
});

export const proxyArb = fc.record({
  timeout_queue: fc.option(fc.integer({ min: 5, max: 200 }), { nil: undefined }),
  retries: fc.integer({ min: 0, max: 3 }),
  retry_on: fc.subarray(['refused', '503', 'timeout'] as const, { minLength: 1 }),
  redispatch: fc.oneof(fc.constantFrom<'never' | 'last' | 'always'>('never', 'last', 'always'), fc.integer({ min: -4, max: 3 })),
  per_try_timeout: fc.option(fc.integer({ min: 5, max: 100 }), { nil: undefined }),
  retry_budget: fc.option(fc.record({ budget_percent: fc.integer({ min: 0, max: 100 }), min_retry_concurrency: fc.integer({ min: 0, max: 3 }) }), { nil: undefined }),
  proxy_queue: fc.option(fc.boolean(), { nil: undefined }),
  // When retries start (HAProxy turn-around, Envoy back-off) and where (previous_hosts).
  timeout_connect: fc.option(fc.integer({ min: 1, max: 2000 }), { nil: undefined }),
  retry_backoff: fc.option(fc.oneof(fc.constant('none' as const), fc.record({ base_interval: fc.integer({ min: 1, max: 30 }), max_interval: fc.integer({ min: 30, max: 300 }) })), { nil: undefined }),
  retry_host_predicate: fc.option(fc.constant('previous_hosts' as const), { nil: undefined }),
  host_selection_retry_max_attempts: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
});

/** The arbitraries of one case: algorithm, backends, proxy knobs, seed (spread into fc.property). */
export const PROXY_SCENARIO_ARBS = [fc.constantFrom(...ALGORITHMS), fc.array(backendArb, { minLength: 1, maxLength: 4 }), proxyArb, fc.nat(1000)] as const;

/** A scenario (as its file's content) of 150 requests/s over `duration`. */
export function proxyScenarioFields(algorithm: string, backends: readonly BackendCase[], proxy: ProxyCase, seed: number, duration = '5s'): Record<string, unknown> {
  return {
    seed,
    duration,
    traffic: { synthetic: { rate: '150/s', service: { distribution: 'exponential', mean: '15ms' }, clients: { count: 20 }, routes: { count: 20 } } },
    balancer: { algorithm, ...(algorithm.startsWith('envoy/') ? { healthy_panic_threshold: 0 } : {}), ...Object.fromEntries(Object.entries(proxy).filter(([, v]) => v !== undefined)) },
    backends: backends.map((b, i) => ({
      name: `b${i}`,
      concurrency: b.concurrency,
      queue: b.queue,
      ...(b.maxconn === undefined ? {} : { maxconn: b.maxconn, ...(b.maxqueue === undefined ? {} : { maxqueue: b.maxqueue }) }),
      outages: b.outage === undefined ? [] : [b.outage],
    })),
  };
}

export type BackendCase = typeof backendArb extends fc.Arbitrary<infer T> ? T : never;
export type ProxyCase = typeof proxyArb extends fc.Arbitrary<infer T> ? T : never;
