/**
 * Properties every balancer in the registry must keep, checked with fast-check over random
 * backend sets (weights including 0, backends going down and up, arbitrary loads) and
 * random sequences of dispatches, completions and outages. The registry is iterated, so a
 * new algorithm is covered the moment it is registered. A property that does not hold for
 * an algorithm for a documented reason is skipped by name in SKIP, with that reason.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import type { Balancer, BalancerModule } from '../../src/balancers/types.ts';
import { FakeBackends, backendsArb, contextFor, drive, opArb, optionsFor } from '../helpers/fake-backends.ts';

/** Properties that may be skipped per algorithm, with the reason (none so far). */
const SKIP: Record<string, readonly ('eligible' | 'deterministic')[]> = {};

/**
 * Algorithms whose picks minimise a load: the backend chosen is never busier than the least
 * busy eligible one. Also applied, with equal weights, to any registered name that says
 * "least conn" (e.g. `haproxy/leastconn`, `nginx/least_conn`), where weighted and plain agree.
 */
const LOAD_OF: Record<string, (inFlight: number, weight: number) => number> = {
  'least-connections': (f) => f,
  'weighted-least-connections': (f, w) => f / w,
};
const SAYS_LEAST_CONN = /least[-_]?conn/i;

const RUNS = { numRuns: 300 };

describe.each([...BUILTIN_BALANCERS.entries()])('balancer %s', (name: string, module: BalancerModule) => {
  const skipped = SKIP[name] ?? [];

  it.skipIf(skipped.includes('eligible'))('never picks a down or weight-0 backend, and returns -1 only when none is eligible', () => {
    fc.assert(
      fc.property(backendsArb, fc.array(opArb, { maxLength: 60 }), fc.nat(), (spec, ops, seed) => {
        const view = new FakeBackends(spec);
        const balancer = module.create(contextFor(view, seed, optionsFor(name)));
        drive(balancer, view, ops, (b) => {
          if (view.anyEligible()) {
            expect(b).toBeGreaterThanOrEqual(0);
            expect(b).toBeLessThan(view.count);
            expect(view.isEligible(b), `picked b${b}: up=${view.up[b]} weight=${view.weight[b]}`).toBe(true);
          } else {
            expect(b).toBe(-1);
          }
        });
      }),
      RUNS,
    );
  });

  it.skipIf(skipped.includes('deterministic'))('is deterministic: the same inputs give the same picks', () => {
    fc.assert(
      fc.property(backendsArb, fc.array(opArb, { maxLength: 60 }), fc.nat(), (spec, ops, seed) => {
        const runOnce = () => {
          const view = new FakeBackends(spec);
          return drive(module.create(contextFor(view, seed, optionsFor(name))), view, ops, () => {});
        };
        expect(runOnce()).toEqual(runOnce());
      }),
      RUNS,
    );
  });

  const load = LOAD_OF[name];
  it.runIf(load !== undefined)('never picks a backend busier (in its own load measure) than the least busy eligible one', () => {
    fc.assert(
      fc.property(backendsArb, fc.array(opArb, { maxLength: 60 }), fc.nat(), (spec, ops, seed) => {
        const view = new FakeBackends(spec);
        const balancer = module.create(contextFor(view, seed));
        drive(balancer, view, ops, (b) => {
          if (b < 0) return;
          let least = Number.POSITIVE_INFINITY;
          for (let i = 0; i < view.count; i++) if (view.isEligible(i)) least = Math.min(least, load!(view.inFlight[i]!, view.weight[i]!));
          expect(load!(view.inFlight[b]!, view.weight[b]!)).toBe(least);
        });
      }),
      RUNS,
    );
  });

  it.runIf(SAYS_LEAST_CONN.test(name))('with equal weights, picks a backend with the fewest requests in flight', () => {
    fc.assert(
      fc.property(backendsArb, fc.array(opArb, { maxLength: 60 }), fc.nat(), (spec, ops, seed) => {
        const view = new FakeBackends(spec.map((s) => ({ ...s, weight: 1 })));
        const balancer = module.create(contextFor(view, seed));
        drive(balancer, view, ops, (b) => {
          if (b < 0) return;
          let least = Number.POSITIVE_INFINITY;
          for (let i = 0; i < view.count; i++) if (view.isEligible(i)) least = Math.min(least, view.inFlight[i]!);
          expect(view.inFlight[b]).toBe(least);
        });
      }),
      RUNS,
    );
  });
});

