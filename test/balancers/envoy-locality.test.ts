/**
 * Envoy locality-weighted balancing (src/balancers/envoy/localities.ts, and
 * PrioritySet.normalizedHosts for ring hash and Maglev). The shares follow
 * the table in Envoy's docs ("Locality weighted load balancing": X weight 1, Y weight 2, Y
 * wholly available; X at 100%, 70%, 50%, 25%, 0% healthy takes 33%, 33%, 26%, 15%, 0%),
 * computed exactly as the code computes them (the docs round). The pick sequences are
 * derived by hand from edf_scheduler.h, as in envoy.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareLocalities } from '../../src/balancers/envoy/localities.ts';
import { envoyLeastRequest } from '../../src/balancers/envoy/least-request.ts';
import { envoyMaglev } from '../../src/balancers/envoy/maglev.ts';
import { envoyRandom } from '../../src/balancers/envoy/random.ts';
import { buildRing, envoyRingHash } from '../../src/balancers/envoy/ring-hash.ts';
import { envoyRoundRobin } from '../../src/balancers/envoy/round-robin.ts';
import type { BalancerModule } from '../../src/balancers/types.ts';
import { contextFor, drive, FakeBackends, opArb } from '../helpers/fake-backends.ts';
import { PrioritySet } from '../../src/balancers/envoy/priority-set.ts';
import { harness, tally, view } from './harness.ts';

/** `n` hosts in locality X then `n` in Y, named x0.. and y0..; weights X 1, Y 2. */
function zones(module: BalancerModule, n: number, options: Record<string, unknown> = {}, seed = 1) {
  const names = [...Array.from({ length: n }, (_, i) => `x${i}`), ...Array.from({ length: n }, (_, i) => `y${i}`)];
  const locality = names.map((name) => (name.startsWith('x') ? 'r/x' : 'r/y'));
  return harness(module, names.map(() => 1), { locality_weighted_lb: true, locality_weights: { 'r/x': 1, 'r/y': 2 }, ...options }, seed, names, { locality });
}

describe('locality-weighted balancing (Envoy docs table)', () => {
  for (const module of [envoyRoundRobin, envoyLeastRequest, envoyRandom]) {
    it(`${module.name}: X's share is 1 × min(1, 1.4 × healthy) over that plus Y's 2`, () => {
      for (const [healthyOf20, docs] of [
        [20, 33],
        [14, 33],
        [10, 26],
        [5, 15],
        [0, 0],
      ] as const) {
        const h = zones(module, 20);
        for (let b = healthyOf20; b < 20; b++) h.down(b);
        const n = 6000;
        const x = h.sequence(n).filter((name) => name.startsWith('x')).length / n;
        const effective = Math.min(1, 1.4 * (healthyOf20 / 20));
        const exact = effective / (effective + 2);
        // The locality is an EDF schedule, not a draw: the share is exact to a pick or two.
        expect(Math.abs(x - exact), `${healthyOf20} of 20 healthy`).toBeLessThan(3 / n);
        expect(Math.round(exact * 100), 'the docs table').toBe(docs);
      }
    });
  }

  it('round robin: the locality sequence is EDF on weights 1 and 2 (y x y y x y ...), then each locality rotates its own hosts', () => {
    const h = zones(envoyRoundRobin, 2, { initial_index: 0 });
    expect(h.sequence(9).join(' ')).toBe('y0 x0 y1 y0 x1 y1 y0 x0 y1');
  });

  it('a level whose localities have no weight balances over its healthy hosts as without localities', () => {
    const names = ['a', 'b', 'c', 'd'];
    const h = harness(envoyRoundRobin, [1, 1, 1, 1], { locality_weighted_lb: true, initial_index: 0 }, 1, names, { locality: ['r/x', 'r/x', 'r/y', 'r/y'] });
    expect(h.sequence(4).join('')).toBe('abcd');
  });

  it('a host change rebuilds only its own level\'s locality scheduler', () => {
    // P0: localities X (1) and Y (2), one host each; P1: one host. A change at P1 leaves P0's schedule going on.
    const locality = ['r/x', 'r/y', 'r/x'];
    const options = { locality_weighted_lb: true, locality_weights: { 'r/x': 1, 'r/y': 2 }, initial_index: 0 };
    const h = harness(envoyRoundRobin, [1, 1, 1], options, 1, ['x', 'y', 'p1'], { locality, priority: [0, 0, 1] });
    expect(h.sequence(2).join('')).toBe('yx');
    h.down(2);
    expect(h.sequence(4).join('')).toBe('yyxy');
    // A change at P0 (x down: 1 of 2 healthy there) starts P0's schedule over: Y alone is left.
    h.down(0);
    expect(new Set(h.sequence(6))).toEqual(new Set(['y']));
  });

  it('saves the locality schedulers: a copy with another history, loaded with the state, picks alike', () => {
    for (const module of [envoyRoundRobin, envoyLeastRequest, envoyRandom]) {
      const h = zones(module, 3, {}, 4);
      h.down(1);
      h.sequence(23);
      const copy = zones(module, 3, {}, 4);
      copy.sequence(10);
      copy.down(1); // a rebuild at another moment: another schedule
      copy.sequence(13);
      copy.balancer.loadState!(h.balancer.saveState!());
      expect(copy.sequence(40), module.name).toEqual(h.sequence(40));
    }
  });

  it('orders localities as Envoy\'s LocalityLess: region, then zone, then sub_zone', () => {
    expect(['a-b/z', 'a/z', 'a', 'a/y/2', 'a/y'].sort(compareLocalities)).toEqual(['a', 'a/y', 'a/y/2', 'a/z', 'a-b/z']);
  });

  it('names a locality_weights entry no backend has', () => {
    expect(() => harness(envoyRoundRobin, [1, 1], { locality_weighted_lb: true, locality_weights: { 'r/q': 1 } }, 1, ['a', 'b'], { locality: ['r/x', 'r/y'] })).toThrow(
      /balancer\.locality_weights: 'r\/q' is no backend's locality; expected one of r\/x, r\/y/,
    );
  });
});

