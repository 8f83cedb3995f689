/**
 * Golden sequences for the HAProxy 2.6 models. Every expected string below was read from
 * the real proxy, haproxy 2.6.12 (Debian 12 `apt-get install haproxy`), on loopback:
 * three (or two) node HTTP servers on 127.0.0.1:18081.. answering their name a, b, c;
 * `backend app` with `balance <algo>`, `option http-server-close`, `nbthread 1`,
 * `server a 127.0.0.1:18081 weight W` ...; then sequential `curl --no-keepalive` requests
 * (each finishes before the next starts), or for leastconn overlapping requests each held
 * 4 s by the server, sent 150 ms apart. Hash keys: `uri` requests `/k`, `hdr(x-k)` sends
 * `x-k: k`, `source` binds the client to 127.0.0.(k+1) (`curl --interface`). The suite
 * does not need haproxy; the strings are fixed here.
 */
import { describe, expect, it } from 'vitest';
import { ChashRing } from '../../src/balancers/haproxy/chash-ring.ts';
import { haproxyFirst } from '../../src/balancers/haproxy/first.ts';
import { haproxyHdr, haproxySource, haproxyUri } from '../../src/balancers/haproxy/hash-balance.ts';
import { haproxyLeastconn } from '../../src/balancers/haproxy/leastconn.ts';
import { haproxyRandom } from '../../src/balancers/haproxy/random.ts';
import { haproxyRoundrobin } from '../../src/balancers/haproxy/roundrobin.ts';
import { haproxyStaticRr } from '../../src/balancers/haproxy/static-rr.ts';
import { isLbsimError } from '../../src/errors.ts';
import { harness, tally } from './harness.ts';

const seq = (s: string) => s.split('');

