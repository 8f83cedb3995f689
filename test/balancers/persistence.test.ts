/**
 * Session persistence (src/balancers/persistence.ts), as HAProxy's cookie persistence:
 * a client keeps its server while the balancer sees it up, the algorithm is not asked
 * for it (a round robin does not move), a down server's clients are re-picked, and
 * max_idle / max_life end a cookie. Then through a whole run, and a property over many
 * clients: every request of a client goes to the server its previous one went to
 * unless that server was down or the cookie had expired.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { persistenceOf, withPersistence } from '../../src/balancers/persistence.ts';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { simulateSync } from '../../src/simulate.ts';
import { unsplittableReason } from '../../src/parallel/windows.ts';
import { TraceWriter } from '../../src/traffic/lbt/writer.ts';
import { formatText } from '../../src/report/text.ts';
import { contextFor, FakeBackends } from '../helpers/fake-backends.ts';

const rr = BUILTIN_BALANCERS.get('round-robin')!;
const INF = Number.POSITIVE_INFINITY;

function sticky(backends: number, limits: { maxIdleMs?: number; maxLifeMs?: number; withoutCookie?: string[]; tableSize?: number } = {}) {
  const p = persistenceOf(limits);
  const view = new FakeBackends(Array.from({ length: backends }, () => ({ weight: 1, up: true, inFlight: 0 })));
  let now = 0;
  const b = withPersistence(rr, p).create(contextFor(view, 1, {}, () => now));
  let request = 0;
  return { view, pick: (client: number, at = now) => ((now = at), b.pick(request++, client, 0)) };
}

/**
 * haproxy/roundrobin behind persistence over servers s1, s2 and a third, driven as the live
 * haproxy runs were: `seq('A B A')` names each client's server; `setUp(i, false)` sends
 * server i to maint. A third named `spare` has no cookie value (without_cookie).
 */
function haproxyRun(third = 's3') {
  const view = new FakeBackends([1, 2, 3].map(() => ({ weight: 1, up: true, inFlight: 0 })));
  const names = ['s1', 's2', third];
  const b = withPersistence(BUILTIN_BALANCERS.get('haproxy/roundrobin')!, persistenceOf(third === 'spare' ? { withoutCookie: [view.names[2]!] } : {})).create(contextFor(view, 1));
  const ids = new Map<string, number>();
  let request = 0;
  return {
    seq: (clients: string) =>
      clients
        .split(' ')
        .map((c) => `${c}:${names[b.pick(request++, ids.get(c) ?? (ids.set(c, ids.size), ids.size - 1), 0)]}`)
        .join(' '),
    setUp(i: number, up: boolean) {
      view.up[i] = up ? 1 : 0;
      if (up) b.onBackendUp!(i);
      else b.onBackendDown!(i);
    },
  };
}

