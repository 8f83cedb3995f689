/**
 * Envoy priority levels (src/balancers/envoy/priority-set.ts). The golden loads and panic
 * flags are the ones Envoy's own tests assert (test/common/upstream/
 * load_balancer_impl_test.cc, LoadBalancerBaseTest.PrioritySelection, OverProvisioningFactor,
 * GentleFailover, GentleFailoverWithExtraLevels; FailoverTest for round robin;
 * ring_hash_lb_test.cc RingHashFailoverTest.BasicFailover), read at
 * stevenzzzz/envoy@33cb86a and the same at 1.28 (tonya11en/envoy@21fb452). Cases with
 * degraded or excluded hosts are left out: lbsim has neither.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { envoyLeastRequest } from '../../src/balancers/envoy/least-request.ts';
import { envoyMaglev } from '../../src/balancers/envoy/maglev.ts';
import { PrioritySet, Source, modOfHalves } from '../../src/balancers/envoy/priority-set.ts';
import { envoyRandom } from '../../src/balancers/envoy/random.ts';
import { envoyRingHash } from '../../src/balancers/envoy/ring-hash.ts';
import { envoyRoundRobin } from '../../src/balancers/envoy/round-robin.ts';
import type { BalancerModule } from '../../src/balancers/types.ts';
import { FakeBackends, contextFor, drive, opArb } from '../helpers/fake-backends.ts';
import { harness, tally, view } from './harness.ts';

/** Backends for `hosts[l]` hosts at level l, the first `healthy[l]` of each level up; names l0a, l0b, l1a, ... */
function levels(hosts: readonly number[], healthy: readonly number[]) {
  const priority: number[] = [];
  const up: number[] = [];
  const names: string[] = [];
  hosts.forEach((n, l) => {
    for (let i = 0; i < n; i++) {
      priority.push(l);
      up.push(i < healthy[l]! ? 1 : 0);
      names.push(`l${l}${String.fromCharCode(97 + i)}`);
    }
  });
  return { priority, up, names };
}

function prioritySet(hosts: readonly number[], healthy: readonly number[], options: Record<string, unknown> = {}): PrioritySet {
  const { priority, up, names } = levels(hosts, healthy);
  const v = { ...view(priority.map(() => 1), names), priority: Int32Array.from(priority) };
  v.up.set(up);
  return new PrioritySet(v, 'envoy/round_robin', options);
}

/** [test step, hosts per level, healthy per level, overprovisioning, expected loads (null: not asserted), expected panic flags]. */
const ENVOY_CASES: [string, number[], number[], number, (number | null)[], boolean[] | null][] = [
  ['PrioritySelection 1: both in panic, by host count', [1, 1], [0, 0], 140, [50, 50], null],
  ['PrioritySelection 2', [1, 2], [0, 0], 140, [34, 66], null],
  ['PrioritySelection 3', [1, 2, 1], [0, 0, 1], 140, [0, 0, 100], null],
  ['PrioritySelection 4', [1, 2, 1], [1, 0, 1], 140, [100, null, 0], null],
  ['PrioritySelection 5', [1, 2, 1], [0, 0, 1], 140, [0, null, 100], null],
  ['OverProvisioningFactor 1', [4, 4], [2, 2], 140, [70, 30], null],
  ['OverProvisioningFactor 2', [4, 4], [2, 2], 100, [50, 50], null],
  ['GentleFailover 1', [1, 1], [1, 1], 140, [100, 0], [false, false]],
  ['GentleFailover 2', [2, 2], [1, 1], 140, [70, 30], [false, false]],
  ['GentleFailover 3: P0 below the threshold, but no panic while the total is 100%', [4, 2], [1, 2], 140, [35, 65], [false, false]],
  ['GentleFailover 4: total 70%, both in panic', [4, 4], [1, 1], 140, [50, 50], [true, true]],
  ['ExtraLevels 1', [1, 1, 1], [1, 1, 1], 140, [100, 0, 0], [false, false, false]],
  ['ExtraLevels 2', [2, 2, 2], [1, 1, 1], 140, [70, 30, 0], null],
  ['ExtraLevels 3', [4, 2, 2], [1, 2, 1], 140, [35, 65, 0], null],
  ['ExtraLevels 4', [4, 4, 4], [1, 1, 1], 140, [35, 35, 30], null],
  ['ExtraLevels 5: P0 takes the rounding error', [5, 5, 5], [1, 1, 1], 140, [34, 33, 33], [true, true, true]],
  ['ExtraLevels 6', [5, 5, 5], [0, 0, 5], 140, [0, 0, 100], [false, false, false]],
  ['ExtraLevels 7', [5, 5, 5], [0, 0, 4], 140, [0, 0, 100], [false, false, false]],
  ['ExtraLevels 8: total panic, by host count', [5, 5, 5], [0, 0, 2], 140, [34, 33, 33], [true, true, true]],
  ['ExtraLevels 10', [5, 3, 2], [0, 0, 0], 140, [50, 30, 20], [true, true, true]],
  ['ExtraLevels 11: rounding error to the first level', [5, 6, 3], [0, 2, 1], 140, [37, 42, 21], [true, true, true]],
  ['ExtraLevels 15', [3, 3, 3], [0, 0, 0], 140, [34, 33, 33], [true, true, true]],
  ['ExtraLevels 16: an empty P0 is in panic; the remainder to the first level with hosts', [0, 6, 3], [0, 0, 0], 140, [0, 67, 33], [true, true, true]],
];