describe('haproxy/roundrobin (lb_fwrr.c)', () => {
  it.each([
    [[5, 1, 1], 'aaabaacaaabaac'],
    [[3, 2, 1], 'abacababacab'],
    [[2, 1], 'aabaab'],
    [[1, 1, 1], 'abcabc'],
  ])('weights %j give the sequence haproxy 2.6.12 gave: %s', (w, expected) => {
    expect(harness(haproxyRoundrobin, w).sequence(expected.length)).toEqual(seq(expected));
  });

  /**
   * fwrr's shares drift for some weights, in haproxy 2.6.12 itself (same setup as above,
   * 3000 sequential requests: the model gave the same 3000 picks, in order, for these
   * three, and the same 1500 for 5,1,1 7,2,2,1 4,4,3 9,5,2,1,1 6,6,6,1 2,3,5,7,8 1,9 and
   * 3,3,2). It is not a modelling error: the cause is in
   * lb_fwrr.c: each window runs curr_pos from W_e to 2·W_e (W_e = sum of eweights =
   * 16·sum of weights) and a server's picks in it are the positions npos < 2·W_e; a server
   * taken late from the init tree (fwrr_get_server_from_group() takes it only at a "hole")
   * starts at W_e + its delay, so with 3,3,2 c starts at 132 with step 128/32 = 4 and gets
   * 31 slots instead of 32: every window is 127 picks, 48 a, 48 b, 31 c.
   */
  it('3,3,2 drifts as haproxy 2.6.12 does: a 127-pick window with 48 a, 48 b, 31 c', () => {
    const h = harness(haproxyRoundrobin, [3, 3, 2]);
    // The first 260 picks haproxy 2.6.12 gave; the pattern repeats every 127 picks.
    expect(h.sequence(260).join('')).toBe(
      'ababcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcababa' +
        'bcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabacbabcabababca',
    );
    expect(tally(harness(haproxyRoundrobin, [3, 3, 2]).sequence(3000))).toEqual({ a: 1134, b: 1134, c: 732 });
  });

  it.each([
    [[9, 2, 9], { a: 1355, b: 291, c: 1354 }],
    [[2, 5, 5], { a: 487, b: 1257, c: 1256 }],
  ])('weights %j: 3000 picks split as haproxy 2.6.12 split them, %j', (w, expected) => {
    expect(tally(harness(haproxyRoundrobin, w).sequence(3000))).toEqual(expected);
  });

  it('differs from nginx smooth WRR for 5,1,1 (nginx: aabacaa)', () => {
    expect(harness(haproxyRoundrobin, [5, 1, 1]).sequence(7).join('')).not.toBe('aabacaa');
  });

  it('keeps exact shares over many cycles, and skips a down server then takes it back', () => {
    const h = harness(haproxyRoundrobin, [5, 3, 2]);
    expect(tally(h.sequence(1000))).toEqual({ a: 500, b: 300, c: 200 });
    h.down(0);
    const during = h.sequence(50);
    expect(during).not.toContain('a');
    // 3:2 over any window of 50, give or take the one pick in progress at the window's edges.
    expect(Math.abs(tally(during).b! - 30)).toBeLessThanOrEqual(1);
    h.upAgain(0);
    const after = tally(h.sequence(1000));
    expect(after.a).toBeGreaterThanOrEqual(495);
    expect(after.a).toBeLessThanOrEqual(505);
  });

  it('a warm-up tick moves a server waiting in the next tree from its full position (fwrr_update_server_weight)', () => {
    // Traced by hand through lb_fwrr.c (2.6). a = 16, b comes back at eweight 2: next_weight 18.
    // The 9th pick takes b at curr_pos 41 (lpos 41, npos 41 + 18/2 = 50 >= 32 + 18), so b
    // waits in `next` with npos 50 - 32 = 18. One pick later b's eweight becomes 4
    // (next_weight 20): fwrr_get_srv() adds curr_weight back (npos 50), npos = lpos + 20/4
    // = 46 (not above 50, not below curr_pos + 2 = 44): b is next taken at curr_pos 46 and
    // moves on to 46 + 20/4 = 51, one b in every 5 picks. Without the add-back npos clamps
    // to 18, then to 42 + 5 = 47; b is still taken at 46 (a hole) but moves on to 52, so
    // its next turn comes a pick late (aaaab aaaaa aaab ...).
    const h = harness(haproxyRoundrobin, [1, 1]);
    const ew = Float64Array.from([1, 1]);
    (h.view as { effectiveWeight?: Float64Array }).effectiveWeight = ew;
    h.down(1);
    ew[1] = 2 / 16;
    h.upAgain(1);
    expect(h.sequence(10).join('')).toBe('aaaaaaaaba');
    ew[1] = 4 / 16;
    h.balancer.onWeightChange!(1);
    expect(h.sequence(30).join('')).toBe('aaaabaaaabaaaabaaaabaaaabaaaab');
  });

  it('refuses weights HAProxy refuses', () => {
    expect(() => harness(haproxyRoundrobin, [1, 2.5])).toThrow(/backends\.b\.weight: .*whole weights 0\.\.256/);
    expect(() => harness(haproxyRoundrobin, [300])).toThrow(/256/);
  });
});

describe('haproxy/static-rr (lb_map.c)', () => {
  it.each([
    [[5, 1, 1], 'aaabaacaaabaac'],
    [[3, 2, 1], 'aababcaababc'],
  ])('weights %j give haproxy 2.6.12 sequence %s', (w, expected) => {
    expect(harness(haproxyStaticRr, w).sequence(expected.length)).toEqual(seq(expected));
  });
  it('a cursor past the end of a shrunken map restarts at slot 0 (map_get_server_rr: rr_idx >= tot_weight -> 0)', () => {
    // Weights 1,1,1: eweight 16 each, a 48-slot map a b c a b c ...; 47 picks leave rr_idx = 47.
    // c goes down: recalc_server_map gives a 32-slot map a b a b ... and rr_idx stays 47 until
    // the next pick, where 47 >= tot_weight (32) sets it to 0: a, then b. (Slot 47 mod 32 = 15
    // would be b first.)
    const h = harness(haproxyStaticRr, [1, 1, 1]);
    h.sequence(47);
    h.down(2);
    expect(h.sequence(4)).toEqual(seq('abab'));
  });
});