/** n picks with every backend up and no completions; returns the count per backend. */
function countPicks(module: BalancerModule, weights: readonly number[], n: number, seed = 1): number[] {
  const view = new FakeBackends(weights.map((weight) => ({ weight, up: true, inFlight: 0 })));
  const balancer = module.create(contextFor(view, seed));
  const counts = new Array<number>(weights.length).fill(0);
  drive(balancer, view, Array.from({ length: n }, () => ({ kind: 'pick' as const })), (b) => counts[b]!++);
  return counts;
}

const weightsArb = fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 });

describe('shares follow weights', () => {
  it('weighted-round-robin: after any n picks, backend i has n·w_i/W picks, off by less than 1 (smooth WRR keeps current weights within ±W)', () => {
    const wrr = BUILTIN_BALANCERS.get('weighted-round-robin')!;
    fc.assert(
      fc.property(weightsArb, fc.integer({ min: 1, max: 200 }), (weights, n) => {
        const W = weights.reduce((a, b) => a + b, 0);
        countPicks(wrr, weights, n).forEach((c, i) => expect(Math.abs(c - (n * weights[i]!) / W)).toBeLessThan(1));
      }),
      RUNS,
    );
  });

  /**
   * The weighted round-robin family of the proxies: deterministic schedules whose counts
   * never stray far from n·w_i/W. Measured worst deviation after any of 300 picks over
   * 3000 random weight sets (≤ 8 backends, weights 1..9): nginx's smooth WRR < 1, HAProxy's
   * map < 1, Envoy's EDF 2.88 (EDF keeps each host within one slot of its share in virtual
   * time, which is burstier in picks as hosts are added). HAProxy's fwrr drifts by up to
   * about one pick per server per window of 16·W picks (real haproxy 2.6.12 does the same;
   * see the 3,3,2 golden in test/balancers/haproxy.test.ts): over 2000 random weight sets
   * and 3000 picks its deviation stayed below 1.5 + 0.85·n/(16·W), hence 1.5 + n/(16·W)
   * (for n ≤ 300 mostly the constant). The bounds leave a little room above that and
   * still catch a schedule that ignores or inverts weights within a few rounds.
   */
  const WEIGHTED_RR: Record<string, (n: number, W: number) => number> = {
    'nginx/round_robin': () => 2,
    'haproxy/static-rr': () => 2,
    'haproxy/roundrobin': (n, W) => 1.5 + n / (16 * W),
    'envoy/round_robin': () => 4,
  };
  it.each(Object.entries(WEIGHTED_RR).filter(([n]) => BUILTIN_BALANCERS.has(n)))('%s: after any n picks, |picks_i − n·w_i/W| stays within its bound', (name, bound) => {
    const module = BUILTIN_BALANCERS.get(name)!;
    fc.assert(
      fc.property(weightsArb, fc.integer({ min: 1, max: 300 }), (weights, n) => {
        const view = new FakeBackends(weights.map((weight) => ({ weight, up: true, inFlight: 0 })));
        const balancer = module.create(contextFor(view, 1, optionsFor(name)));
        const W = weights.reduce((a, b) => a + b, 0);
        const counts = new Array<number>(weights.length).fill(0);
        for (let r = 0; r < n; r++) {
          const b = balancer.pick(r, r, r);
          counts[b]!++;
          // Every request completes at once: the schedule alone decides.
          balancer.onDispatch?.(b, r);
          balancer.onComplete?.(b, 1, r);
          counts.forEach((c, i) => expect(Math.abs(c - ((r + 1) * weights[i]!) / W)).toBeLessThanOrEqual(bound(r + 1, W)));
        }
      }),
      { numRuns: 100 },
    );
  });

  /**
   * haproxy/roundrobin over many windows: 3,3,2 (which a random seed once flagged as a
   * bug; haproxy 2.6.12 drifts the same way) stays within the window bound over 2000 picks
   * and drifts past the plain bound of 2, as the real proxy does.
   */
  it('haproxy/roundrobin, weights 3,3,2: within 1.5 + n/(16·W) over 2000 picks, and past 2 (the real drift)', () => {
    const weights = [3, 3, 2];
    const view = new FakeBackends(weights.map((weight) => ({ weight, up: true, inFlight: 0 })));
    const balancer = BUILTIN_BALANCERS.get('haproxy/roundrobin')!.create(contextFor(view, 1, {}));
    const counts = [0, 0, 0];
    let worst = 0;
    for (let r = 0; r < 2000; r++) {
      counts[balancer.pick(r, r, r)]!++;
      counts.forEach((c, i) => {
        const off = Math.abs(c - ((r + 1) * weights[i]!) / 8);
        worst = Math.max(worst, off);
        expect(off).toBeLessThanOrEqual(WEIGHTED_RR['haproxy/roundrobin']!(r + 1, 8));
      });
    }
    expect(worst).toBe(12.25);
  });

  it('weighted-least-connections: with nothing completing, |picks_i − n·w_i/W| <= w_i / min w (loads stay within 1/min w of each other)', () => {
    const wlc = BUILTIN_BALANCERS.get('weighted-least-connections')!;
    fc.assert(
      fc.property(weightsArb, fc.integer({ min: 1, max: 200 }), (weights, n) => {
        const W = weights.reduce((a, b) => a + b, 0);
        const minW = Math.min(...weights);
        countPicks(wlc, weights, n).forEach((c, i) => expect(Math.abs(c - (n * weights[i]!) / W)).toBeLessThanOrEqual(weights[i]! / minW + 1e-9));
      }),
      RUNS,
    );
  });

  it('round-robin and least-connections ignore weights: equal shares, off by at most 1', () => {
    for (const name of ['round-robin', 'least-connections']) {
      fc.assert(
        fc.property(weightsArb, fc.integer({ min: 1, max: 200 }), (weights, n) => {
          const counts = countPicks(BUILTIN_BALANCERS.get(name)!, weights, n);
          expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        }),
        { numRuns: 100 },
      );
    }
  });

  it('weighted-round-robin gives the nginx sequences exactly: 5,1,1 -> a a b a c a a; 3,2 -> a b a b a', () => {
    const wrr = BUILTIN_BALANCERS.get('weighted-round-robin')!;
    const sequence = (weights: number[], n: number) => {
      const view = new FakeBackends(weights.map((weight) => ({ weight, up: true, inFlight: 0 })));
      const b = wrr.create(contextFor(view, 1));
      return Array.from({ length: n }, (_, r) => 'abc'[b.pick(r, 0, 0)]).join(' ');
    };
    expect(sequence([5, 1, 1], 14)).toBe('a a b a c a a a a b a c a a');
    expect(sequence([3, 2], 10)).toBe('a b a b a a b a b a');
  });

  it('random and power-of-two spread evenly over equal backends (chi-square, 8 backends, 80 000 picks)', () => {
    // With all weights 1 and nothing in flight changing (power-of-two sees equal loads and
    // keeps its first draw), each pick is uniform over 8. Chi-square with 7 degrees of
    // freedom: P(X > 24.3) = 0.001, so a correct balancer fails 1 seed in 1000; a bias of
    // 2% on one backend (+200 picks of 10 000) alone adds 4 to the statistic.
    for (const name of ['random', 'power-of-two']) {
      const module = BUILTIN_BALANCERS.get(name)!;
      const view = new FakeBackends(Array.from({ length: 8 }, () => ({ weight: 1, up: true, inFlight: 0 })));
      const b = module.create(contextFor(view, 12345));
      const counts = new Array<number>(8).fill(0);
      for (let r = 0; r < 80_000; r++) counts[b.pick(r, 0, 0)]!++;
      const chi2 = counts.reduce((s, c) => s + (c - 10_000) ** 2 / 10_000, 0);
      expect(chi2).toBeLessThan(24.3);
    }
  });
});

describe('the properties can fail', () => {
  it('a balancer that ignores outages and weight 0 is caught', () => {
    const careless: BalancerModule = { name: 'careless', description: '', create: () => ({ pick: (request) => request % 3 }) };
    expect(() =>
      fc.assert(
        fc.property(backendsArb, fc.array(opArb, { maxLength: 60 }), fc.nat(), (spec, ops, seed) => {
          const view = new FakeBackends([...spec, { weight: 1, up: true, inFlight: 0 }, { weight: 0, up: true, inFlight: 0 }]);
          drive(careless.create(contextFor(view, seed)), view, ops, (b) => expect(view.isEligible(b)).toBe(true));
        }),
      ),
    ).toThrow();
  });
});