describe('envoy priority levels: the loads and panic flags Envoy\'s tests assert', () => {
  for (const [name, hosts, healthy, factor, load, panic] of ENVOY_CASES) {
    it(name, () => {
      const set = prioritySet(hosts, healthy, { overprovisioning_factor: factor });
      load.forEach((l, i) => {
        if (l !== null) expect(set.load[i], `load of P${i}`).toBe(l);
      });
      if (panic !== null) expect(Array.from(set.panic, (p) => p === 1)).toEqual(panic);
    });
  }

  it('WeightedPriorityHealth (Envoy 1.28): P0 weights 3,3,2,2 with the two 3s healthy, factor 100 -> 60 / 40; panic still counts hosts', () => {
    const v = { ...view([3, 3, 2, 2, 1], ['a', 'b', 'c', 'd', 'x']), priority: Int32Array.from([0, 0, 0, 0, 1]) };
    v.up.set([1, 1, 0, 0, 1]);
    const weighted = new PrioritySet(v, 'envoy/round_robin', { overprovisioning_factor: 100, weighted_priority_health: true });
    expect(Array.from(weighted.load)).toEqual([60, 40]);
    expect(Array.from(new PrioritySet(v, 'envoy/round_robin', { overprovisioning_factor: 100 }).load)).toEqual([50, 50]);
    // With P1 down too (total 60 < 100), panic is judged: by count, 2 of 4 hosts is 50% (60% by weight).
    v.up[4] = 0;
    const judged = (threshold: number) => new PrioritySet(v, 'envoy/round_robin', { weighted_priority_health: true, overprovisioning_factor: 100, healthy_panic_threshold: threshold }).panic[0];
    expect(judged(51)).toBe(1);
    expect(judged(50)).toBe(0);
  });

  it('choosePriority: hash % 100 + 1 against the running sum (RingHashFailoverTest: 70/30, random 69 -> P0, 71 -> P1)', () => {
    const set = prioritySet([2, 1], [1, 1]);
    expect(Array.from(set.load)).toEqual([70, 30]);
    expect(set.choose(69)).toBe(0);
    expect(set.choose(71)).toBe(1);
    expect(set.choose(70)).toBe(1);
    expect(set.choose(169)).toBe(0);
  });

  it('one level: no panic while the level counts as wholly available, whatever the threshold (75% healthy, threshold 80)', () => {
    // normalized_total_availability == 100 turns every level's panic off; 140 * 3 / 4 = 105.
    expect(prioritySet([4], [3], { healthy_panic_threshold: 80 }).panic[0]).toBe(0);
    // 140 * 2 / 4 = 70 < 100, and 50% < 80%: panic.
    expect(prioritySet([4], [2], { healthy_panic_threshold: 80 }).panic[0]).toBe(1);
  });

  it('healthy_panic_threshold 0 with no healthy host: P0 takes the load and no level is in panic', () => {
    const set = prioritySet([2, 2], [0, 0], { healthy_panic_threshold: 0 });
    expect(Array.from(set.load)).toEqual([100, 0]);
    expect(Array.from(set.panic)).toEqual([0, 0]);
    expect(set.size(0, set.source(0))).toBe(0);
  });

  it('names a bad overprovisioning_factor', () => {
    expect(() => prioritySet([1], [1], { overprovisioning_factor: 0 })).toThrow(/balancer\.overprovisioning_factor.*envoy\/round_robin/);
  });
});

