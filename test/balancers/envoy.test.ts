/**
 * Envoy 1.28 models. Envoy is not installed here, so the golden data come from Envoy's
 * own unit tests, which print the tables its code builds:
 * - test/common/upstream/ring_hash_lb_test.cc, RingHashLoadBalancerTest.Basic: hosts
 *   127.0.0.1:90..95, minimum_ring_size 12 -> the 12 ring positions listed there, and
 *   chooseHost(0) = :94, chooseHost(2^64-1) = :94, chooseHost(3551244743356806947) = :95,
 *   chooseHost(3551244743356806948) = :93.
 * - test/common/upstream/maglev_lb_test.cc, MaglevLoadBalancerTest.Basic (table size 7:
 *   hosts 2,4,0,1,5,0,3) and .Weighted (table 17, weights 1,2).
 * The EDF sequences are derived by hand from edf_scheduler.h (deadline = current_time +
 * 1/weight, ties to the entry added first), step by step in the test below.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EdfScheduler } from '../../src/balancers/envoy/edf.ts';
import { envoyLeastRequest } from '../../src/balancers/envoy/least-request.ts';
import { addressOrder, buildMaglev, envoyMaglev } from '../../src/balancers/envoy/maglev.ts';
import { envoyRandom } from '../../src/balancers/envoy/random.ts';
import { buildRing, chooseFromRing, envoyRingHash } from '../../src/balancers/envoy/ring-hash.ts';
import { envoyRoundRobin } from '../../src/balancers/envoy/round-robin.ts';
import { xxHash64 } from '../../src/balancers/envoy/xxhash64.ts';
import { Purpose, streamKey, uniform } from '../../src/random/counter-rng.ts';
import { harness, tally } from './harness.ts';

const PORTS = ['127.0.0.1:90', '127.0.0.1:91', '127.0.0.1:92', '127.0.0.1:93', '127.0.0.1:94', '127.0.0.1:95'];

describe('xxHash64', () => {
  it('matches the reference vectors', () => {
    expect(xxHash64('').toString(16)).toBe('ef46db3751d8e999');
    expect(xxHash64('a').toString(16)).toBe('d24ec4f1a98c6e5b');
    expect(xxHash64('abc').toString(16)).toBe('44bc2cf5ad770999');
    // 39 bytes: exercises the 32-byte stripe path (python-xxhash's documented example).
    expect(xxHash64('Nobody inspects the spammish repetition').toString(16)).toBe('fbcea83c8a378bf1');
  });
});

describe('envoy EDF scheduler (edf_scheduler.h)', () => {
  it('weights 5,1,1 from a fresh scheduler: a a a a b c a, then floating-point drift as in Envoy', () => {
    // deadlines: a .2 .4 .6 .8 1.0; b 1.0 (order 1), c 1.0 (order 2), a's 1.0 entry was
    // added at the 4th pick (order 6): so b, c, then a at 1.0. In the second cycle a's
    // deadlines are 1.2, 1.4, 1.5999999999999999, 1.7999999999999998, 1.9999999999999998:
    // a's fifth entry falls just before b's and c's 2.0, so the second cycle is a x6, b, c.
    // C++ doubles do the same arithmetic (current_time_ + 1.0 / weight), which is why
    // Envoy 1.29 later added an epsilon in createWithPicks.
    const h = harness(envoyRoundRobin, [5, 1, 1], { initial_index: 0 });
    expect(h.sequence(14).join('')).toBe('aaaabcaaaaaabc');
    expect(tally(h.sequence(7000))).toEqual({ a: 5000, b: 1000, c: 1000 });
  });
  it('differs from nginx (a a b a c a a) and HAProxy (a a a b a a c) on the same weights', () => {
    const s = harness(envoyRoundRobin, [5, 1, 1], { initial_index: 0 }).sequence(7).join('');
    expect(s).not.toBe('aabacaa');
    expect(s).not.toBe('aaabaac');
  });
  it('initial_index k skips k mod hosts picks after every rebuild', () => {
    expect(harness(envoyRoundRobin, [5, 1, 1], { initial_index: 2 }).sequence(7).join('')).toBe('aabcaaa');
    expect(harness(envoyRoundRobin, [5, 1, 1], { initial_index: 5 }).sequence(7).join('')).toBe('aabcaaa');
  });
  it('equal weights rotate from the seed; the index survives host changes', () => {
    const h = harness(envoyRoundRobin, [1, 1, 1], { initial_index: 1 });
    expect(h.sequence(4).join('')).toBe('bcab');
    h.down(0);
    // 1 of 3 down: 67% healthy, no panic; the rr index is now 5 -> [b, c][5 % 2] = c
    expect(h.sequence(3).join('')).toBe('cbc');
  });
  it('scheduler re-adds with the weight at pick time', () => {
    const edf = new EdfScheduler(2);
    edf.add(1, 0);
    edf.add(1, 1);
    const w = [1, 1];
    const picks = [edf.pickAndAdd((h) => w[h]!), edf.pickAndAdd((h) => w[h]!)];
    expect(picks).toEqual([0, 1]);
  });
});

describe('envoy/round_robin panic threshold', () => {
  it('below 50% healthy, Envoy balances over all hosts, healthy or not', () => {
    const h = harness(envoyRoundRobin, [1, 1, 1, 1], { initial_index: 0 });
    h.down(0);
    h.down(1); // 50% healthy: not below the threshold
    expect(new Set(h.sequence(8))).toEqual(new Set(['c', 'd']));
    h.down(2); // 25% healthy: panic
    expect(new Set(h.sequence(8))).toEqual(new Set(['a', 'b', 'c', 'd']));
  });
  it('the healthy hosts and all hosts (panic) keep their own rotation index, each from the seed', () => {
    // load_balancer_impl.cc RoundRobinLoadBalancer: refreshHostSource() does
    // rr_indexes_.insert({source, seed_}) (never overwriting) and unweightedHostPick() takes
    // hosts_to_use[rr_indexes_[source]++ % size]. Seed 0, 4 hosts: healthy a b (index 2);
    // panic over all hosts starts its own index at 0: a b c d a; back to healthy: index 2 again.
    const h = harness(envoyRoundRobin, [1, 1, 1, 1], { initial_index: 0 });
    expect(h.sequence(2).join('')).toBe('ab');
    h.down(1);
    h.down(2);
    h.down(3); // 25% healthy: panic
    expect(h.sequence(5).join('')).toBe('abcda');
    h.upAgain(1);
    h.upAgain(2);
    h.upAgain(3);
    expect(h.sequence(4).join('')).toBe('cdab');
  });
  it('healthy_panic_threshold 0 turns panic off', () => {
    const h = harness(envoyRoundRobin, [1, 1, 1, 1], { initial_index: 0, healthy_panic_threshold: 0 });
    h.down(0);
    h.down(1);
    h.down(2);
    expect(new Set(h.sequence(8))).toEqual(new Set(['d']));
  });
});

describe('envoy/least_request', () => {
  it('two samples with replacement: a host with more load wins only if drawn twice', () => {
    const n = 40_000;
    const h = harness(envoyLeastRequest, [1, 1, 1, 1], {}, 21);
    h.view.inFlight[0] = 1; // a is busier than the rest
    const t = tally(h.sequence(n));
    // a is chosen only when both samples are a: (1/4)^2 (with replacement; nginx/random
    // two would never choose it).
    const p = 1 / 16;
    expect(Math.abs(t.a! / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
  });
  it('equal load: the first draw wins the tie (a later sample replaces it only when strictly less loaded, as Envoy)', () => {
    // With every host idle each pick is a tie, so the host is the first draw's: draw d of
    // request r is ctx.random(r, d), the harness's stream (seed, Balancer, d) at counter r.
    // Taking the later draw on ties keeps the shares (the draws are exchangeable) but not the picks.
    const seed = 5;
    const h = harness(envoyLeastRequest, [1, 1, 1, 1], {}, seed);
    const first = streamKey(seed, Purpose.Balancer, 0);
    const expected = Array.from({ length: 200 }, (_, r) => h.view.names[Math.floor(uniform(first.k1, first.k2, r) * 4)]);
    expect(h.sequence(200)).toEqual(expected);
  });
  it('choice_count 4 makes the busy host rarer: (1/4)^4', () => {
    const n = 40_000;
    const h = harness(envoyLeastRequest, [1, 1, 1, 1], { choice_count: 4 }, 22);
    h.view.inFlight[0] = 1;
    const p = 1 / 256;
    const t = tally(h.sequence(n));
    expect(Math.abs((t.a ?? 0) / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
  });
  it('weighted: EDF on weight / (active + 1)', () => {
    // Weights 2,1 and a held request on a: a's weight is 2/2 = 1 when re-added.
    const h = harness(envoyLeastRequest, [2, 1], { initial_index: 0 });
    // Fresh: a at 0.5, b at 1.0. Pick a (held): re-added with weight 2/(0+1) = 2 at 1.0
    // (its active count rises after the pick). Then b (1.0, added first), re-added at 2.0.
    expect(h.view.names[h.hold()]).toBe('a');
    expect(h.view.names[h.hold()]).toBe('b');
    // a (1.0) again: now re-added with weight 2/(1+1) = 1 -> deadline 2.0, after b's 2.0.
    expect(h.view.names[h.hold()]).toBe('a');
    expect(h.view.names[h.hold()]).toBe('b');
  });
  it('weighted, nothing in flight: each host weighs weight / (0 + 1), so weights 2,1 share picks 2:1', () => {
    // Every request finishes before the next pick, so the EDF deadlines step by 1/2 and 1/1: exactly a a b per cycle.
    const h = harness(envoyLeastRequest, [2, 1], { initial_index: 0 });
    expect(tally(h.sequence(300))).toEqual({ a: 200, b: 100 });
  });
  it('active_request_bias 0 is plain weighted round robin', () => {
    const h = harness(envoyLeastRequest, [2, 1], { initial_index: 0, active_request_bias: 0 });
    h.view.inFlight[0] = 50;
    expect(tally(h.sequence(300))).toEqual({ a: 200, b: 100 });
  });
  it('rejects choice_count 1 naming the option', () => {
    expect(() => harness(envoyLeastRequest, [1, 1], { choice_count: 1 })).toThrow(/^balancer\.choice_count: envoy\/least_request expects a whole number in 2\.\.1000, got 1/);
  });
});

describe('envoy/ring_hash (Envoy RingHashLoadBalancerTest.Basic)', () => {
  const hosts = Int32Array.from([0, 1, 2, 3, 4, 5]);
  const ring = buildRing(PORTS, [1, 1, 1, 1, 1, 1], hosts, 6, 12, 8_388_608);
  it('builds the ring Envoy builds', () => {
    const expected: [number, string][] = [
      [94, '833437586790550860'],
      [92, '928266305478181108'],
      [90, '1033482794131418490'],
      [95, '3551244743356806947'],
      [93, '3851675632748031481'],
      [91, '5583722120771150861'],
      [91, '6311230543546372928'],
      [93, '7700377290971790572'],
      [95, '13144177310400110813'],
      [92, '13444792449719432967'],
      [94, '15516499411664133160'],
      [90, '16117243373044804889'],
    ];
    expect(Array.from(ring.host, (_, i) => String((BigInt(ring.hi[i]!) << 32n) | BigInt(ring.lo[i]!)))).toEqual(expected.map((e) => e[1]));
    expect(Array.from(ring.host, (h) => 90 + h)).toEqual(expected.map((e) => e[0]));
  });
  it('chooses the hosts Envoy chooses', () => {
    expect(chooseFromRing(ring, 0n)).toBe(4);
    expect(chooseFromRing(ring, (1n << 64n) - 1n)).toBe(4);
    expect(chooseFromRing(ring, 3551244743356806947n)).toBe(5);
    expect(chooseFromRing(ring, 3551244743356806948n)).toBe(3);
    // Just below, at and just above a point whose halves differ only in the low word.
    expect(chooseFromRing(ring, 833437586790550859n)).toBe(4);
    expect(chooseFromRing(ring, 833437586790550860n)).toBe(4);
    expect(chooseFromRing(ring, 833437586790550861n)).toBe(2);
  });
  it('the search over 32-bit halves agrees with a plain search over 64-bit hashes (property)', () => {
    const points = Array.from(ring.host, (_, i) => (BigInt(ring.hi[i]!) << 32n) | BigInt(ring.lo[i]!));
    // The first point at or above h, wrapping to the first: what ketama finds for any h but 0.
    const plain = (h: bigint) => ring.host[Math.max(0, points.findIndex((p) => p >= h))]!;
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), (h) => chooseFromRing(ring, h) === plain(h)),
      { numRuns: 2000 },
    );
    for (const p of points) for (const d of [-1n, 0n, 1n]) if (p + d > 0n && p + d < 1n << 64n) expect(chooseFromRing(ring, p + d)).toBe(plain(p + d));
  });
  it('as a balancer: shares follow weights; removing a host re-scales the others’ point counts', () => {
    const names = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80'];
    const h = harness(envoyRingHash, [1, 1, 2], {}, 1, names);
    const keys = (i: number) => i;
    const before = h.sequence(6000, () => 0, keys);
    const t = tally(before);
    // 1024-entry ring: shares within a few percent of 1/4, 1/4, 1/2
    expect(Math.abs(t[names[2]!]! / 6000 - 0.5)).toBeLessThan(0.06);
    h.down(0);
    const after = h.sequence(6000, () => 0, keys);
    // Envoy re-normalizes weights on every rebuild: with 1/3, 2/3 the ring has 1026 entries,
    // 342 for .2 (was 256) and 684 for .3 (was 512). The new points take keys from each
    // other, so a few percent of the keys of surviving hosts move too (a plain ketama ring
    // with fixed point counts would move none).
    let moved = 0;
    for (let k = 0; k < 6000; k++) if (before[k] !== names[0] && after[k] !== before[k]) moved++;
    expect(moved).toBeGreaterThan(0);
    expect(moved / 6000).toBeLessThan(0.12);
  });
});

describe('envoy/ring_hash and envoy/maglev without a request hash (hash_key: random)', () => {
  // ThreadAwareLoadBalancerBase::LoadBalancerImpl::chooseHost: `hash ? hash.value() :
  // random_.random()`. The ring or table still decides, so a host gets its share of the
  // ring's hash space (or of the table's slots), whatever key the requests carry.
  const N = 40_000;
  /** Within 4.5 standard deviations of a binomial share p over N picks. */
  const near = (count: number, p: number) => expect(Math.abs(count / N - p)).toBeLessThan(4.5 * Math.sqrt((p * (1 - p)) / N));
  it('ring_hash: every request of one key spreads by the hosts’ shares of the hash space', () => {
    const names = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80'];
    const weights = [1, 1, 2];
    const ring = buildRing(names, weights, Int32Array.from([0, 1, 2]), 3, 16, 8_388_608);
    const points = Array.from(ring.host, (_, i) => (BigInt(ring.hi[i]!) << 32n) | BigInt(ring.lo[i]!));
    // Point i takes (point i-1, point i]; the first also takes what lies past the last.
    const space = new Array<number>(3).fill(0);
    points.forEach((p, i) => (space[ring.host[i]!]! += Number(i === 0 ? p + ((1n << 64n) - points.at(-1)!) : p - points[i - 1]!) / 2 ** 64));
    const t = tally(harness(envoyRingHash, weights, { hash_key: 'random', minimum_ring_size: 16 }, 3, names).sequence(N, () => 7, () => 7));
    names.forEach((n, b) => near(t[n] ?? 0, space[b]!));
    // A 16-point ring is far from the weights (1/4, 1/4, 1/2): the shares are the ring's, not the weights'.
    expect(Math.max(...space.map((s, b) => Math.abs(s - weights[b]! / 4)))).toBeGreaterThan(0.05);
    // With a hash, one key goes to one host.
    expect(new Set(harness(envoyRingHash, weights, { minimum_ring_size: 16 }, 3, names).sequence(200, () => 7, () => 7)).size).toBe(1);
  });
  it('maglev: every request of one key spreads by the hosts’ shares of the table', () => {
    // The Weighted table of Envoy's test: 17 slots, :91 holds 11, :90 holds 6.
    const t = tally(harness(envoyMaglev, [1, 2], { table_size: 17, hash_key: 'random' }, 3, PORTS.slice(0, 2)).sequence(N, () => 7, () => 7));
    near(t[PORTS[0]!] ?? 0, 6 / 17);
    near(t[PORTS[1]!] ?? 0, 11 / 17);
  });
  it('a pick depends on the request’s number only (the run can be split in time)', () => {
    const a = harness(envoyMaglev, [1, 1, 1], { hash_key: 'random' }, 9, PORTS.slice(0, 3)).sequence(300);
    const b = harness(envoyMaglev, [1, 1, 1], { hash_key: 'random' }, 9, PORTS.slice(0, 3)).sequence(300, (i) => i, (i) => 1000 - i);
    expect(b).toEqual(a);
    expect(new Set(a).size).toBe(3);
  });
});

