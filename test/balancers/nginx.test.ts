/**
 * Golden sequences for the nginx 1.22 models. The expected strings were read from the
 * real proxy, nginx 1.22.1 (Debian 12 `apt-get install nginx-light`), on loopback:
 * `worker_processes 1`, `upstream app { <method>; server 127.0.0.1:18081 weight=W; ... }`
 * with node HTTP servers answering a, b, c; sequential `curl --no-keepalive` requests, or
 * for least_conn with load, overlapping requests each held 4 s, sent 150 ms apart.
 * ip_hash clients were bound to 127.0.k.1 (`curl --interface`); `hash $arg_k` got `?k=K`.
 * Backends are named by their address, as the ketama ring hashes the address text. The
 * suite does not need nginx.
 */
import { describe, expect, it } from 'vitest';
import { CRC32_INIT, crc32Final, crc32Text } from '../../src/balancers/nginx/crc32.ts';
import { buildKetama, nginxHash } from '../../src/balancers/nginx/hash.ts';
import { nginxIpHash } from '../../src/balancers/nginx/ip-hash.ts';
import { nginxLeastConn } from '../../src/balancers/nginx/least-conn.ts';
import { nginxRandom } from '../../src/balancers/nginx/random.ts';
import { nginxRoundRobin } from '../../src/balancers/nginx/round-robin.ts';
import type { BalancerModule } from '../../src/balancers/types.ts';
import { harness, tally } from './harness.ts';

const ADDR = ['127.0.0.1:18081', '127.0.0.1:18082', '127.0.0.1:18083'];
const letters = (picks: string[]) => picks.map((x) => 'abc'[ADDR.indexOf(x)] ?? '-').join('');
const ip = (k: number) => ((127 << 24) | (k << 8) | 1) >>> 0;
const run = (m: BalancerModule, w: number[], options: Record<string, unknown>, n: number, client = (_: number) => 0, route = (_: number) => 0) =>
  letters(harness(m, w, options, 1, ADDR.slice(0, w.length)).sequence(n, client, route));

describe('nginx/round_robin', () => {
  it('weights 5,1,1 give a a b a c a a (nginx 1.22.1)', () => {
    expect(run(nginxRoundRobin, [5, 1, 1], {}, 14, undefined)).toBe('aabacaaaabacaa');
  });
});

describe('nginx/least_conn', () => {
  it('idle peers tie, so smooth WRR decides: 5,1,1 -> a a b a c a a (nginx 1.22.1)', () => {
    expect(run(nginxLeastConn, [5, 1, 1], {}, 14)).toBe('aabacaaaabacaa');
  });
  it.each([
    [[2, 1], 'ababaaab'],
    [[1, 1, 1], 'abccbaa'],
    [[3, 1, 1], 'abcaacaba'],
  ])('overlapping requests, weights %j: nginx 1.22.1 gave %s', (w, expected) => {
    const h = harness(nginxLeastConn, w);
    expect(Array.from({ length: expected.length }, () => h.view.names[h.hold()]).join('')).toBe(expected);
  });
});

describe('nginx/ip_hash', () => {
  it.each([
    [[1, 1, 1], 'cabcabcabcabcabcabcabcabcabcab'],
    [[3, 2, 1], 'abbcaaabbcaaabbcaaabbcaaabbcaa'],
  ])('clients 127.0.k.1, weights %j: nginx 1.22.1 gave %s', (w, expected) => {
    expect(run(nginxIpHash, w, {}, 30, ip)).toBe(expected);
  });
  it('only the first three octets count', () => {
    const h = harness(nginxIpHash, [1, 1, 1]);
    const picks = h.sequence(256, (i) => ((10 << 24) | (1 << 16) | (7 << 8) | i) >>> 0);
    expect(new Set(picks).size).toBe(1);
  });
  it('a down peer: its clients rehash, the others stay', () => {
    const h = harness(nginxIpHash, [1, 1, 1]);
    const before = h.sequence(200, ip);
    h.down(1);
    const after = h.sequence(200, ip);
    for (let k = 0; k < 200; k++) {
      if (before[k] !== 'b') expect(after[k]).toBe(before[k]);
      else expect(after[k]).not.toBe('b');
    }
  });
});