const zero = () => 0.5 / 4294967296; // Envoy's tests leave random() at the mock's 0.

describe('envoy/round_robin over priority levels (Envoy FailoverTest)', () => {
  it('BasicFailover: P0 down, P1 healthy: every pick is P1\'s', () => {
    const h = harness(envoyRoundRobin, [1, 1], { initial_index: 0 }, 1, ['p0', 'p1'], { priority: [0, 1] });
    h.down(0);
    expect(new Set(h.sequence(10))).toEqual(new Set(['p1']));
  });

  // Envoy's PriorityUpdatesWithLocalHostSet and …DisableOnPanic: one host per level, all down
  // (total panic), then P2 up, P0 up, P0 down again; random() left at the mock's 0.
  const updates: [string, Record<string, unknown>, string][] = [
    ['PriorityUpdatesWithLocalHostSet: total panic picks P0\'s unhealthy host; then P2, P0, P2 as their health changes', {}, 'p0'],
    ['PriorityUpdatesWithLocalHostSetDisableOnPanic: with fail_traffic_on_panic, total panic fails the request instead', { fail_traffic_on_panic: true }, '-'],
  ];
  for (const [name, options, inTotalPanic] of updates) {
    it(name, () => {
      const h = harness(envoyRoundRobin, [1, 1, 1], { initial_index: 0, ...options }, 1, ['p0', 'p1', 'p2'], { priority: [0, 1, 2], random: zero });
      for (const b of [0, 1, 2]) h.down(b);
      const after = (change: () => void) => {
        change();
        return h.sequence(1)[0];
      };
      expect(after(() => {})).toBe(inTotalPanic);
      expect(after(() => h.upAgain(2))).toBe('p2');
      expect(after(() => h.upAgain(0))).toBe('p0');
      expect(after(() => h.down(0))).toBe('p2');
    });
  }

  it('PrioritiesWithZeroWarmedHosts: P0 of 2 hosts with none healthy sends everything to P1', () => {
    const h = harness(envoyRoundRobin, [1, 1, 1], { initial_index: 0 }, 1, ['a', 'b', 'c'], { priority: [0, 0, 1] });
    h.down(0);
    h.down(1);
    expect(new Set(h.sequence(10))).toEqual(new Set(['c']));
  });

  it('spills min(100, 140 x healthy / hosts) to P0 and the rest on: 3 of 5 healthy -> 84% / 16%', () => {
    const h = harness(envoyRoundRobin, [1, 1, 1, 1, 1, 1, 1], {}, 7, ['a', 'b', 'c', 'd', 'e', 'x', 'y'], { priority: [0, 0, 0, 0, 0, 1, 1] });
    h.down(0);
    h.down(1);
    const n = 200_000;
    const t = tally(h.sequence(n));
    const p1 = ((t.x ?? 0) + (t.y ?? 0)) / n;
    // Binomial sd sqrt(0.16 * 0.84 / n) = 0.0008: 0.004 is five of them.
    expect(p1).toBeGreaterThan(0.16 - 0.004);
    expect(p1).toBeLessThan(0.16 + 0.004);
    expect(t.a ?? 0).toBe(0);
    // Within each level the rotation still alternates evenly.
    expect(Math.abs((t.x ?? 0) - (t.y ?? 0))).toBeLessThanOrEqual(1);
  });

  it('a change at P1 leaves P0\'s EDF scheduler where it was; a change at P0 starts it over (refresh(priority))', () => {
    // Weights 5,1,1 at P0 (a a a a b c a from a fresh scheduler), one host at P1; all traffic to P0.
    const h = harness(envoyRoundRobin, [5, 1, 1, 1, 1], { initial_index: 0 }, 1, ['a', 'b', 'c', 'x', 'y'], { priority: [0, 0, 0, 1, 1] });
    expect(h.sequence(3).join('')).toBe('aaa');
    h.down(3); // P1 changes: P0 goes on
    expect(h.sequence(4).join('')).toBe('abca');
    h.down(4);
    h.upAgain(4);
    expect(h.sequence(1).join('')).toBe('a');
    h.down(2); // P0 changes (c down; 2 of 3 healthy = 93%): its schedulers start over
    const fresh = harness(envoyRoundRobin, [5, 1], { initial_index: 0 }, 1, ['a', 'b']);
    const both = h.sequence(40).filter((n) => n === 'a' || n === 'b');
    expect(both.slice(0, 6).join('')).toBe(fresh.sequence(6).join(''));
  });

  it('saves every level\'s rotation indices and schedulers, and a loaded copy picks alike', () => {
    const opts = { initial_index: 3 };
    const spec: [number[], string[], number[]] = [[2, 1, 1, 1], ['a', 'b', 'x', 'y'], [0, 0, 1, 1]];
    const h = harness(envoyRoundRobin, spec[0], opts, 5, spec[1], { priority: spec[2] });
    h.down(0);
    h.sequence(25);
    const copy = harness(envoyRoundRobin, spec[0], opts, 5, spec[1], { priority: spec[2] });
    copy.down(0);
    copy.sequence(17); // another history, and its request counter at 25 too (a level's draw is keyed by the request)
    copy.sequence(8);
    copy.balancer.loadState!(h.balancer.saveState!());
    expect(copy.balancer.saveState!()).toEqual(h.balancer.saveState!());
    expect(copy.sequence(60)).toEqual(h.sequence(60));
  });
});

