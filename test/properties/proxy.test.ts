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
import { PROXY_SCENARIO_ARBS, proxyScenarioFields } from '../helpers/proxy-scenarios.ts';
import { scenarioOf } from '../helpers/simulate.ts';

describe('the proxy layer on random scenarios', () => {
  it('never has more than maxconn requests open on a backend, and gives every request one outcome', () => {
    fc.assert(
      fc.property(...PROXY_SCENARIO_ARBS, (algorithm, backends, proxy, seed) => {
        const scenario = scenarioOf(proxyScenarioFields(algorithm, backends, proxy, seed));
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
