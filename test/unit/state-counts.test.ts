/**
 * countsMatch (src/engine/state.ts) lets a fix-up skip a snapshot that cannot equal the
 * first run's. It must never say no to an equal state (that would turn an exact splice
 * into a full replay, or worse, hide a meeting), and it should say no when the queues
 * differ. Checked on live simulations: plain, with outages, overloaded, and with the
 * proxy layer (whose own queues follow the core part of the state). Beside it, the
 * backends' in-flight total (BackendState.inFlightTotal) against the counts it sums.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import { countsMatch, sameState } from '../../src/engine/state.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { createSimulation } from '../../src/simulation-setup.ts';

const scenario = (rate: string, extra: string, balancer = 'least-connections', backend = '') =>
  parseScenario(
    `name: counts\nseed: 3\nduration: 30s\ntraffic: { synthetic: { rate: ${rate}, service: { distribution: exponential, mean: 4ms } } }\nbalancer: { algorithm: ${balancer}${extra} }\nbackends:\n  - { name: a, count: 3, concurrency: 2, queue: 100000${backend} }\n  - { name: b, concurrency: 1, queue: 100000, outages: [{ from: 5s, to: 12s }]${backend} }\n`,
    { file: 'counts.yaml' },
  );

const sims = (sc: ReturnType<typeof scenario>) => createSimulation(sc, BUILTIN_BALANCERS.get(sc.balancer.algorithm)!, sc.seed);

describe('countsMatch', () => {
  for (const [what, sc] of [
    ['moderate load with an outage', scenario('1000/s', '')],
    ['overload: queues that only grow', scenario('2500/s', '')],
    ['the proxy layer: maxconn and a proxy queue', scenario('2500/s', ', timeout_queue: 200ms, retries: 1', 'haproxy/leastconn', ', maxconn: 2')],
  ] as const) {
    it(`${what}: yes to the state a simulation is in, at every second`, () => {
      const sim = sims(sc);
      const bs = sim.backends;
      let waited = 0;
      for (let t = 1000; t < 30_000 && sim.runUntil(t); t += 1000) {
        const state = sim.snapshot();
        expect(countsMatch(state, bs.downDepth, bs.busy, bs.queued), `t = ${t}`).toBe(true);
        // The total the bounded-load balancers read is the sum it stands for.
        expect(bs.inFlightTotal, `t = ${t}`).toBe(bs.inFlight.reduce((a, b) => a + b, 0));
        waited += bs.queued.reduce((a, b) => a + b, 0);
      }
      // Queues had something to count.
      expect(waited).toBeGreaterThan(0);
    });
  }

  it('a simulation restored from a snapshot has the in-flight total of the state', () => {
    const sc = scenario('2500/s', '');
    const a = sims(sc);
    a.runUntil(9_000);
    const b = createSimulation(sc, BUILTIN_BALANCERS.get(sc.balancer.algorithm)!, sc.seed, { startMs: 9_000, endMs: 30_000, firstRequest: 0, traffic: { endTime: 0, fill: (c) => void (c.count = 0) }, trafficEndMs: 30_000 });
    b.restore(a.snapshot());
    expect(b.backends.inFlightTotal).toBeGreaterThan(0);
    expect(b.backends.inFlightTotal).toBe(a.backends.inFlightTotal);
  });

  it('no to a state whose queues differ, and such states are never the same', () => {
    const sc = scenario('2500/s', '');
    const a = sims(sc);
    const b = sims(sc);
    a.runUntil(8_000);
    b.runUntil(9_000);
    const later = b.snapshot();
    const bs = a.backends;
    expect(countsMatch(later, bs.downDepth, bs.busy, bs.queued)).toBe(false);
    expect(sameState(a.snapshot(), later)).toBe(false);
  });
});