describe('envoy/least_request and envoy/random over priority levels', () => {
  it('least_request samples only the chosen level\'s hosts', () => {
    const h = harness(envoyLeastRequest, [1, 1, 1, 1], {}, 3, ['a', 'b', 'x', 'y'], { priority: [0, 0, 1, 1] });
    h.down(0); // P0: 1 of 2 healthy -> 70% / 30%
    const n = 100_000;
    const t = tally(h.sequence(n));
    expect(t.a ?? 0).toBe(0);
    expect((t.b ?? 0) / n).toBeGreaterThan(0.7 - 0.006);
    expect((t.b ?? 0) / n).toBeLessThan(0.7 + 0.006);
  });

  it('random takes one number for both the level and the host, as Envoy\'s peekOrChoose (hash % 100, hash % hosts)', () => {
    let hash = 0;
    const h = harness(envoyRandom, [1, 1, 1, 1, 1], {}, 1, ['a', 'b', 'c', 'x', 'y'], { priority: [0, 0, 0, 1, 1], random: () => (hash + 0.5) / 4294967296 });
    h.down(2); // P0: 2 of 3 healthy -> 93 / 7
    h.down(1); // P0: 1 of 3 -> health 140 / 3 = 46, P1 100: 46 / 54 (no panic: the total is 100)
    const at = (x: number) => {
      hash = x;
      return h.sequence(1)[0];
    };
    expect(at(45)).toBe('a'); // 46 <= 46 -> P0; 45 % 1 = 0
    expect(at(46)).toBe('x'); // 47 > 46 -> P1; 46 % 2 = 0
    expect(at(47)).toBe('y'); // 47 % 2 = 1
    expect(at(145)).toBe('a');
  });
});

describe('fail_traffic_on_panic', () => {
  it('round robin, least request and random fail a request of a level in panic; one healthy host of 4 is panic', () => {
    for (const module of [envoyRoundRobin, envoyLeastRequest, envoyRandom]) {
      const h = harness(module, [1, 1, 1, 1], { fail_traffic_on_panic: true });
      h.down(0);
      h.down(1);
      expect(new Set(h.sequence(20)), module.name).toEqual(new Set(['c', 'd']));
      h.down(2);
      expect(new Set(h.sequence(20)), module.name).toEqual(new Set(['-']));
    }
  });

  it('ring hash and Maglev do not take it (Envoy\'s are not zone-aware balancers)', () => {
    for (const module of [envoyRingHash, envoyMaglev]) expect(() => harness(module, [1, 1], { fail_traffic_on_panic: true }), module.name).toThrow(/balancer\.fail_traffic_on_panic: unknown option/);
  });
});