describe('session persistence', () => {
  it('a client keeps its server, and the round robin does not move for it', () => {
    const s = sticky(3);
    // A, B, A, A, C: A and B get the first two servers; A's repeats do not take a turn, so C gets the third.
    expect([7, 8, 7, 7, 9].map((c) => s.pick(c))).toEqual([0, 1, 0, 0, 2]);
    // Without persistence the round robin would have given 0 1 2 0 1.
    const plain = rr.create(contextFor(s.view, 1));
    expect([7, 8, 7, 7, 9].map((c, i) => plain.pick(i, c, 0))).toEqual([0, 1, 2, 0, 1]);
  });

  it("a down server's clients are re-picked and stick to their new server, also once it is back", () => {
    const s = sticky(2);
    expect([s.pick(1), s.pick(2)]).toEqual([0, 1]);
    s.view.up[0] = 0;
    expect(s.pick(1)).toBe(1);
    s.view.up[0] = 1;
    expect([s.pick(1), s.pick(1), s.pick(2)]).toEqual([1, 1, 1]);
  });

  // HAProxy 2.6.12 did the same after `set server app/s2 weight 0`: B stayed on s2, new clients went to s1 and s3.
  it('a drained server (weight 0, up) keeps its clients; new clients go elsewhere', () => {
    const s = sticky(2);
    expect([s.pick(1), s.pick(2)]).toEqual([0, 1]);
    s.view.weight[0] = 0;
    expect([s.pick(1), s.pick(3), s.pick(4), s.pick(1)]).toEqual([0, 1, 1, 0]);
  });

  it('haproxy/roundrobin behind persistence gives what HAProxy 2.6.12 gave (cookie SRV insert, balance roundrobin, three servers, on loopback)', () => {
    // Read from haproxy 2.6.12-1+deb12u3 (Debian 12): clients with their own cookie jars;
    // s1 set to maint and back with the runtime API (`set server app/s1 state maint|ready`).
    // `stick-table type ip ... expire 30m` + `stick on src`, the clients on their own
    // loopback addresses, gave the same sequence.
    const h = haproxyRun();
    expect(h.seq('A B A A C D')).toBe('A:s1 B:s2 A:s1 A:s1 C:s3 D:s1');
    h.setUp(0, false);
    expect(h.seq('A D E')).toBe('A:s2 D:s3 E:s2');
    h.setUp(0, true);
    expect(h.seq('A D F G')).toBe('A:s2 D:s3 F:s3 G:s2');
  });

  it('a server without a cookie value unpins the clients it serves, as haproxy 2.6.12 did (cookie SRV insert, s1 s2 with values, spare without)', () => {
    // Read from haproxy 2.6.12 on loopback, as above, the third server without a cookie value.
    const h = haproxyRun('spare');
    // C, served by spare, gets no cookie: its next request is balanced afresh (s1), and pinned there.
    expect(h.seq('A B C A B C C C')).toBe('A:s1 B:s2 C:spare A:s1 B:s2 C:s1 C:s1 C:s1');
    h.setUp(0, false);
    expect(h.seq('A D')).toBe('A:s2 D:spare');
    h.setUp(0, true);
    expect(h.seq('A A')).toBe('A:s2 A:s2');
    // A second run: A pinned to s1, s1 to maint, A balanced to spare, which answers with a
    // cookie removal (http_ana.c); s1 back, A is balanced afresh (to s2) and stays there.
    const again = haproxyRun('spare');
    expect(again.seq('A B')).toBe('A:s1 B:s2');
    again.setUp(0, false);
    expect(again.seq('A')).toBe('A:spare');
    again.setUp(0, true);
    expect(again.seq('A A')).toBe('A:s2 A:s2');
  });

  it('a client pinned to a backup stays on it once the primaries are back, as haproxy 2.6.12 kept it (new clients go to the primaries)', () => {
    // Read from haproxy 2.6.12 on loopback: `balance roundrobin`, `cookie SRV insert indirect
    // nocache`, s1 and s2 with cookies and b1 `backup`, a cookie jar per client; A and B
    // first, then s1 and s2 to maint (A and B move to b1), back to ready: A, B, C, D, A went
    // to b1, b1, s1, s2, b1. Here through the engine: the primaries' outage, then the same
    // order of clients; each request is counted where it was served.
    const dir = mkdtempSync(join(tmpdir(), 'lbsim-persistence-backup-'));
    const w = new TraceWriter(join(dir, 'clients.lbt'));
    const [A, B, C, D] = [1, 2, 3, 4];
    for (const [t, client] of [[0, A], [500, B], [2000, A], [2500, B], [4000, A], [4500, B], [5000, C], [5500, D], [6000, A]] as const) w.push(t, 1, client, 0, 0);
    w.finish();
    const run = (persistence: string) =>
      simulateSync(
        parseScenario(`name: backup\ntraffic: { trace: clients.lbt }\nbalancer: { algorithm: haproxy/roundrobin${persistence} }\nbackends:\n  - { name: s1, outages: [{ from: 1.5s, to: 3.5s }] }\n  - { name: s2, outages: [{ from: 1.5s, to: 3.5s }] }\n  - { name: b1, backup: true }\n`, { baseDir: dir, file: 'backup.yaml' }),
        BUILTIN_BALANCERS.get('haproxy/roundrobin')!,
      ).backends.map((b) => [b.name, b.requests]);
    // s1: A, C; s2: B, D; b1: A and B during the outage, and A, B, A after it.
    expect(run(', persistence: {}')).toEqual([['s1', 2], ['s2', 2], ['b1', 5]]);
    // Without persistence the backup serves the outage only.
    expect(run('')).toEqual([['s1', 4], ['s2', 3], ['b1', 2]]);
  });

  it('max_idle ends a cookie unused for longer; max_life one set longer ago, however often it is used', () => {
    const idle = sticky(3, { maxIdleMs: 1000, maxLifeMs: INF });
    expect([idle.pick(1, 0), idle.pick(2, 0), idle.pick(1, 900), idle.pick(1, 1900)]).toEqual([0, 1, 0, 0]);
    // 1001 ms after its last use: the round robin picks again (its next server is 2).
    expect(idle.pick(1, 2901)).toBe(2);
    const life = sticky(3, { maxIdleMs: INF, maxLifeMs: 1000 });
    expect([life.pick(1, 0), life.pick(2, 0), life.pick(1, 500), life.pick(1, 1000)]).toEqual([0, 1, 0, 0]);
    expect(life.pick(1, 1001)).toBe(2);
  });

  it('property: a request goes where the client\'s last one went, unless that server is down or the cookie expired', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ client: fc.integer({ min: 0, max: 40 }), dt: fc.integer({ min: 0, max: 400 }), flip: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }) }), { minLength: 1, maxLength: 400 }),
        (steps) => {
          const s = sticky(5, { maxIdleMs: 1500, maxLifeMs: 6000 });
          const seen = new Map<number, { server: number; set: number; last: number }>();
          let t = 0;
          for (const { client, dt, flip } of steps) {
            t += dt;
            if (flip !== undefined && s.view.upCount > 1) s.view.up[flip] = s.view.up[flip] === 1 ? 0 : 1;
            const got = s.pick(client, t);
            expect(s.view.up[got]).toBe(1);
            const before = seen.get(client);
            const keeps = before !== undefined && s.view.up[before.server] === 1 && t - before.last <= 1500 && t - before.set <= 6000;
            if (keeps) {
              expect(got).toBe(before.server);
              before.last = t;
            } else seen.set(client, { server: got, set: t, last: t });
          }
        },
      ),
      { numRuns: 300, seed: 5 },
    );
  });

  it('a whole run: pinned clients change the shares; the run is not split; a wrong persistence key is an error', () => {
    const yaml = (p: string) => `name: p\nseed: 2\nduration: 20s\ntraffic: { synthetic: { rate: 400/s, service: { distribution: exponential, mean: 5ms }, clients: { count: 30, skew: 1.2 } } }\nbalancer: { algorithm: least-connections${p} }\nbackends: [{ name: a, concurrency: 2 }, { name: b, concurrency: 2 }, { name: c, concurrency: 2 }]\n`;
    const on = parseScenario(yaml(', persistence: { max_idle: 1h }'));
    expect(on.persistence).toEqual({ maxIdleMs: 3_600_000, maxLifeMs: INF, withoutCookie: [], persist: false, tableSize: INF });
    expect(unsplittableReason(on)).toMatch(/session persistence keeps every client's server/);
    expect(unsplittableReason(parseScenario(yaml('')))).toBeUndefined();
    // 30 clients, skewed: least-connections alone spreads each client over every server; pinned, the shares follow the clients.
    const shares = (sc: ReturnType<typeof parseScenario>) => simulateSync(sc, BUILTIN_BALANCERS.get('least-connections')!).backends.map((b) => b.requests);
    const pinned = shares(on);
    const free = shares(parseScenario(yaml('')));
    expect(pinned.reduce((a, b) => a + b, 0)).toBe(free.reduce((a, b) => a + b, 0));
    expect(Math.max(...pinned) - Math.min(...pinned)).toBeGreaterThan(Math.max(...free) - Math.min(...free));
    expect(() => parseScenario(yaml(', persistence: { by: route }'))).toThrow(/balancer\.persistence\.by: expected client/);
    expect(() => parseScenario(yaml(', persistence: { max_idel: 1h }'))).toThrow(/persistence/);
    // without_cookie names backends, and the report says which.
    expect(() => parseScenario(yaml(', persistence: { without_cookie: [a, spare] }'))).toThrow(/^<scenario>:\d+: balancer\.persistence\.without_cookie: 'spare' is not a backend; expected names of backends \(a, b, c\)/);
    const withSpare = parseScenario(yaml(', persistence: { without_cookie: [c] }'));
    expect(simulateSync(withSpare, BUILTIN_BALANCERS.get('least-connections')!).persistence).toEqual({ maxIdle: null, maxLife: null, withoutCookie: ['c'] });
    expect(simulateSync(on, BUILTIN_BALANCERS.get('least-connections')!).persistence).toEqual({ maxIdle: 3_600_000, maxLife: null });
    // A stick table's size: in the scenario, the report and its text.
    const sized = parseScenario(yaml(', persistence: { max_idle: 1h, table_size: 10 }'));
    const report = simulateSync(sized, BUILTIN_BALANCERS.get('least-connections')!);
    expect(report.persistence).toEqual({ maxIdle: 3_600_000, maxLife: null, tableSize: 10 });
    expect(formatText(report)).toMatch(/with persistence \(max idle 1h00m, table of 10\)/);
    expect(() => parseScenario(yaml(', persistence: { table_size: 1.5 }'))).toThrow(/balancer\.persistence\.table_size: expected a whole number of clients above 0/);
  });
});