describe('envoy/maglev (Envoy MaglevLoadBalancerTest)', () => {
  it('Basic: table size 7, hosts :90..:95 -> 2 4 0 1 5 0 3', () => {
    const table = new Int32Array(7);
    const offset = Float64Array.from(PORTS, (p) => Number(xxHash64(p) % 7n));
    const skip = Float64Array.from(PORTS, (p) => Number(xxHash64(p, 1n) % 6n) + 1);
    buildMaglev(table, offset, skip, [1, 1, 1, 1, 1, 1], Int32Array.from([0, 1, 2, 3, 4, 5]), 6, addressOrder(PORTS));
    expect(Array.from(table)).toEqual([2, 4, 0, 1, 5, 0, 3]);
  });
  it('BasicStability: declared in another order, the hosts build the same table (Envoy 1.27+ sorts them by address)', () => {
    // maglev_lb.cc constructMaglevTableInternal sorts (address, host, weight) before filling,
    // so hosts :95..:90 declared backwards give Basic's table: slot -> :92 :94 :90 :91 :95 :90 :93.
    const names = [...PORTS].reverse();
    const table = new Int32Array(7);
    const offset = Float64Array.from(names, (p) => Number(xxHash64(p) % 7n));
    const skip = Float64Array.from(names, (p) => Number(xxHash64(p, 1n) % 6n) + 1);
    buildMaglev(table, offset, skip, [1, 1, 1, 1, 1, 1], Int32Array.from([0, 1, 2, 3, 4, 5]), 6, addressOrder(names));
    expect(Array.from(table, (b) => names[b])).toEqual([92, 94, 90, 91, 95, 90, 93].map((p) => `127.0.0.1:${p}`));
    // Through the balancer too: route keys land on the same hosts whichever order they are declared in.
    const forward = harness(envoyMaglev, [1, 1, 1, 1, 1, 1], { table_size: 7 }, 1, PORTS).sequence(50, () => 0, (i) => i);
    const backward = harness(envoyMaglev, [1, 1, 1, 1, 1, 1], { table_size: 7 }, 1, names).sequence(50, () => 0, (i) => i);
    expect(backward).toEqual(forward);
    // Byte order, not numeric: '0' (0x30) < ':' (0x3a) < '9', so 10.0.0.10:80 < 10.0.0.1:80 < 10.0.0.9:80.
    expect(Array.from(addressOrder(['10.0.0.9:80', '10.0.0.10:80', '10.0.0.1:80']))).toEqual([1, 2, 0]);
  });
  it('Weighted: table size 17, weights 1,2', () => {
    const two = PORTS.slice(0, 2);
    const table = new Int32Array(17);
    const offset = Float64Array.from(two, (p) => Number(xxHash64(p) % 17n));
    const skip = Float64Array.from(two, (p) => Number(xxHash64(p, 1n) % 16n) + 1);
    buildMaglev(table, offset, skip, [1, 2], Int32Array.from([0, 1]), 2, addressOrder(two));
    expect(Array.from(table)).toEqual([1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1]);
  });
  it('as a balancer: the default 65537 table spreads keys by weight; a down host moves few others', () => {
    const names = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80'];
    const h = harness(envoyMaglev, [1, 1, 1, 1], {}, 1, names);
    const before = h.sequence(8000, () => 0, (i) => i);
    const t = tally(before);
    for (const n of names) expect(Math.abs(t[n]! / 8000 - 0.25)).toBeLessThan(0.025);
    h.down(3);
    const after = h.sequence(8000, () => 0, (i) => i);
    let disturbed = 0;
    for (let k = 0; k < 8000; k++) if (before[k] !== names[3] && after[k] !== before[k]) disturbed++;
    // Maglev trades a little disruption for balance: far fewer than a rehash (~2/3 of keys).
    expect(disturbed / 8000).toBeLessThan(0.05);
  });
  it('refuses a table size that is not prime', () => {
    expect(() => harness(envoyMaglev, [1], { table_size: 8 })).toThrow(/^balancer\.table_size: .*prime/);
  });
});

describe('envoy/random', () => {
  it('is uniform and ignores weights', () => {
    const n = 30_000;
    const t = tally(harness(envoyRandom, [5, 1, 1], {}, 4).sequence(n));
    for (const k of ['a', 'b', 'c']) expect(Math.abs(t[k]! / n - 1 / 3)).toBeLessThan(4 * Math.sqrt((2 / 9) / n));
  });
});