describe('nginx/hash', () => {
  const route = (i: number) => i;
  it.each([
    [[1, 1, 1], {}, 'cbcbabaaccacaccbcabbcbbcabbbbc'],
    [[3, 2, 1], {}, 'cbcbaaabacbabaaaabbaaabcbbabaa'],
    [[1, 1, 1], { consistent: true }, 'bcaabacabbaaacbaacbcbbabbbcbab'],
    [[3, 2, 1], { consistent: true }, 'acbaaacaabaaaababcbabbaabaabaa'],
  ])('weights %j %j: keys 0..29 as nginx 1.22.1 hashed $arg_k', (w, options, expected) => {
    expect(run(nginxHash, w, options, 30, undefined, route)).toBe(expected);
  });
  it('consistent: a down peer moves only its own keys, to the next point of the ring', () => {
    const h = harness(nginxHash, [1, 1, 1], { consistent: true }, 1, ADDR);
    const before = h.sequence(1000, () => 0, route);
    h.down(0);
    const after = h.sequence(1000, () => 0, route);
    let moved = 0;
    for (let k = 0; k < 1000; k++) {
      if (before[k] === ADDR[0]) moved++;
      else expect(after[k]).toBe(before[k]);
    }
    expect(moved).toBeGreaterThan(200);
    expect(after).not.toContain(ADDR[0]);
  });
  it('ketama: a repeated server address (imported as ADDRESS#2) hashes as the address, so its points coincide with the first copy', () => {
    const one = buildKetama([ADDR[0]!, ADDR[1]!], [1, 1]);
    const twice = buildKetama([ADDR[0]!, ADDR[1]!, `${ADDR[0]!}#2`], [1, 1, 1]);
    // The copy's 160 points are the first copy's: after nginx's dedup of equal hashes the ring is the same.
    expect(Array.from(twice.hash)).toEqual(Array.from(one.hash));
    expect(Array.from(twice.peer)).toEqual(Array.from(one.peer));
  });

  it('consistent: 21 points of unusable peers in a row fall back to round robin (get_chash_peer: tries > 20)', () => {
    // nginx 1.22 ngx_http_upstream_get_chash_peer: each point whose server is unusable
    // does hash++, tries++, and past 20 tries hands the request to round robin. Weights
    // 20,1,1 with a down: runs of a's points are long. A key whose first 21 points are a's
    // goes to round robin over b and c (smooth WRR from zero: b c b c); a key whose 21st
    // point is c's still goes to c, every time.
    const ring = buildKetama(ADDR, [20, 1, 1]);
    const run21 = (k: number, len: number) => {
      const h = crc32Final(crc32Text(CRC32_INIT, String(k)));
      let at = ring.hash.findIndex((x) => x >= h);
      if (at < 0) at = 0;
      let a = 0;
      while (a < len && ring.peer[(at + a) % ring.hash.length] === 0) a++;
      return { a, next: ring.peer[(at + a) % ring.hash.length]! };
    };
    let fallback = -1;
    let twentyThenC = -1;
    for (let k = 0; k < 100_000 && (fallback < 0 || twentyThenC < 0); k++) {
      const r = run21(k, 30);
      if (fallback < 0 && r.a >= 21) fallback = k;
      if (twentyThenC < 0 && r.a === 20 && r.next === 2) twentyThenC = k;
    }
    expect(fallback).toBeGreaterThanOrEqual(0);
    expect(twentyThenC).toBeGreaterThanOrEqual(0);
    const h = harness(nginxHash, [20, 1, 1], { consistent: true }, 1, ADDR);
    h.down(0);
    expect(letters(h.sequence(4, () => 0, () => fallback))).toBe('bcbc');
    expect(letters(h.sequence(4, () => 0, () => twentyThenC))).toBe('cccc');
  });
  it('key: client hashes the client address as text, as `hash $remote_addr` does', () => {
    // ngx_http_upstream_get_hash_peer, first try: ((crc32("127.0.k.1") >> 16) & 0x7fff) % 3
    // walks weights 1,1,1; consistent: the first ring point >= crc32("127.0.k.1").
    const text = (k: number) => `127.0.${k}.1`;
    const plain = Array.from({ length: 30 }, (_, k) => 'abc'[((crc32Final(crc32Text(CRC32_INIT, text(k))) >>> 16) & 0x7fff) % 3]).join('');
    expect(run(nginxHash, [1, 1, 1], { key: 'client' }, 30, ip)).toBe(plain);
    const ring = buildKetama(ADDR, [1, 1, 1]);
    const chash = Array.from({ length: 30 }, (_, k) => {
      const at = ring.hash.findIndex((x) => x >= crc32Final(crc32Text(CRC32_INIT, text(k))));
      return 'abc'[ring.peer[at < 0 ? 0 : at]!];
    }).join('');
    expect(run(nginxHash, [1, 1, 1], { key: 'client', consistent: true }, 30, ip)).toBe(chash);
  });
  it('rejects a non-boolean consistent', () => {
    expect(() => harness(nginxHash, [1], { consistent: 'yes' })).toThrow(/^balancer\.consistent: nginx\/hash expects true or false/);
  });
});

describe('nginx/random', () => {
  const n = 60_000;
  const within = (count: number, p: number) => Math.abs(count / n - p) < 4 * Math.sqrt((p * (1 - p)) / n);
  it('plain: shares follow the weights', () => {
    const t = tally(harness(nginxRandom, [5, 3, 2], {}, 11).sequence(n));
    expect(within(t.a!, 0.5)).toBe(true);
    expect(within(t.b!, 0.3)).toBe(true);
  });
  it('two: two distinct peers, the less loaded wins', () => {
    const h = harness(nginxRandom, [1, 1, 1], { two: true }, 5);
    h.view.inFlight[0] = 3; // a loses every comparison, so it is never chosen
    h.view.inFlight[1] = 1;
    const t = tally(h.sequence(n));
    expect(t.a).toBeUndefined();
    // c wins whenever drawn: P(c among two distinct of three) = 2/3; b otherwise.
    expect(within(t.c!, 2 / 3)).toBe(true);
  });
  it('two: on equal load the second draw wins (weights 3,1: b is second, hence chosen, 3/4 of the time)', () => {
    const h = harness(nginxRandom, [3, 1], { two: true }, 9);
    // distinct pair is always {a, b}; equal conns*weight -> nginx keeps the second draw.
    // Second is b exactly when the first draw is a: P = 3/4.
    const t = tally(h.sequence(n));
    expect(within(t.b!, 3 / 4)).toBe(true);
  });
  it('rejects an unknown method', () => {
    expect(() => harness(nginxRandom, [1], { two: true, method: 'least_time' })).toThrow(/balancer\.method/);
  });
});
