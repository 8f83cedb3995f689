/**
 * Property: with any mix of server-health knobs (active checks, nginx passive checks,
 * Envoy outlier detection, backups, slow start) and outages, no built-in balancer ever
 * picks a backend the balancer believes down (`up` = 0), and `upCount` is always the
 * number of backends with up = 1. Envoy's algorithms run with panic off (in panic they
 * balance over every host on purpose: see src/balancers/envoy/priority-set.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import type { BalancerModule } from '../../src/balancers/types.ts';
import type { BackendSpec } from '../../src/engine/backends.ts';
import { OUTLIER_DEFAULTS } from '../../src/engine/server-health.ts';
import { Simulation } from '../../src/engine/simulation.ts';
import { steady } from '../helpers/server-health.ts';

const outageArb = fc.record({ from: fc.integer({ min: 0, max: 8000 }), len: fc.integer({ min: 1, max: 6000 }) }).map((o) => ({ from: o.from, to: o.from + o.len }));
const backendArb = fc.record({
  weight: fc.integer({ min: 1, max: 4 }),
  outages: fc.array(outageArb, { maxLength: 2 }),
  check: fc.option(fc.record({ interMs: fc.integer({ min: 100, max: 3000 }), rise: fc.integer({ min: 1, max: 3 }), fall: fc.integer({ min: 1, max: 3 }) }), { nil: undefined }),
  passive: fc.option(fc.record({ maxFails: fc.integer({ min: 0, max: 3 }), failTimeoutMs: fc.integer({ min: 100, max: 5000 }) }), { nil: undefined }),
  backup: fc.boolean(),
  slow: fc.constantFrom('none', 'haproxy', 'envoy'),
});
const scenarioArb = fc.record({
  backends: fc.array(backendArb, { minLength: 2, maxLength: 5 }),
  outlier: fc.boolean(),
  allBackups: fc.boolean(),
  seed: fc.nat(),
});

type Generated = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function specsOf(s: Generated): BackendSpec[] {
  return s.backends.map((b, i) => ({
    name: `b${i}`,
    weight: b.weight,
    concurrency: 2,
    queue: 5,
    speed: 1,
    outages: b.outages,
    ...(b.check ? { check: b.check } : {}),
    ...(b.passive ? { passive: b.passive } : {}),
    ...(b.backup ? { backup: true } : {}),
    ...(b.slow === 'haproxy' ? { slowStart: { proxy: 'haproxy' as const, periodMs: 3000 } } : b.slow === 'envoy' ? { slowStart: { proxy: 'envoy' as const, windowMs: 3000, aggression: 1.5, minWeightPercent: 10 } } : {}),
  }));
}

describe.each([...BUILTIN_BALANCERS.entries()])('balancer %s with server-health knobs', (name: string, module: BalancerModule) => {
  it('never picks a backend it believes down', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        let picks = 0;
        const checked: BalancerModule = {
          name: module.name,
          description: module.description,
          ...(module.spreadsBackups === undefined ? {} : { spreadsBackups: module.spreadsBackups }),
          create(ctx) {
            const inner = module.create(ctx);
            const pick = inner.pick.bind(inner);
            inner.pick = (request, client, route) => {
              const v = ctx.backends;
              let up = 0;
              for (let b = 0; b < v.count; b++) up += v.up[b]!;
              expect(v.upCount).toBe(up);
              const b = pick(request, client, route);
              picks++;
              if (b >= 0) expect(v.up[b], `picked ${v.names[b]} at ${ctx.now()} ms while believed down`).toBe(1);
              return b;
            };
            return inner;
          },
        };
        const sim = new Simulation(
          {
            backends: specsOf(s),
            balancer: checked,
            balancerOptions: name.startsWith('envoy/') ? { healthy_panic_threshold: 0 } : {},
            seed: s.seed,
            timeoutMs: 200,
            serverSet: { allBackups: s.allBackups, outlier: s.outlier ? { ...OUTLIER_DEFAULTS, consecutive5xx: 3, intervalMs: 1000, baseEjectionMs: 2000, maxEjectionPercent: 50 } : null },
          },
          steady(7, 15_000, 9),
        );
        sim.run();
        expect(picks).toBeGreaterThan(0);
      }),
      { numRuns: 25 },
    );
  });
});
