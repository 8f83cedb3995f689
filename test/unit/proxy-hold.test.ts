/**
 * A HAProxy retry that stays with its server holds the connection slot its failed attempt
 * took there (ProxyOptions.holdServer; src/engine/proxy-request-path.ts): HAProxy 2.6's
 * back_handle_st_cer releases the stream's `served` place only when
 * stream_choose_redispatch redispatches or the retries run out, and a retry on the same
 * server connects again from SI_ST_ASS without a queue. Meanwhile the slot counts against
 * the server's maxconn and in leastconn's load. And a request sent by a client's pin
 * (SF_DIRECT) keeps its server on a failure even under a round-robin-kind algorithm with
 * several servers up: only `!(s->flags & SF_DIRECT)` requests are redispatched at once.
 * Golden traces worked out from that source.
 */
import { describe, expect, it } from 'vitest';
import { withInstances } from '../../src/balancers/instances.ts';
import { persistenceOf, withPersistence } from '../../src/balancers/persistence.ts';
import { proxyOptions } from '../../src/scenario/load.ts';
import type { BalancerModule } from '../../src/balancers/types.ts';
import { backendSpecs, runProxy, traceLines } from '../helpers/proxy.ts';

// Checks every minute: the balancer does not notice the outage, so attempts go to the dead server and are refused.
const check = { interMs: 60_000, rise: 2, fall: 3 };
const dead = (name: string, from: number, extra: object = {}) => ({ name, check, outages: [{ from, to: 100_000 }], ...extra });

describe('a retry that stays with its server holds its slot (HAProxy)', () => {
  it('is on for haproxy/* only', () => {
    expect(proxyOptions({}, 'haproxy/roundrobin').holdServer).toBe(true);
    expect(proxyOptions({}, 'haproxy/leastconn').holdServer).toBe(true);
    for (const other of ['nginx/round_robin', 'envoy/round_robin', 'round-robin']) expect(proxyOptions({}, other).holdServer, other).toBe(false);
  });

  // roundrobin over a (dead, not yet noticed) and b, maxconn 1 each; no option redispatch,
  // so r0's retries stay with a, 400 ms apart (timeout connect 400). r1 (20) takes b.
  // r2 (40): round robin's turn is a's, but a is full — r0's retry holds its slot — so
  // fwrr skips it and r2 goes to b. r0 fails after its last retry (810).
  const rr = (holdServer?: boolean) =>
    runProxy(
      'haproxy/roundrobin',
      backendSpecs([dead('a', 5, { maxconn: 1 }), { name: 'b', maxconn: 1 }]),
      { ...proxyOptions({ retries: 2, timeout_connect: 400 }, 'haproxy/roundrobin'), ...(holdServer === undefined ? {} : { holdServer }) },
      [
        { at: 10, work: 10 },
        { at: 20, work: 10 },
        { at: 40, work: 10 },
      ],
    );

  it('roundrobin skips the server whose slot a waiting retry holds (maxconn)', () => {
    const run = rr();
    expect(traceLines(run)).toEqual(['r1 b@20-30', 'r2 b@40-50']);
    expect(run.picks.map((p) => `r${p.request}#${p.attempt} ${p.backend}@${p.at}`)).toEqual(['r0#0 a@10', 'r1#0 b@20', 'r2#0 b@40']);
    expect([run.totals.retries, run.totals.rejected]).toEqual([2, 1]);
    // The slot is given back when r0 fails: nothing is left held or served.
    expect([run.sim.backends.served[0], run.sim.backends.held[0], run.sim.backends.heldTotal]).toEqual([0, 0, 0]);
  });

  it('without holding (nginx, Envoy), the free slot sends r2 to the dead server too', () => {
    const run = rr(false);
    expect(traceLines(run)).toEqual(['r1 b@20-30']);
    expect(run.totals.rejected).toBe(2);
  });

  it('leastconn counts the held slot as load (served): the live server is picked', () => {
    // No maxconn. r0 (10) finds both idle and takes a, the first in the tree; refused, its
    // retry holds a slot of a (served 1: a's key rises). r1 (20) and r2 (100) go to b,
    // idle, key 0. Without holding, a is idle again after the refusal — re-inserted behind
    // b (take and drop) — so r1 takes b, and r2, once b is idle again, a.
    const run = (holdServer: boolean) =>
      runProxy(
        'haproxy/leastconn',
        backendSpecs([dead('a', 5), { name: 'b' }]),
        { ...proxyOptions({ retries: 1, timeout_connect: 400 }, 'haproxy/leastconn'), holdServer },
        [
          { at: 10, work: 10 },
          { at: 20, work: 10 },
          { at: 100, work: 10 },
        ],
      );
    const held = run(true);
    expect(held.picks.map((p) => `r${p.request} ${p.backend}@${p.at}`)).toEqual(['r0 a@10', 'r1 b@20', 'r2 b@100']);
    expect(traceLines(held)).toEqual(['r1 b@20-30', 'r2 b@100-110']);
    const free = run(false);
    expect(free.picks.map((p) => `r${p.request} ${p.backend}@${p.at}`)).toEqual(['r0 a@10', 'r1 b@20', 'r2 a@100']);
  });

  it('a held retry is not queued: it connects at once though requests wait for its server', () => {
    // static-rr over a alone (maxconn 1), up until 15: r0 (10) is sent there and finishes at
    // 20; r1 (12) waits in a's queue. a goes down at 15 unnoticed: r0 is unaffected (it was
    // in service), r1 is sent at 20 and refused; its retry holds a's slot through the
    // turn-around, so r2 (30) queues behind it, and the retry (420) connects without
    // waiting for r2. a is back at 400: the retry is served at 420; r2 follows at 430.
    const run = runProxy(
      'haproxy/static-rr',
      backendSpecs([{ name: 'a', maxconn: 1, check, outages: [{ from: 15, to: 400 }] }]),
      proxyOptions({ retries: 1, timeout_connect: 400 }, 'haproxy/static-rr'),
      [
        { at: 10, work: 10 },
        { at: 12, work: 10 },
        { at: 30, work: 10 },
      ],
    );
    expect(traceLines(run)).toEqual(['r0 a@10-20', 'r1#1 a@420-430', 'r2 a@430-440']);
    expect(run.totals.rejected).toBe(0);
  });
});

