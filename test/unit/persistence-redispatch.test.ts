/**
 * Session persistence meeting the proxy's redispatch (src/balancers/persistence.ts,
 * src/engine/proxy-request-path.ts, src/engine/proxy-retries.ts): golden traces worked out
 * from HAProxy 2.6's src/backend.c srv_redispatch_connect (a pinned request whose server
 * is full with its queue at maxqueue: redispatched under `option redispatch`, else 503)
 * and src/stream.c stream_choose_redispatch (a redispatched retry clears SF_DIRECT: the
 * algorithm picks past the pin). Either way the client is pinned to where it goes.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { persistenceOf, withPersistence } from '../../src/balancers/persistence.ts';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import { loadScenario, proxyOptions } from '../../src/scenario/load.ts';
import { simulateSync } from '../../src/simulate.ts';
import { compare } from '../../src/workflows/compare.ts';
import { formatComparisonText } from '../../src/workflows/compare-format.ts';
import { diff } from '../../src/workflows/diff.ts';
import { formatDiffText } from '../../src/workflows/diff-format.ts';
import { REPO_ROOT } from '../helpers/cli.ts';
import type { BalancerModule } from '../../src/balancers/types.ts';
import type { Redispatch } from '../../src/engine/proxy-options.ts';
import { backendSpecs, runProxy, traceLines } from '../helpers/proxy.ts';

const pinned = (m: BalancerModule) => withPersistence(m, persistenceOf({}));

describe('a pinned request and redispatch', () => {
  // haproxy/roundrobin over a, b, c: maxconn 1 and maxqueue 1 each. Client 1 is pinned to a
  // by r0 (0–100); r1 (client 2) takes b (1–101); r2 (client 1) waits in a's queue; r3
  // (client 1) finds a full and its queue at maxqueue; r4 (client 1) comes once a is idle.
  const requests = [
    { at: 0, work: 100, client: 1 },
    { at: 1, work: 100, client: 2 },
    { at: 2, work: 10, client: 1 },
    { at: 3, work: 10, client: 1 },
    { at: 150, work: 10, client: 1 },
  ];
  const run = (redispatch: Redispatch) =>
    runProxy('haproxy/roundrobin', backendSpecs([{ name: 'a', maxconn: 1, maxqueue: 1 }, { name: 'b', maxconn: 1, maxqueue: 1 }, { name: 'c', maxconn: 1, maxqueue: 1 }]), { redispatch }, requests, {}, 1, pinned);

  it('server queue at maxqueue: with option redispatch the algorithm picks (c) and the client stays there; without it, a 503', () => {
    const on = run('last');
    expect(traceLines(on)).toEqual(['r0 a@0-100', 'r1 b@1-101', 'r3 c@3-13', 'r2 a@100-110', 'r4 c@150-160']);
    expect(on.totals.rejected).toBe(0);
    const off = run('never');
    expect(traceLines(off)).toEqual(['r0 a@0-100', 'r1 b@1-101', 'r2 a@100-110', 'r4 a@150-160']);
    expect([off.totals.rejected, off.totals.rejectedByProxy]).toEqual([1, 1]);
  });

  it('a redispatched retry goes where the algorithm says, not back to the pin, and the client follows it', () => {
    // a and b: one slot, no queue of their own (a busy one answers 503), retried once on 503
    // with redispatch on the last retry. r0 pins client 1 to a (0–100). r1 (client 1) is
    // refused by a, busy; its retry is redispatched: round robin gives b, and client 1 is
    // pinned there, so r2 goes to b too. Without the pin bypassed, the retry went back to a.
    const run2 = runProxy(
      'haproxy/roundrobin',
      backendSpecs([{ name: 'a', queue: 0 }, { name: 'b', queue: 0 }]),
      { retries: 1, retryOn: ['503'], redispatch: 'last' },
      [
        { at: 0, work: 100, client: 1 },
        { at: 1, work: 10, client: 1 },
        { at: 50, work: 10, client: 1 },
      ],
      {},
      1,
      pinned,
    );
    expect(traceLines(run2)).toEqual(['r0 a@0-100', 'r1#1 b@1-11', 'r2 b@50-60']);
    expect(run2.totals.rejected).toBe(0);
  });

  it('a request that waited in the backend queue pins its client to the server that took it', () => {
    // a and b, maxconn 1. r0 (client 1) takes a (0–100), r1 (client 2) b (1–50). r2 (client
    // 3) finds both full: round robin has no server, so it waits in the backend queue until b
    // frees at 50. HAProxy's answer from b sets client 3's cookie. r3 (client 4) is balanced
    // to b; r4 (client 3) then goes to b, its pin, where round robin would have sent it to a.
    const run3 = runProxy(
      'haproxy/roundrobin',
      backendSpecs([{ name: 'a', maxconn: 1 }, { name: 'b', maxconn: 1 }]),
      {},
      [
        { at: 0, work: 100, client: 1 },
        { at: 1, work: 49, client: 2 },
        { at: 2, work: 10, client: 3 },
        { at: 150, work: 10, client: 4 },
        { at: 200, work: 10, client: 3 },
      ],
      {},
      1,
      pinned,
    );
    expect(traceLines(run3)).toEqual(['r0 a@0-100', 'r1 b@1-50', 'r2 b@50-60', 'r3 b@150-160', 'r4 b@200-210']);
  });
});

describe('scenarios/sticky/maxqueue-redispatch.yaml', () => {
  it('with redispatch nothing fails and the servers run alike; without it the heavy client gets 503s beside idle servers, the figures its comment gives', async () => {
    const sc = await loadScenario(join(REPO_ROOT, 'scenarios', 'sticky', 'maxqueue-redispatch.yaml'));
    expect(sc.proxy.redispatch).toBe('last');
    const run = (redispatch: Redispatch) => simulateSync({ ...sc, proxy: { ...sc.proxy, redispatch } }, BUILTIN_BALANCERS.get('haproxy/roundrobin')!);
    const on = run('last');
    const busy = (r: typeof on) => r.backends.map((b) => b.utilization).sort((a, b) => a - b);
    expect([on.requests.total, on.requests.rejected]).toEqual([143_669, 0]);
    expect(busy(on)[0]).toBeGreaterThan(0.34);
    expect(busy(on)[7]).toBeLessThan(0.41);
    const off = run('never');
    expect([off.requests.rejected, off.requests.rejectedByProxy]).toEqual([4199, 4199]);
    expect(off.requests.failedShare).toBeCloseTo(0.029, 3);
    expect(busy(off)[7]).toBeCloseTo(0.91, 2);
    expect(busy(off)[6]).toBeLessThan(0.54);
    expect(busy(off)[0]).toBeGreaterThan(0.13);
  });
});

describe('lbsim diff of the scenario against itself without redispatch', () => {
  it("fails on the 503s, and shows the proxy's queue, where the requests wait behind maxconn", async () => {
    const sc = await loadScenario(join(REPO_ROOT, 'scenarios', 'sticky', 'maxqueue-redispatch.yaml'));
    const d = await diff(sc, { ...sc, proxy: { ...sc.proxy, redispatch: 'never' } }, { replications: 2, threads: 1 });
    expect(d.verdict.pass).toBe(false);
    expect(d.metrics.map((m) => m.metric)).toEqual(['p50', 'p99', 'p999', 'errors', 'mean', 'maxQueue', 'maxProxyQueue', 'maxUtilization']);
    const q = d.metrics.find((m) => m.metric === 'maxProxyQueue')!;
    // Redispatched requests that find every server full wait in the backend queue; without redispatch they get a 503 instead.
    expect([q.change.before, q.change.after, q.gated]).toEqual([20.5, 16.5, false]);
    expect(formatDiffText(d)).toMatch(/^max proxy queue +\d+\.\d +\d+\.\d /m);
  });
});

describe('lbsim compare of the scenario with and without redispatch', () => {
  it("has a column for the proxy's queue, and none where no alternative queued at a proxy", async () => {
    const sc = await loadScenario(join(REPO_ROOT, 'scenarios', 'sticky', 'maxqueue-redispatch.yaml'));
    const c = await compare(
      [
        { label: 'redispatch', scenario: sc },
        { label: 'none', scenario: { ...sc, proxy: { ...sc.proxy, redispatch: 'never' } } },
      ],
      { replications: 2, threads: 1 },
    );
    expect(c.alternatives.map((a) => a.estimates.maxProxyQueue.mean)).toEqual([20.5, 16.5]);
    expect(formatComparisonText(c)).toMatch(/ max queue +max proxy queue +imbalance /);
    const plain = { ...sc, persistence: undefined, backends: sc.backends.map(({ maxconn: _c, maxqueue: _q, ...b }) => b) };
    const p = await compare([{ label: 'plain', scenario: plain }, { label: 'again', scenario: plain }], { replications: 2, threads: 1 });
    expect(p.alternatives[0]!.estimates.maxProxyQueue.mean).toBe(0);
    expect(formatComparisonText(p)).not.toMatch(/max proxy queue/);
    expect(formatComparisonText(p)).toMatch(/ max queue +imbalance /);
  });
});

describe('option persist (PR_O_PERSIST): a pinned client is sent to its server while it is down', () => {
  // roundrobin over a and b, checks every 100 ms, one failure marks a server down (fall 1).
  // r0 pins client 1 to a; a dies at 50; the check at 100 marks it down.
  const check = { interMs: 100, rise: 1, fall: 1 };
  const servers = (extra: object = {}) => backendSpecs([{ name: 'a', check, outages: [{ from: 50, to: 100_000 }], ...extra }, { name: 'b', check, ...extra }]);
  const run = (persist: boolean, redispatch: boolean, requests: { at: number; work: number; client: number }[], extra: object = {}) =>
    runProxy('haproxy/roundrobin', servers(extra), { ...proxyOptions({ retries: 2, redispatch, timeout_connect: 400 }, 'haproxy/roundrobin') }, requests, {}, 1, (m) => withPersistence(m, persistenceOf({ persist })));
  const r1At200 = [
    { at: 0, work: 10, client: 1 },
    { at: 200, work: 10, client: 1 },
  ];

  it('without it the pin to a server believed down is ignored: round robin sends r1 to b', () => {
    expect(traceLines(run(false, true, r1At200))).toEqual(['r0 a@0-10', 'r1 b@200-210']);
  });

  it('with it and option redispatch: r1 goes to a, is refused, and its retry is redispatched (a is not running) after the turn-around (one server active)', () => {
    const r = run(true, true, r1At200);
    expect(traceLines(r)).toEqual(['r0 a@0-10', 'r1#1 b@600-610']);
    // The pin sent r1 to a without asking round robin; the redispatched retry asked it.
    expect(r.picks.filter((p) => p.request === 1).map((p) => `${p.backend}#${p.attempt}@${p.at}`)).toEqual(['b#1@600']);
    expect([r.totals.retries, r.totals.rejected]).toEqual([1, 0]);
  });

  it('with it and no redispatch: every retry goes back to a; r1 fails', () => {
    const r = run(true, false, r1At200);
    expect(traceLines(r)).toEqual(['r0 a@0-10']);
    expect([r.totals.retries, r.totals.rejected]).toEqual([2, 1]);
  });

  it("a server going down keeps its queue under option persist (pendconn_redistribute does nothing), and sends it on as its connections close", () => {
    // maxconn 1: r0 (client 1) is in service on a until 500 (an outage lets it finish); r1
    // (client 1, 10) waits in a's queue. At 100 a is marked down. Without persist the queue
    // is handed back: r1's pin to a is ignored, round robin gives b. With it r1 stays
    // queued; at 500 a takes it, refuses it (it is down), and the retry is redispatched to
    // b after the turn-around.
    const requests = [
      { at: 0, work: 500, client: 1 },
      { at: 10, work: 10, client: 1 },
    ];
    expect(traceLines(run(false, true, requests, { maxconn: 1 }))).toEqual(['r0 a@0-500', 'r1 b@100-110']);
    expect(traceLines(run(true, true, requests, { maxconn: 1 }))).toEqual(['r0 a@0-500', 'r1#1 b@900-910']);
    // The queue is left as it is, its timers too: with timeout queue 150 ms, r1 (queued at
    // 10) is dropped at 160. Handed back and re-queued at 100 (its pin still sends it to a),
    // it would wait until 250, and be sent to a at 200, when r0 ends there.
    const timed = (persist: boolean) =>
      runProxy('haproxy/roundrobin', servers({ maxconn: 1 }), { ...proxyOptions({ retries: 2, redispatch: true, timeout_connect: 400, timeout_queue: 150 }, 'haproxy/roundrobin') }, [{ at: 0, work: 200, client: 1 }, { at: 10, work: 10, client: 1 }], {}, 1, (m) => withPersistence(m, persistenceOf({ persist })));
    const kept = timed(true);
    expect(traceLines(kept)).toEqual(['r0 a@0-200']);
    expect(kept.totals.queueTimeouts).toBe(1);
  });
});