describe('haproxy/leastconn (lb_fwlc.c, 2.6: ties rotate)', () => {
  it('rotates among idle servers (haproxy 2.6.12: sequential requests a b c a b c)', () => {
    expect(harness(haproxyLeastconn, [1, 1, 1]).sequence(6)).toEqual(seq('abcabc'));
    expect(harness(haproxyLeastconn, [5, 1, 1]).sequence(7)).toEqual(seq('abcabca'));
  });

  it.each([
    [[2, 1], 'abaabaab'],
    [[1, 1, 1], 'abcabca'],
  ])('overlapping requests, weights %j: haproxy 2.6.12 gave %s', (w, expected) => {
    const h = harness(haproxyLeastconn, w);
    const got = Array.from({ length: expected.length }, () => h.view.names[h.hold()]);
    expect(got.join('')).toBe(expected);
  });

  it('puts an idle server first whatever its weight, and busy ones by (inflight+1)/weight', () => {
    const h = harness(haproxyLeastconn, [10, 1]);
    expect(h.view.names[h.hold()]).toBe('a');
    // a has 1 in flight (key (1+1)*4096/160 = 51), b is idle (key 0): b wins.
    expect(h.view.names[h.hold()]).toBe('b');
    // now a: 51, b: (1+1)*4096/16 = 512: a takes the next eight (keys 76..460 stay below 512)
    const next = Array.from({ length: 8 }, () => h.view.names[h.hold()]);
    expect(next.join('')).toBe('aaaaaaaa');
  });

  it('leaves out a down server and takes it back when up', () => {
    const h = harness(haproxyLeastconn, [1, 1, 1]);
    h.down(1);
    expect(h.sequence(4)).toEqual(seq('acac'));
    h.upAgain(1);
    expect(h.sequence(3)).toEqual(seq('acb'));
  });
});

describe('haproxy/first (lb_fas.c)', () => {
  it('fills servers in declaration order up to maxconn (haproxy 2.6.12 without maxconn: a a a)', () => {
    expect(harness(haproxyFirst, [1, 1, 1]).sequence(3)).toEqual(seq('aaa'));
    const h = harness(haproxyFirst, [1, 1, 1], { maxconn: 2 });
    expect(Array.from({ length: 6 }, () => h.view.names[h.hold()]).join('')).toBe('aabbcc');
    h.complete(0);
    expect(h.view.names[h.hold()]).toBe('a');
  });
  it('rejects a bad maxconn naming the option', () => {
    expect(() => harness(haproxyFirst, [1], { maxconn: 0 })).toThrow(/balancer\.maxconn/);
  });
});

describe('haproxy hashing (backend.c get_server_sh/uri/hh, lb_map.c, lb_chash.c)', () => {
  // Keys 0..29; source: 127.0.0.(k+1) as a 32-bit address.
  const src = (i: number) => (0x7f000001 + i) >>> 0;
  const route = (i: number) => i;
  const golden: [string, typeof haproxyUri, Record<string, unknown>, number[], string][] = [
    ['uri map-based', haproxyUri, {}, [1, 1, 1], 'cabcabcabcbcabcabcabcabcabcabc'],
    ['uri consistent', haproxyUri, { hash_type: 'consistent' }, [1, 1, 1], 'ccbaabcabcacbcaacabaabcbacacaa'],
    ['uri djb2 avalanche', haproxyUri, { hash_function: 'djb2', avalanche: true }, [1, 1, 1], 'bccccbcbbabacaaacbcbacbcbaaaab'],
    ['uri consistent avalanche', haproxyUri, { hash_type: 'consistent', avalanche: true }, [1, 1, 1], 'ccbaabcabcacbcaacabaabcbacacaa'],
    ['hdr map-based', haproxyHdr, {}, [1, 1, 1], 'abcabcabcabcabcabcabcabcabcabc'],
    ['hdr consistent', haproxyHdr, { hash_type: 'consistent' }, [1, 1, 1], 'ccbccaabaacbabcccbccaacbbccabc'],
    ['source map-based', haproxySource, {}, [1, 1, 1], 'cabcabcabcabcabcabcabcabcabcab'],
    ['source consistent', haproxySource, { hash_type: 'consistent' }, [1, 1, 1], 'bacabacaacbcccaaacaaabbaaaacaa'],
    ['uri map-based', haproxyUri, {}, [3, 2, 1], 'caababcaabbcaababcaacaababcaab'],
    ['uri consistent', haproxyUri, { hash_type: 'consistent' }, [3, 2, 1], 'aaaabbaabcabaaaaaabaabbaacacaa'],
    ['uri djb2 avalanche', haproxyUri, { hash_function: 'djb2', avalanche: true }, [3, 2, 1], 'acbcbbbabaaabaaacbcaacbbbaaaaa'],
    ['hdr map-based', haproxyHdr, {}, [3, 2, 1], 'aababcaabaababcaababbabcaababc'],
    ['hdr consistent', haproxyHdr, { hash_type: 'consistent' }, [3, 2, 1], 'aabaaaabaaababaccbbcaababcbbba'],
    ['source map-based', haproxySource, {}, [3, 2, 1], 'caababcaababcaababcaababcaabab'],
    ['source consistent', haproxySource, { hash_type: 'consistent' }, [3, 2, 1], 'babaaacaabbcacbaaaaaabbaaaaaaa'],
  ];
  it.each(golden)('%s, weights %#: matches haproxy 2.6.12', (_name, module, options, w, expected) => {
    expect(harness(module, w, options).sequence(30, src, route).join('')).toBe(expected);
  });

  it('consistent hashing moves only the keys of a server that goes down', () => {
    const h = harness(haproxyUri, [1, 1, 1, 1], { hash_type: 'consistent' });
    const before = h.sequence(2000, () => 0, route);
    h.down(2);
    const after = h.sequence(2000, () => 0, route);
    let moved = 0;
    for (let k = 0; k < 2000; k++) {
      if (before[k] !== 'c') expect(after[k]).toBe(before[k]);
      else moved++;
    }
    expect(after).not.toContain('c');
    expect(moved).toBeGreaterThan(300);
  });

  it('rejects an unsupported hash function naming the option', () => {
    let err: unknown;
    try {
      harness(haproxyUri, [1], { hash_function: 'crc32' });
    } catch (e) {
      err = e;
    }
    expect(isLbsimError(err)).toBe(true);
    expect((err as Error).message).toMatch(/^balancer\.hash_function: haproxy\/uri expects one of sdbm, djb2/);
  });
});

