/**
 * Envoy's consistent hashing with bounded loads (src/balancers/envoy/bounded-load.ts):
 * std::mt19937 against the C++ standard's values, the cases of Envoy's own
 * BoundedLoadHashingLoadBalancerTest (thread_aware_lb_impl_test.cc: the shuffles of 5
 * hosts seeded 2, 6 and 7), a property (the host taken is within its bound whenever any
 * host is, else the least overloaded), and through ring_hash and maglev: a skewed client
 * mix that overloads one host without the bound is spread with it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedLoad } from '../../src/balancers/envoy/bounded-load.ts';
import { envoyMaglev } from '../../src/balancers/envoy/maglev.ts';
import { Mt19937 } from '../../src/balancers/envoy/mt19937.ts';
import { envoyRingHash } from '../../src/balancers/envoy/ring-hash.ts';
import { isLbsimError } from '../../src/errors.ts';
import type { Report } from '../../src/report/types.ts';
import { simulateObject } from '../helpers/simulate.ts';
import { harness, view } from './harness.ts';

describe('std::mt19937', () => {
  it('gives the C++ standard\'s 10000th value for the default seed, and the known first values', () => {
    const g = new Mt19937();
    expect(g.next()).toBe(3499211612);
    for (let i = 2; i < 10000; i++) g.next();
    expect(g.next()).toBe(4123659995);
    expect(new Mt19937(1).next()).toBe(1791095845);
    // Reseeding restarts the sequence (one engine serves every overloaded pick).
    g.seed(1);
    expect(g.next()).toBe(1791095845);
  });
});

/** A BoundedLoad over `active.length` equal hosts at level 0, their in-flight counts `active` (`cached`: probe orders kept per hash). */
function bounded(active: number[], factor: number, cached = false): BoundedLoad {
  const v = view(active.map(() => 1));
  v.inFlight.set(active);
  const b = new BoundedLoad(v, factor, cached);
  b.setLevel(0, Int32Array.from(active.keys()), active.length, v.weight);
  return b;
}

describe('BoundedLoad: Envoy\'s BoundedLoadHashingLoadBalancerTest', () => {
  // Envoy's tests use hash_balance_factor 1, so a host's slots are 1 (while fewer than 100
  // requests are active) and its overload factor is its active count.
  it('ActualHostOverloaded / OneHostOverloaded: host 2 overloaded, hash 2 shuffles 2 1 0 4 3: host 1', () => {
    expect(bounded([0, 0, 0, 0, 0], 1).choose(0, 2, 2)).toBe(2);
    expect(bounded([0, 0, 2, 0, 0], 1).choose(0, 2, 2)).toBe(1);
  });
  it('MultipleHostOverloaded: hosts 0, 1 and 2 overloaded: past 1 and 0 to host 4', () => {
    expect(bounded([2, 2, 2, 0, 0], 1).choose(0, 2, 2)).toBe(4);
  });
  it('MultipleHashSameHostOverloaded: host 3 overloaded; seed 6 shuffles 4 0 2 3 1, seed 7 0 1 4 3 2', () => {
    const b = bounded([0, 0, 0, 2, 0], 1);
    expect(b.choose(0, 3, 6)).toBe(4);
    expect(b.choose(0, 3, 7)).toBe(0);
  });
  it('AllHostsOverloaded: the least overloaded one', () => {
    expect(bounded([3, 2, 4], 1).choose(0, 0, 0)).toBe(1);
  });
  it('NoHosts: none', () => {
    expect(bounded([], 1).choose(0, -1, 1)).toBe(-1);
  });
  it('probe orders kept per hash give the picks computed afresh (property), a hit as well as a miss', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 12 }), { minLength: 2, maxLength: 20 }), fc.nat(), fc.nat({ max: 4294967295 }), (active, first, hashLow) => {
        const host = first % active.length;
        const fresh = bounded(active, 1).choose(0, host, hashLow);
        const cached = bounded(active, 1, true);
        return cached.choose(0, host, hashLow) === fresh && cached.choose(0, host, hashLow) === fresh;
      }),
      { numRuns: 300 },
    );
  });

  it('slots: ceil(⌊((active + 1) × factor + 99) / 100⌋ × weight), at least 1', () => {
    // 4 equal hosts, 11 active, factor 125: total slots ⌊(12 × 125 + 99) / 100⌋ = 15, each host 4.
    expect(bounded([4, 3, 2, 2], 125).choose(0, 0, 9)).toBe(0);
    expect(bounded([5, 2, 2, 2], 125).choose(0, 0, 9)).not.toBe(0);
  });
  it('property: the host taken is within its bound when any host is, else the least overloaded', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 40 }), { minLength: 1, maxLength: 12 }), fc.nat(), fc.integer({ min: 100, max: 300 }), fc.nat({ max: 4294967295 }), (active, first, factor, hashLow) => {
        const n = active.length;
        const host = first % n;
        const chosen = bounded(active, factor).choose(0, host, hashLow);
        const overall = active.reduce((a, b) => a + b, 0);
        const total = Math.floor(((overall + 1) * factor + 99) / 100);
        const load = (h: number) => active[h]! / Math.max(Math.ceil(total / n), 1);
        if (load(host) <= 1) return chosen === host;
        if (active.some((_, h) => load(h) <= 1)) return load(chosen) <= 1;
        return active.every((_, h) => load(chosen) <= load(h));
      }),
      { numRuns: 500 },
    );
  });
});