describe('a pinned request (SF_DIRECT) keeps its server under a round-robin-kind algorithm', () => {
  const pinned = (m: BalancerModule) => withPersistence(m, persistenceOf({}));

  it('its retries stay with the pin until option redispatch says the last one goes through the balancer', () => {
    // roundrobin over a and b, option redispatch (the last of 2 retries), timeout connect
    // 400. r0 pins client 1 to a (0–10); a dies at 50, unnoticed. r1 (client 1, 100) goes to
    // a by its pin and is refused. Not pinned, it would be redispatched at once (several
    // servers up, round-robin kind); pinned, retry 1 waits the turn-around and goes back to
    // a (500), and retry 2 is redispatched: round robin gives b at once, and the client is
    // pinned there (r2 at 700 goes to b).
    const run = runProxy(
      'haproxy/roundrobin',
      backendSpecs([dead('a', 50), { name: 'b' }]),
      proxyOptions({ retries: 2, redispatch: true, timeout_connect: 400 }, 'haproxy/roundrobin'),
      [
        { at: 0, work: 10, client: 1 },
        { at: 100, work: 10, client: 1 },
        { at: 700, work: 10, client: 1 },
      ],
      {},
      1,
      pinned,
    );
    expect(traceLines(run)).toEqual(['r0 a@0-10', 'r1#2 b@500-510', 'r2 b@700-710']);
    expect(run.totals.retries).toBe(2);
    expect(run.totals.rejected).toBe(0);
  });
});

describe('held slots seen through balancer instances', () => {
  it('instances sharing the counts (HAProxy threads) see the held slot in served; separate ones (own counts) do not', () => {
    // Two leastconn instances, round robin between them; a (dead, unnoticed) has maxconn 1.
    // r0 (instance 0) takes a, refused; its retry holds a's one slot. r1 (instance 1): with
    // shared counts a is saturated (served 1 = maxconn) and skipped; with its own counts
    // the instance sees nothing on a and picks it (each keeps its own tree either way).
    const run = (counts: 'shared' | 'own') =>
      runProxy(
        'haproxy/leastconn',
        backendSpecs([dead('a', 5, { maxconn: 1 }), { name: 'b' }]),
        proxyOptions({ retries: 1, timeout_connect: 400 }, 'haproxy/leastconn'),
        [
          { at: 10, work: 10 },
          { at: 20, work: 10 },
        ],
        {},
        1,
        (m) => withInstances(m, { instances: 2, instance_by: 'round-robin', instance_counts: counts }),
      );
    expect(run('shared').picks.map((p) => `r${p.request} ${p.backend}@${p.at}`)).toEqual(['r0 a@10', 'r1 b@20']);
    expect(run('own').picks.map((p) => `r${p.request} ${p.backend}@${p.at}`)).toEqual(['r0 a@10', 'r1 a@20']);
  });
});