describe('haproxy/random (get_server_rnd)', () => {
  it('with one draw follows the ring: each server gets its exact share of the hash space', () => {
    const weights = Int32Array.from([3, 1]);
    const ring = new ChashRing(weights);
    ring.points.set([48, 16]); // every point of both
    ring.rebuild();
    const share = ring.share(0);
    // 48 + 16 ring points: the share is near 3/4 but not equal to it.
    expect(share).toBeGreaterThan(0.6);
    expect(share).toBeLessThan(0.9);
    const n = 40_000;
    const t = tally(harness(haproxyRandom, [3, 1], { draws: 1 }, 7).sequence(n));
    const sd = Math.sqrt((share * (1 - share)) / n);
    expect(Math.abs(t.a! / n - share)).toBeLessThan(4 * sd);
  });

  it('with two draws prefers the less loaded server', () => {
    const ring = new ChashRing(Int32Array.from([1, 1]));
    ring.points.set([16, 16]);
    ring.rebuild();
    const p = ring.share(0) ** 2; // a wins only when both draws land on it
    const h = harness(haproxyRandom, [1, 1], {}, 3);
    h.view.inFlight[0] = 5;
    const n = 20_000;
    const t = tally(h.sequence(n));
    expect(Math.abs(t.a! / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
  });
});

// Backups, allbackups and slowstart are the engine's for every algorithm now
// (src/engine/server-health.ts); haproxy/leastconn's results with them are pinned, with
// the same figures, in test/unit/server-health.test.ts.
describe('haproxy/leastconn with the engine\'s slow start', () => {
  it('re-queues a server whose effective weight changed (fwlc_update_server_weight)', () => {
    const h = harness(haproxyLeastconn, [1, 1]);
    const ew = Float64Array.from([1, 1]);
    (h.view as { effectiveWeight?: Float64Array }).effectiveWeight = ew;
    h.down(1);
    ew[1] = 1 / 16; // slowstart's first step: eweight 1
    h.upAgain(1);
    ew[1] = 9 / 16; // a warm-up tick later: eweight 9
    h.balancer.onWeightChange!(1);
    // 170 requests held at once split by (inflight + 1) * 4096 / eweight: 170 × 9/25 to b
    expect(tally(Array.from({ length: 170 }, () => h.view.names[h.hold()]))).toEqual({ a: 109, b: 61 });
  });
});