describe('hash_balance_factor through ring_hash and maglev', () => {
  it('is refused below 100, as Envoy validates it', () => {
    for (const module of [envoyRingHash, envoyMaglev]) {
      let error: unknown;
      try {
        harness(module, [1, 1], { hash_balance_factor: 99 });
      } catch (e) {
        error = e;
      }
      expect(isLbsimError(error)).toBe(true);
      expect(String(error)).toMatch(/hash_balance_factor.*99/);
    }
  });

  it('one key held in flight: without the bound it stays on its host, with it the overflow moves', () => {
    for (const module of [envoyRingHash, envoyMaglev]) {
      const free = harness(module, [1, 1, 1, 1], {}, 1);
      const held = Array.from({ length: 12 }, () => free.hold(0, 42));
      expect(new Set(held).size).toBe(1);
      const capped = harness(module, [1, 1, 1, 1], { hash_balance_factor: 125 }, 1);
      const spread = Array.from({ length: 12 }, () => capped.hold(0, 42));
      // The k-th request (k active before it) may go to its host while the host's active
      // count is at most ⌈⌊((k + 1) × 125 + 99) / 100⌋ / 4⌉: requests 0, 1, 3, 6 and 9 do.
      const counts = [0, 0, 0, 0];
      for (const b of spread) counts[b]!++;
      expect(spread.flatMap((b, k) => (b === held[0] ? [k] : []))).toEqual([0, 1, 3, 6, 9]);
      expect(counts[held[0]!]).toBe(5);
    }
  });

  it('a skewed client mix (Zipf 1.2 over 50 clients, hashed by client) overloads a host; a factor of 125 spreads it', () => {
    const run = (extra: Record<string, unknown>) =>
      simulateObject({
        name: 'bounded',
        seed: 4,
        duration: '60s',
        traffic: { synthetic: { rate: '2400/s', service: { distribution: 'exponential', mean: '5ms' }, clients: { count: 50, skew: 1.2 } } },
        balancer: { algorithm: 'envoy/ring_hash', hash_key: 'client', ...extra },
        backends: [{ name: 'web', count: 8, concurrency: 4 }],
      });
    const plain = run({});
    const capped = run({ hash_balance_factor: 125 });
    // The report says what ran.
    expect([plain.options, capped.options]).toEqual([{ hash_key: 'client' }, { hash_key: 'client', hash_balance_factor: 125 }]);
    // An algorithm without options: no `options` field (the reports of plain scenarios are unchanged).
    const bare = simulateObject({ name: 'bare', duration: '1s', traffic: { synthetic: { rate: '100/s', service: { distribution: 'exponential', mean: '5ms' } } }, balancer: { algorithm: 'round-robin' }, backends: [{ name: 'web', count: 2 }] });
    expect('options' in bare).toBe(false);
    const busiest = (r: Report) => Math.max(...r.backends.map((b) => b.utilization));
    // ρ = 2400 × 5 ms / 32 slots = 0.375 on average, but the heaviest client alone is ~22% of it.
    expect(busiest(plain)).toBeGreaterThan(0.9);
    expect(busiest(capped)).toBeLessThan(0.75);
    expect(capped.latency.p99).toBeLessThan(plain.latency.p99 / 5);
  });
});
