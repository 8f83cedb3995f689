/**
 * HAProxy `hash-balance-factor` (src/balancers/haproxy/chash-bound.ts, lb_chash.c
 * chash_server_is_eligible). The golden sequences were read from haproxy 2.6.12 (Debian
 * 12) on loopback: `balance uri`, `hash-type consistent`, servers s1..s4 on four Python
 * HTTP servers that log each request's arrival and hold it 30 s, and `curl` requests
 * started 0.2–0.25 s apart, so every earlier one is still in flight (HAProxy's `served`).
 * The suite does not need haproxy; the sequences are fixed here.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChashBound } from '../../src/balancers/haproxy/chash-bound.ts';
import { ChashRing } from '../../src/balancers/haproxy/chash-ring.ts';
import { haproxySource, haproxyUri } from '../../src/balancers/haproxy/hash-balance.ts';
import { haproxyRandom } from '../../src/balancers/haproxy/random.ts';
import { isLbsimError } from '../../src/errors.ts';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import { loadScenario, type Scenario } from '../../src/scenario/load.ts';
import { simulateSync } from '../../src/simulate.ts';
import { REPO_ROOT } from '../helpers/cli.ts';
import { harness, view } from './harness.ts';

const SERVERS = ['s1', 's2', 's3', 's4'];
const held = (weights: number[], factor: number, keys: number[]) => {
  const h = harness(haproxyUri, weights, { hash_type: 'consistent', hash_balance_factor: factor }, 1, SERVERS);
  return keys.map((k) => SERVERS[h.hold(0, k)]).join(' ');
};

describe('haproxy hash-balance-factor: what haproxy 2.6.12 did', () => {
  it('four equal servers, factor 125, twelve held requests for /42', () => {
    expect(held([1, 1, 1, 1], 125, Array(12).fill(42))).toBe('s1 s2 s3 s4 s2 s1 s3 s2 s1 s3 s2 s3');
  });
  it('weights 1, 2, 1, 3, factor 150, twenty held requests for /7, /9, /11 in turn', () => {
    const keys = Array.from({ length: 20 }, (_, i) => [7, 9, 11][i % 3]!);
    expect(held([1, 2, 1, 3], 150, keys)).toBe('s4 s3 s2 s4 s2 s3 s4 s2 s2 s4 s2 s3 s4 s2 s3 s4 s2 s2 s4 s3');
  });
  it('without it (or at 0) one key stays on one server however many are in flight', () => {
    expect(new Set(held([1, 1, 1, 1], 0, Array(12).fill(42)).split(' ')).size).toBe(1);
  });
});

describe('haproxy hash-balance-factor: the option', () => {
  const refused = (module: typeof haproxyUri, options: Record<string, unknown>) => {
    try {
      harness(module, [1, 1], options);
    } catch (e) {
      return isLbsimError(e) ? e.message : String(e);
    }
    return 'accepted';
  };
  it('1..100 is refused as HAProxy refuses it; map-based hashing cannot take it', () => {
    expect(refused(haproxyUri, { hash_type: 'consistent', hash_balance_factor: 100 })).toMatch(/balancer\.hash_balance_factor: haproxy\/uri expects 0 \(off\) or a whole number above 100/);
    expect(refused(haproxySource, { hash_balance_factor: 150 })).toMatch(/only with hash_type: consistent/);
    expect(refused(haproxyRandom, { hash_balance_factor: 150 })).toBe('accepted');
    expect(refused(haproxyUri, { hash_type: 'consistent', hash_balance_factor: 0 })).toBe('accepted');
  });
});

describe('ChashBound', () => {
  it('property: the server found is eligible whenever one is; else the walk ends on the last point\'s server', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ weight: fc.integer({ min: 1, max: 4 }), active: fc.nat({ max: 30 }) }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 101, max: 400 }),
        fc.nat({ max: 4294967295 }),
        (servers, factor, hash) => {
          const v = view(servers.map((s) => s.weight));
          v.inFlight.set(servers.map((s) => s.active));
          const weights = Int32Array.from(servers, (s) => s.weight);
          const ring = new ChashRing(weights, v);
          ring.refresh();
          const bound = new ChashBound(factor, weights, v, ring);
          const found = ring.lookupBounded(hash, bound);
          bound.begin();
          const any = servers.some((_, b) => bound.eligible(b));
          return any ? bound.eligible(found) : found >= 0;
        },
      ),
      { numRuns: 300 },
    );
  });
  it('slots split the remainder by declaration order (cumulative weight), at least 1 each', () => {
    // 3 equal servers (eweight 16 each, 48 in all), 4 in flight, factor 200:
    // tot_slots = ⌊(5 × 200 + 99) / 100⌋ = 10 → 0 per weight unit, remainder 10:
    // s1 ⌊16·10/48⌋ − 0 = 3, s2 ⌊32·10/48⌋ − 3 = 3, s3 ⌊48·10/48⌋ − 6 = 4.
    const v = view([1, 1, 1]);
    const weights = Int32Array.from([1, 1, 1]);
    const ring = new ChashRing(weights, v);
    ring.refresh();
    const bound = new ChashBound(200, weights, v, ring);
    const eligibleAt = (active: number[]) => {
      v.inFlight.set(active);
      bound.begin();
      return [0, 1, 2].map((b) => bound.eligible(b));
    };
    expect(eligibleAt([2, 1, 1])).toEqual([true, true, true]);
    expect(eligibleAt([3, 0, 1])).toEqual([false, true, true]);
    expect(eligibleAt([0, 1, 3])).toEqual([true, true, true]);
    expect(eligibleAt([0, 0, 4])).toEqual([true, true, false]);
  });
});

describe('scenarios/hot-key/haproxy-bounded.yaml', () => {
  it('the bound keeps the hot client\'s server below saturation; the same config without it saturates one', async () => {
    const file = join(REPO_ROOT, 'scenarios', 'hot-key', 'haproxy-bounded.yaml');
    const bounded = await loadScenario(file);
    expect(bounded.balancer.options).toMatchObject({ hash_type: 'consistent', hash_balance_factor: 125 });
    const busiest = (sc: Scenario) => Math.max(...simulateSync(sc, BUILTIN_BALANCERS.get('haproxy/source')!).backends.map((b) => b.utilization));
    expect(busiest(bounded)).toBeLessThan(0.6);
    const plain = { ...bounded, balancer: { ...bounded.balancer, options: { hash_type: 'consistent' } } };
    expect(busiest(plain)).toBeGreaterThan(0.99);
  });
});