describe('hash balancers over priority levels', () => {
  const modules: [string, BalancerModule][] = [
    ['ring_hash', envoyRingHash],
    ['maglev', envoyMaglev],
  ];
  for (const [name, module] of modules) {
    it(`${name}: the key's hash picks the level (70/30 here) and a host on that level's own ${name === 'maglev' ? 'table' : 'ring'}; all keys to P1 once P0 is down`, () => {
      const names = ['10.0.0.1:80', '10.0.0.2:80', '10.0.1.1:80', '10.0.1.2:80'];
      const h = harness(module, [1, 1, 1, 1], {}, 1, names, { priority: [0, 0, 1, 1] });
      const keys = 20_000;
      const route = (i: number) => i;
      const all = tally(h.sequence(keys, () => 0, route));
      expect(Object.keys(all).sort()).toEqual(names.slice(0, 2));
      h.down(0);
      const spilled = h.sequence(keys, () => 0, route);
      const t = tally(spilled);
      expect(t[names[0]!] ?? 0).toBe(0);
      const p1 = ((t[names[2]!] ?? 0) + (t[names[3]!] ?? 0)) / keys;
      expect(p1).toBeGreaterThan(0.3 - 0.015);
      expect(p1).toBeLessThan(0.3 + 0.015);
      // A key's level follows its hash: the same key goes to the same host again.
      expect(h.sequence(keys, () => 0, route)).toEqual(spilled);
      h.down(1);
      expect(Object.keys(tally(h.sequence(keys, () => 0, route))).sort()).toEqual(names.slice(2));
    });
  }
});

describe('the source a level balances over', () => {
  it('is its healthy hosts, or all of them in panic', () => {
    const set = prioritySet([4, 4], [1, 1]);
    expect(set.source(0)).toBe(Source.All);
    expect(set.size(0, Source.All)).toBe(4);
    expect(set.size(0, Source.Healthy)).toBe(1);
    const calm = prioritySet([4, 4], [4, 1]);
    expect(calm.source(1)).toBe(Source.Healthy);
    expect(Array.from(calm.hosts(1, Source.Healthy).subarray(0, calm.size(1, Source.Healthy)))).toEqual([4]);
  });
});

describe('every envoy/* algorithm over random priority levels (panic off)', () => {
  // Dense levels, uneven weights (the EDF schedulers), many health changes: with panic off
  // a pick is always a healthy host of weight > 0, and -1 only when there is none.
  const leveled = fc.array(
    fc.record({ weight: fc.integer({ min: 1, max: 5 }), up: fc.boolean(), inFlight: fc.integer({ min: 0, max: 3 }), level: fc.integer({ min: 0, max: 2 }) }),
    { minLength: 2, maxLength: 8 },
  );
  const ops = fc.array(fc.oneof({ weight: 3, arbitrary: opArb }, { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('down' as const, 'up' as const), b: fc.nat(7) }) }), { maxLength: 80 });
  const modules = [envoyRoundRobin, envoyLeastRequest, envoyRandom, envoyRingHash, envoyMaglev];
  for (const module of modules) {
    it(`${module.name}: never picks a down host`, () => {
      fc.assert(
        fc.property(leveled, ops, fc.nat(), (spec, script, seed) => {
          const v = new FakeBackends(spec);
          const balancer = module.create(contextFor(v, seed, { healthy_panic_threshold: 0 }));
          spec.forEach((s, b) => {
            if (!s.up) balancer.onBackendDown?.(b);
          });
          drive(balancer, v, script, (b) => {
            if (v.anyEligible()) expect(v.isEligible(b), `picked b${b}`).toBe(true);
            else expect(b).toBe(-1);
          });
        }),
        { numRuns: 200 },
      );
    });
  }
});

describe('modOfHalves: Envoy\'s random() % n from a draw\'s two 16-bit halves', () => {
  it('equals bits % n for every 32-bit value and n, on both sides of 32768', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4294967295 }), fc.oneof(fc.integer({ min: 1, max: 32768 }), fc.integer({ min: 32769, max: 2_000_000 })), (bits, n) => {
        const u = (bits + 0.5) / 4294967296; // counter-rng's uniform for these bits
        const hi = (u * 65536) | 0;
        const lo = (u * 4294967296 - hi * 65536) | 0;
        expect(hi * 65536 + lo).toBe(bits);
        expect(modOfHalves(hi, lo, n)).toBe(bits % n);
      }),
      { numRuns: 2000 },
    );
    for (const bits of [0, 1, 65535, 65536, 2147483647, 2147483648, 4294967295]) {
      const u = (bits + 0.5) / 4294967296;
      const hi = (u * 65536) | 0;
      expect(modOfHalves(hi, (u * 4294967296 - hi * 65536) | 0, 32768)).toBe(bits % 32768);
    }
  });
});
