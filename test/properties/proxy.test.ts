/**
 * The proxy layer (src/engine/proxy.ts) in the real engine, on random small scenarios
 * with maxconn, maxqueue, queue timeouts, retries (delayed or not, avoiding tried hosts
 * or not), per-try timeouts, retry budgets and outages, for algorithms of every kind (skipping full servers or bound by a hash, with
 * or without a proxy queue): after every event the proxy has at most maxconn requests
 * open on any backend, and in the end every request has exactly one outcome.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import { collectMetrics } from '../../src/metrics/run-metrics.ts';
import { createSimulation } from '../../src/simulate.ts';
import { scenarioOf } from '../helpers/simulate.ts';

const ALGORITHMS = ['round-robin', 'least-connections', 'power-of-two', 'haproxy/roundrobin', 'haproxy/static-rr', 'haproxy/leastconn', 'haproxy/first', 'haproxy/random', 'haproxy/source', 'haproxy/uri', 'nginx/round_robin', 'nginx/least_conn', 'nginx/hash', 'nginx/ip_hash', 'envoy/round_robin', 'envoy/least_request', 'envoy/ring_hash'];

const backendArb = fc.record({
  concurrency: fc.integer({ min: 1, max: 3 }),
  queue: fc.oneof(fc.constant('unbounded' as const), fc.integer({ min: 0, max: 3 })),
  maxconn: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  maxqueue: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  outage: fc.option(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 2 })).map(([from, len]) => ({ from: from * 1000, to: (from + len) * 1000 })), { nil: undefined }),
});

const proxyArb = fc.record({
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

describe('the proxy layer on random scenarios', () => {
  it('never has more than maxconn requests open on a backend, and gives every request one outcome', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALGORITHMS), fc.array(backendArb, { minLength: 1, maxLength: 4 }), proxyArb, fc.nat(1000), (algorithm, backends, proxy, seed) => {
        const fields = {
          seed,
          duration: '5s',
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
        const scenario = scenarioOf(fields);
        const sim = createSimulation(scenario, BUILTIN_BALANCERS.get(algorithm)!, seed);
        const bs = sim.backends;
        while (!sim.advance(1)) {
          // 750 requests of at most 4 attempts take a few thousand events: far more is a runaway loop, failed here, not an out-of-memory crash.
          if (sim.events > 200_000) throw new Error(`${algorithm}: runaway, ${sim.events} events by ${sim.now} ms`);
          for (let b = 0; b < bs.count; b++) {
            if (bs.served[b]! > bs.maxconn[b]!) throw new Error(`${algorithm}: ${bs.served[b]} open on b${b} (maxconn ${bs.maxconn[b]}) at ${sim.now} ms`);
            if (bs.proxyQueued[b]! > bs.maxqueue[b]!) throw new Error(`${algorithm}: ${bs.proxyQueued[b]} queued for b${b} (maxqueue ${bs.maxqueue[b]}) at ${sim.now} ms`);
          }
        }
        const t = collectMetrics(sim).totals;
        expect(t.completed + t.rejected + t.timedOut).toBe(t.total);
        expect(t.queueTimeouts).toBeLessThanOrEqual(t.rejectedByProxy);
        if (proxy.retries === 0) expect(t.retries).toBe(0);
        t.destroy();
      }),
      {
        numRuns: 60,
        examples: [
          // Found in CI: a retry queued on its (only) server when it went down was sent back to that server's queue forever.
          ['haproxy/source', [{ concurrency: 2, queue: 'unbounded', maxconn: 1, maxqueue: 2, outage: { from: 2000, to: 3000 } }], { timeout_queue: 198, retries: 2, retry_on: ['503', 'timeout'], redispatch: 'last', per_try_timeout: 6, retry_budget: { budget_percent: 3, min_retry_concurrency: 0 }, proxy_queue: true, timeout_connect: undefined, retry_backoff: undefined, retry_host_predicate: undefined, host_selection_retry_max_attempts: undefined }, 206],
        ],
      },
    );
  });
});