describe('a stick table of a given size (HAProxy stick-table size: stktable_trash_oldest)', () => {
  it('a new client in a full table trashes the least recently touched one (a batch of size / 256 + 1)', () => {
    // Size 2, batch 1. c1 → 0, c2 → 1, c1 again (touched at 2). c3 at 3: the table is full;
    // the walk meets c1's node (stale: touched since), re-inserts it, then trashes c2. c2 at
    // 4 is balanced afresh (round robin: 0) and trashes c1; c1 at 5 likewise (1), trashing c3.
    const s = sticky(3, { tableSize: 2 });
    expect([1, 2, 1, 3, 2, 1].map((c, t) => s.pick(c, t))).toEqual([0, 1, 0, 2, 0, 1]);
    const free = sticky(3);
    expect([1, 2, 1, 3, 2, 1].map((c, t) => free.pick(c, t))).toEqual([0, 1, 0, 2, 1, 0]);
  });

  it('the walk gives up after 2 × batch nodes: with only stale ones ahead, the new client is not stored', () => {
    // Size 2: c1 and c2 stored at 0 and 1, both touched since (2, 3). c3 at 4: the walk
    // re-inserts both nodes (its two steps) and trashes nothing, so c3 is balanced (2) but
    // not pinned; at 5 it is balanced again (0), and this time c1's node is current: c1 is
    // trashed and c3 stored, pinned to 0 from then on. c1 at 7 is balanced afresh.
    const s = sticky(3, { tableSize: 2 });
    expect([1, 2, 1, 2, 3, 3, 3, 1].map((c, t) => s.pick(c, t))).toEqual([0, 1, 0, 1, 2, 0, 0, 1]);
    const free = sticky(3);
    expect([1, 2, 1, 2, 3, 3, 3, 1].map((c, t) => free.pick(c, t))).toEqual([0, 1, 0, 1, 2, 2, 2, 0]);
  });

  it('size 256 trashes two at a time; entries idle past max_idle are dropped first, without trashing', () => {
    const s = sticky(3, { tableSize: 256 });
    for (let c = 0; c < 256; c++) expect(s.pick(c, c)).toBe(c % 3);
    // Client 1000 (round robin: 256 % 3 = 1) trashes clients 0 and 1, the oldest.
    expect(s.pick(1000, 300)).toBe(1);
    // 1 is balanced afresh (2, not 1) and fits; 0 (0) fills the table again, so it trashes 2
    // and 3; 2 is balanced afresh (1, not 2); 4 keeps its server (1).
    expect([1, 0, 2, 4].map((c, i) => s.pick(c, 301 + i))).toEqual([2, 0, 1, 1]);
    // max_idle 100: client 0 at 0, clients 1–255 at 400. Client 1000 at 450 finds client 0
    // expired: the expire task's work drops it, which makes room, so nothing is trashed and
    // client 1 keeps its server (trashing two would have taken it too: round robin's 2).
    const idle = sticky(3, { tableSize: 256, maxIdleMs: 100 });
    expect(idle.pick(0, 0)).toBe(0);
    for (let c = 1; c < 256; c++) idle.pick(c, 400);
    expect([idle.pick(1000, 450), idle.pick(1, 451), idle.pick(0, 452)]).toEqual([1, 1, 2]);
  });
});