describe('locality weights in ring hash and Maglev (normalizeLocalityWeights)', () => {
  const names = ['10.0.0.1:80', '10.0.0.2:80', '10.0.1.1:80', '10.0.1.2:80'];
  const locality = ['eu/x', 'eu/x', 'eu/y', 'eu/y'];
  for (const module of [envoyRingHash, envoyMaglev]) {
    it(`${module.name}: X weight 1 and Y 3, two equal hosts each, build the ${module.name === 'envoy/maglev' ? 'table' : 'ring'} of host weights 1, 1, 3, 3; all weights 0: no host`, () => {
      const h = harness(module, [1, 1, 1, 1], { locality_weighted_lb: true, locality_weights: { 'eu/x': 1, 'eu/y': 3 } }, 1, names, { locality });
      const flat = harness(module, [1, 1, 3, 3], {}, 1, names);
      const keys = (n: number, run: ReturnType<typeof harness>) => run.sequence(n, () => 0, (i) => i);
      expect(keys(20_000, h)).toEqual(keys(20_000, flat));
      const none = harness(module, [1, 1, 1, 1], { locality_weighted_lb: true }, 1, names, { locality });
      expect(new Set(keys(50, none))).toEqual(new Set(['-']));
    });
  }

  it('the locality weights are not adjusted for health: with X down the normalized weights sum to 3/4, and the ring is 3/4 as long', () => {
    const v = { ...view([1, 1, 1, 1], names), locality };
    v.up.set([0, 0, 1, 1]);
    const set = new PrioritySet(v, 'envoy/ring_hash', { locality_weighted_lb: true, locality_weights: { 'eu/x': 1, 'eu/y': 3 } });
    const hosts = new Int32Array(4);
    const weight = new Float64Array(4);
    const n = set.normalizedHosts(0, set.source(0), hosts, weight);
    expect(Array.from(hosts.subarray(0, n))).toEqual([2, 3]);
    expect([weight[2], weight[3]]).toEqual([0.375, 0.375]);
    // min weight 0.375: scale = ceil(0.375 × 1024) / 0.375 = 1024, and 1024 × 0.75 hashes.
    expect(buildRing(names, weight, hosts, n, 1024, 8_388_608, true).host.length).toBe(768);
    expect(buildRing(names, weight, hosts, n, 1024, 8_388_608).host.length).toBe(1024);
  });
});

describe('every zone-aware envoy/* algorithm over random localities and levels (panic off)', () => {
  const spec = fc.array(
    fc.record({
      weight: fc.integer({ min: 1, max: 4 }),
      up: fc.boolean(),
      inFlight: fc.integer({ min: 0, max: 3 }),
      level: fc.integer({ min: 0, max: 1 }),
      zone: fc.constantFrom<string>('r/a', 'r/b', 'r/c'),
    }),
    { minLength: 2, maxLength: 8 },
  );
  const ops = fc.array(fc.oneof({ weight: 3, arbitrary: opArb }, { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('down' as const, 'up' as const), b: fc.nat(7) }) }), { maxLength: 80 });
  const weights = fc.record({ 'r/a': fc.integer({ min: 0, max: 3 }), 'r/b': fc.integer({ min: 0, max: 3 }), 'r/c': fc.integer({ min: 0, max: 3 }) });
  for (const module of [envoyRoundRobin, envoyLeastRequest, envoyRandom]) {
    it(`${module.name}: never picks a down host`, () => {
      fc.assert(
        fc.property(spec, ops, weights, fc.nat(), (backends, script, w, seed) => {
          const make = () => {
            const v = new FakeBackends(backends);
            (v as { locality?: readonly string[] }).locality = backends.map((b) => b.zone);
            const used = new Set(backends.map((b) => b.zone));
            const options = { healthy_panic_threshold: 0, locality_weighted_lb: true, locality_weights: Object.fromEntries(Object.entries(w).filter(([k]) => used.has(k))) };
            const balancer = module.create(contextFor(v, seed, options));
            backends.forEach((b, i) => {
              if (!b.up) balancer.onBackendDown?.(i);
            });
            return { v, balancer };
          };
          const a = make();
          const check = (b: number) => {
            if (a.v.anyEligible()) expect(a.v.isEligible(b), `picked b${b}`).toBe(true);
            else expect(b).toBe(-1);
          };
          drive(a.balancer, a.v, script, check);
        }),
        { numRuns: 150 },
      );
    });
  }
});
