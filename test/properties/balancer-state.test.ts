/**
 * saveState/loadState of every balancer in the registry (and of the instances wrapper):
 * the state is all a time-split replay carries across a window edge, so a balancer
 * loaded with another's state must behave exactly as that one from then on — floats
 * included — and save the same state back. The fresh balancer is brought up as the
 * engine does at a window's start: created with every backend up and idle, told of the
 * backends that are down, given the in-flight counts, then loadState (only when the state
 * is not empty).
 *
 * assumePicks: where the guess claims to be exact (rotations, smooth WRR, HAProxy's fwrr
 * and map, leastconn over idle servers, Envoy's equal-weight rotation), it must equal
 * the state after that many picks, each finished before the next.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyInstances } from '../../src/balancers/instances.ts';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import type { Balancer, BalancerModule } from '../../src/balancers/types.ts';
import { type DriveState, FakeBackends, backendsArb, contextFor, drive, driveState, opArb, optionsFor } from '../helpers/fake-backends.ts';

interface Driver {
  view: FakeBackends;
  balancer: Balancer;
  at: DriveState;
}

function driver(module: BalancerModule, spec: readonly { weight: number; up: boolean; inFlight: number }[], seed: number, options: Record<string, unknown>): Driver {
  const view = new FakeBackends(spec.map((s) => ({ ...s, up: true, inFlight: 0 })));
  const at = driveState(spec.length);
  const { module: m, options: rest } = applyInstances(module, options);
  const balancer = m.create(contextFor(view, seed, rest, () => at.clock.now));
  return { view, balancer, at };
}

/** The cases: every algorithm alone, and a few behind `instances`. */
const CASES: [string, BalancerModule, Record<string, unknown>][] = [
  ...[...BUILTIN_BALANCERS.entries()].map(([name, m]): [string, BalancerModule, Record<string, unknown>] => [name, m, optionsFor(name)]),
  ...(['haproxy/roundrobin', 'peak-ewma', 'envoy/least_request', 'least-connections'] as const).flatMap((name) =>
    (['client', 'round-robin'] as const).map((by): [string, BalancerModule, Record<string, unknown>] => [
      `${name} x3 by ${by}`,
      BUILTIN_BALANCERS.get(name)!,
      { ...optionsFor(name), instances: 3, instance_by: by },
    ]),
  ),
];

describe.each(CASES)('%s', (_label, module, options) => {
  it('has saveState and loadState', () => {
    const d = driver(module, [{ weight: 1, up: true, inFlight: 0 }], 1, options);
    expect(typeof d.balancer.saveState).toBe('function');
    expect(typeof d.balancer.loadState).toBe('function');
  });

  it('a fresh balancer loaded with the saved state saves it back and makes the same next picks', () => {
    fc.assert(
      fc.property(backendsArb, fc.array(opArb, { maxLength: 80 }), fc.array(opArb, { maxLength: 80 }), fc.nat(), (spec, before, after, seed) => {
        const a = driver(module, spec, seed, options);
        // Backends that start down go down first, as outages do.
        spec.forEach((s, b) => {
          if (!s.up) {
            a.view.up[b] = 0;
            a.balancer.onBackendDown?.(b);
          }
        });
        drive(a.balancer, a.view, before, undefined, a.at);
        const state = a.balancer.saveState!();

        const b = driver(module, spec, seed, options);
        for (let i = 0; i < spec.length; i++) {
          if (a.view.up[i] === 0) {
            b.view.up[i] = 0;
            b.balancer.onBackendDown?.(i);
          }
        }
        b.view.inFlight.set(a.view.inFlight);
        b.at = { next: a.at.next, held: a.at.held.map((h) => [...h]), clock: b.at.clock };
        b.at.clock.now = a.at.clock.now;
        if (state.length > 0) b.balancer.loadState!(state);
        expect(b.balancer.saveState!()).toEqual(state);

        expect(drive(b.balancer, b.view, after, undefined, b.at)).toEqual(drive(a.balancer, a.view, after, undefined, a.at));
        expect(b.balancer.saveState!()).toEqual(a.balancer.saveState!());
      }),
      { numRuns: 60 },
    );
  });
});

/** Algorithms whose assumePicks is exact with every backend up and each request done before the next, and the weights it is exact for. */
const EXACT_GUESS: Record<string, fc.Arbitrary<number[]>> = {
  'round-robin': fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }),
  'weighted-round-robin': fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }),
  'nginx/round_robin': fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }),
  'haproxy/static-rr': fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }),
  'haproxy/roundrobin': fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }),
  'haproxy/leastconn': fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }),
  'envoy/round_robin': fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 8 })).map(([w, n]) => new Array<number>(n).fill(w)),
};

describe('assumePicks', () => {
  it('every algorithm with a guess is listed here, with the weights it is exact for', () => {
    for (const [name, m] of BUILTIN_BALANCERS) {
      const d = driver(m, [{ weight: 1, up: true, inFlight: 0 }], 1, optionsFor(name));
      expect(d.balancer.assumePicks !== undefined, name).toBe(name in EXACT_GUESS);
    }
  });

  it.each(Object.keys(EXACT_GUESS))('%s: the guess for n picks is the state after n picks', (name) => {
    const module = BUILTIN_BALANCERS.get(name)!;
    fc.assert(
      fc.property(EXACT_GUESS[name]!, fc.integer({ min: 0, max: 3000 }), fc.nat(), (weights, n, seed) => {
        const spec = weights.map((weight) => ({ weight, up: true, inFlight: 0 }));
        const picked = driver(module, spec, seed, optionsFor(name));
        for (let r = 0; r < n; r++) {
          const b = picked.balancer.pick(r, r, r);
          picked.view.inFlight[b]!++;
          picked.balancer.onDispatch?.(b, r);
          picked.view.inFlight[b]!--;
          picked.balancer.onComplete?.(b, 1, r);
        }
        const guessed = driver(module, spec, seed, optionsFor(name));
        guessed.balancer.assumePicks!(n);
        expect(guessed.balancer.saveState!()).toEqual(picked.balancer.saveState!());
      }),
      { numRuns: 60 },
    );
  });
});
