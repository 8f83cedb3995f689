/**
 * Every registered balancer inside the real engine (scenario parser → simulateSync), on
 * random small scenarios with drained backends (weight 0) and outages: the run is
 * deterministic, a drained backend never receives a request, and a backend receives none
 * in an interval it spends entirely in an outage. test/properties/balancers.test.ts checks
 * the same rules on the balancers alone; this checks that the engine keeps them too (it
 * calls hooks, skips the balancer when everything is down, applies options).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import { simulateObject } from '../helpers/simulate.ts';

/**
 * Options per algorithm for these runs. Envoy's "panic mode" (healthy_panic_threshold,
 * default 50%) balances over down hosts on purpose when too few are healthy
 * (src/balancers/envoy/priority-set.ts); it is turned off so the outage rule applies.
 */
function optionsFor(name: string): Record<string, unknown> {
  return name.startsWith('envoy/') ? { healthy_panic_threshold: 0 } : {};
}

const backendArb = fc.record({
  weight: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 4 }) }),
  concurrency: fc.integer({ min: 1, max: 3 }),
  // An outage of whole seconds inside the 8 s run, or none.
  outage: fc.option(
    fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 4 })).map(([from, len]) => ({ from: from * 1000, to: Math.min(from + len, 8) * 1000 })),
    { nil: undefined },
  ),
});
const scenarioArb = fc.record({
  backends: fc.array(backendArb, { minLength: 1, maxLength: 6 }).filter((bs) => bs.some((b) => b.weight > 0)),
  seed: fc.nat(1000),
  clients: fc.integer({ min: 1, max: 50 }),
});

describe.each([...BUILTIN_BALANCERS.keys()])('%s in the engine', (name) => {
  it('is deterministic, never sends to a drained backend, and sends nothing to a backend through a whole outage interval', () => {
    fc.assert(
      fc.property(scenarioArb, ({ backends, seed, clients }) => {
        const scenario = {
          name: 'props',
          seed,
          duration: '8s',
          traffic: { synthetic: { rate: 400, service: { distribution: 'exponential', mean: 3 }, clients: { count: clients, skew: 1 }, routes: { count: 5, skew: 0 } } },
          balancer: { algorithm: name, ...optionsFor(name) },
          backends: backends.map((b, i) => ({
            name: `b${i}`,
            weight: b.weight,
            concurrency: b.concurrency,
            queue: 20,
            ...(b.outage === undefined ? {} : { outages: [b.outage] }),
          })),
        };
        const report = simulateObject(scenario);
        expect(JSON.stringify(simulateObject(scenario))).toBe(JSON.stringify(report));
        backends.forEach((b, i) => {
          if (b.weight === 0) expect(report.backends[i]!.requests, `b${i} has weight 0`).toBe(0);
          if (b.outage !== undefined) {
            const series = report.timeseries.backends[i]!.requests;
            for (let s = b.outage.from / 1000; s < b.outage.to / 1000; s++) expect(series[s], `b${i} is down in second ${s}`).toBe(0);
          }
        });
        expect(report.requests.completed + report.requests.rejected + report.requests.timedOut).toBe(report.requests.total);
      }),
      { numRuns: 25 },
    );
  });
});
