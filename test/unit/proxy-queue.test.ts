/**
 * The proxy's own queue (src/engine/proxy.ts): golden traces worked out by hand from
 * HAProxy 2.6's src/queue.c and src/backend.c, nginx 1.22's max_conns and Envoy's
 * circuit breakers.
 */
import { describe, expect, it } from 'vitest';
import { backendSpecs, runProxy, traceLines } from '../helpers/proxy.ts';
import { proxyOptions } from '../../src/scenario/load.ts';
import { simulateObject } from '../helpers/simulate.ts';

const at = (...times: number[]) => times.map((t) => ({ at: t, work: 10 }));

describe('timeout queue', () => {
  it('drops requests that waited longer than timeout_queue with a 503, counted as rejected and queueTimeouts', () => {
    // One server, maxconn 1, 10 ms each. r0 runs 0-10, r1 waits 1→10 (9 ms) and runs 10-20.
    // r2, r3, r4 (queued at 2, 3, 4) would wait past 15 ms: dropped at 17, 18, 19.
    // r5 (queued at 5) reaches 15 ms exactly at 20, when r1 frees the connection: the
    // completion runs first (equal-time order), so it is served, 20-30.
    const run = runProxy('round-robin', backendSpecs([{ name: 'a', maxconn: 1 }]), { timeoutQueueMs: 15 }, at(0, 1, 2, 3, 4, 5));
    expect(traceLines(run)).toEqual(['r0 a@0-10', 'r1 a@10-20', 'r5 a@20-30']);
    const t = run.totals;
    expect([t.total, t.completed, t.rejected, t.queueTimeouts, t.rejectedByProxy, t.proxyQueued]).toEqual([6, 3, 3, 3, 3, 5]);
    expect(t.maxProxyWaitUsBy[0]).toBe(15_000);
  });

  it('in a scenario: the report counts queue timeouts as rejected, and the time series shows the proxy queue', () => {
    const r = simulateObject({
      duration: '20s',
      traffic: { synthetic: { rate: '500/s', service: { distribution: 'exponential', mean: '10ms' } } },
      balancer: { algorithm: 'haproxy/roundrobin', timeout_queue: '50ms' },
      backends: [{ name: 'web', count: 2, concurrency: 4, maxconn: 2 }],
    });
    // Capacity 2 × 2 connections × 100/s = 400/s for 500/s offered: about a fifth must go.
    expect(r.requests.queueTimeouts).toBeGreaterThan(0.15 * r.requests.total);
    expect(r.requests.queueTimeouts).toBe(r.requests.rejected);
    expect(r.requests.rejectedByProxy).toBe(r.requests.rejected);
    expect(r.requests.total).toBe(r.requests.completed + r.requests.rejected + r.requests.timedOut);
    for (const b of r.backends) {
      expect(b.maxInFlight).toBeLessThanOrEqual(2);
      expect(b.maxconn).toBe(2);
      expect(b.proxyWait.max).toBeLessThanOrEqual(50);
    }
    expect(Math.max(...r.timeseries.maxProxyQueue)).toBeGreaterThan(5);
    expect(r.timeseries.proxyQueue[3]).toBeGreaterThan(1);
  });
});

/** haproxy/leastconn over a and b, maxconn 1 and maxqueue 1 each. */
const leastconn = (requests: { at: number; work: number }[]) => runProxy('haproxy/leastconn', backendSpecs([{ name: 'a', maxconn: 1, maxqueue: 1 }, { name: 'b', maxconn: 1, maxqueue: 1 }]), {}, requests);

describe("HAProxy's pendconn order: a freed connection takes the older of its own queue's head and the backend queue's", () => {
  it('leastconn, maxconn 1, maxqueue 1: server queues, the backend queue, and the older head first', () => {
    // r0 → a, r1 → b (long). r2: both take one more (served + nbpend < maxconn + maxqueue),
    // a first in the tree → a is full → a's queue. r3: a saturated → b's queue. r4: both
    // saturated → the backend queue (at 4). At 10 a frees: own head r2 (2) before r4 (4).
    // r5 at 12 goes to a's queue (b saturated). At 20 a frees: r4 (4) is older than r5 (12),
    // so the backend queue wins; r5 follows at 30. b frees at 101 and takes r3.
    const run = leastconn([
      { at: 0, work: 10 },
      { at: 1, work: 100 },
      { at: 2, work: 10 },
      { at: 3, work: 10 },
      { at: 4, work: 10 },
      { at: 12, work: 10 },
    ]);
    expect(traceLines(run)).toEqual(['r0 a@0-10', 'r1 b@1-101', 'r2 a@10-20', 'r4 a@20-30', 'r5 a@30-40', 'r3 b@101-111']);
    expect(run.totals.proxyQueued).toBe(4);
  });

  it("keys are whole milliseconds: a tie goes to the server queue (pkey <= ppkey), even if the backend queue's head joined first", () => {
    // r0 → a until 6.5, r1 → b (long), r2 → a's queue, r3 → b's queue. r4 at 6.2: both
    // saturated → backend queue. At 6.5 a frees and takes r2 (2 < 6.2), so a has room in its
    // queue again: r5 at 6.7 joins it. At 16.5 a frees: r5 (6.7) and r4 (6.2) are both in
    // millisecond 6 for HAProxy, and the server's own queue wins the tie.
    const run = leastconn([
      { at: 0, work: 6.5 },
      { at: 1, work: 100 },
      { at: 2, work: 10 },
      { at: 3, work: 10 },
      { at: 6.2, work: 10 },
      { at: 6.7, work: 10 },
    ]);
    expect(traceLines(run)).toEqual(['r0 a@0-6.5', 'r1 b@1-101', 'r2 a@6.5-16.5', 'r5 a@16.5-26.5', 'r4 a@26.5-36.5', 'r3 b@101-111']);
  });

  it('roundrobin skips full servers and queues at the backend when all are full', () => {
    const run = runProxy('haproxy/roundrobin', backendSpecs([{ name: 'a', maxconn: 2, concurrency: 4 }, { name: 'b', maxconn: 1, concurrency: 4 }]), {}, at(0, 0, 0, 0, 0, 1));
    // fwrr with equal weights: a b a, then a and b are full: r3, r4, r5 wait in the backend
    // queue. At 10 the completions run in the order they were scheduled: r0 frees a (takes
    // r3), r1 frees b (r4), r2 frees a (r5).
    expect(traceLines(run)).toEqual(['r0 a@0-10', 'r1 b@0-10', 'r2 a@0-10', 'r3 a@10-20', 'r4 b@10-20', 'r5 a@10-20']);
  });
});

describe('maxqueue and hash algorithms', () => {
  it('a hash-bound request waits in its server queue; past maxqueue it gets a 503 at once, even with redispatch', () => {
    // haproxy/source maps client 0 to one server and does not skip full ones.
    const run = runProxy('haproxy/source', backendSpecs([{ name: 'a', maxconn: 1, maxqueue: 1 }, { name: 'b', maxconn: 1, maxqueue: 1 }]), { retries: 3, redispatch: 'last' }, at(0, 1, 2));
    const target = run.sent[0]!.backend;
    expect(traceLines(run)).toEqual([`r0 ${target}@0-10`, `r1 ${target}@10-20`]);
    const t = run.totals;
    expect([t.completed, t.rejectedByProxy, t.queueTimeouts, t.retries]).toEqual([2, 1, 0, 0]);
  });
});

describe('nginx max_conns: no queue at the proxy', () => {
  it('peers at max_conns are skipped; when all are, the request fails at once (502)', () => {
    const run = runProxy('nginx/round_robin', backendSpecs([{ name: 'a', maxconn: 1, concurrency: 2 }, { name: 'b', maxconn: 1, concurrency: 2 }]), { queue: false }, at(0, 0, 0, 5));
    expect(traceLines(run)).toEqual(['r0 a@0-10', 'r1 b@0-10']);
    const t = run.totals;
    expect([t.completed, t.rejected, t.rejectedByProxy, t.proxyQueued]).toEqual([2, 2, 2, 0]);
  });

  it('nginx/* algorithms default to no proxy queue in scenarios: a loss system (Erlang B)', () => {
    const r = simulateObject({
      duration: '20s',
      traffic: { synthetic: { rate: '1000/s', service: { distribution: 'constant', mean: '10ms' } } },
      balancer: { algorithm: 'nginx/least_conn' },
      backends: [{ name: 'web', count: 2, concurrency: 8, maxconn: 4 }],
    });
    // least_conn sends to any peer below max_conns, so the 8 connections form one group
    // offered 1000/s × 10 ms = 10 erlangs: Erlang B(8, 10) = 0.3383 of requests find all busy.
    expect(r.requests.proxyQueued).toBe(0);
    expect(r.requests.rejectedByProxy / r.requests.total).toBeCloseTo(0.3383, 1);
    expect(Math.abs(r.requests.rejectedByProxy / r.requests.total - 0.3383)).toBeLessThan(0.02);
    for (const b of r.backends) expect(b.maxInFlight).toBeLessThanOrEqual(4);
  });
});

describe('Envoy circuit breakers', () => {
  it('max_requests and max_pending_requests overflow with a 503 at once', () => {
    const run = runProxy('envoy/round_robin', backendSpecs([{ name: 'a', maxconn: 1 }, { name: 'b', maxconn: 1 }]), { maxPending: 1 }, at(0, 0, 0, 0));
    // Two sent, one pending (Envoy's round robin does not skip a busy host: it waits in that host's pool), one overflows.
    expect(run.sent.length).toBe(3);
    expect([run.totals.rejectedByProxy, run.totals.proxyQueued]).toEqual([1, 1]);
    const capped = runProxy('envoy/round_robin', backendSpecs([{ name: 'a', concurrency: 4 }, { name: 'b', concurrency: 4 }]), { maxRequests: 3 }, at(0, 0, 0, 0, 0));
    expect([capped.sent.length, capped.totals.rejectedByProxy]).toEqual([3, 2]);
  });
});

describe('validation', () => {
  it('maxqueue needs a maxconn, and the knobs are checked with their file line', () => {
    expect(() =>
      simulateObject({ duration: '1s', traffic: { synthetic: { rate: 10, service: { distribution: 'constant', mean: 1 } } }, balancer: { algorithm: 'round-robin' }, backends: [{ name: 'a', maxqueue: 3 }] }),
    ).toThrow(/backends\[0\]\.maxqueue: maxqueue needs a maxconn/);
    expect(() =>
      simulateObject({ duration: '1s', traffic: { synthetic: { rate: 10, service: { distribution: 'constant', mean: 1 } } }, balancer: { algorithm: 'round-robin', timeout_queue: 'soon', retry_on: ['502'] }, backends: [{ name: 'a', maxconn: 0 }] }),
    ).toThrow(/balancer\.timeout_queue: expected a duration[\s\S]*balancer\.retry_on\[0\][\s\S]*backends\[0\]\.maxconn: expected a maxconn of at least 1/);
  });
});

describe('a backup hidden again behind a returning primary keeps its own queue', () => {
  it('the requests queued on it wait for it, as HAProxy redistributes the queue of a server going down only', () => {
    // p down until 100 ms; the backup b (maxconn 1) serves; a hash puts r1 and r2 on b,
    // full, so they queue on b itself. p returns at 100: b is hidden from the balancer but
    // still runs, and its queue is served by it (process_srv_queue), not handed to p
    // (pendconn_redistribute runs when a server goes down, which b does not).
    const run = runProxy(
      'haproxy/uri',
      backendSpecs([{ name: 'p', outages: [{ from: 0, to: 100 }] }, { name: 'b', backup: true, maxconn: 1 }]),
      proxyOptions({ redispatch: true }, 'haproxy/uri'),
      [{ at: 10, work: 200 }, { at: 20, work: 10 }, { at: 30, work: 10 }],
    );
    expect(traceLines(run)).toEqual(['r0 b@10-210', 'r1 b@210-220', 'r2 b@220-230']);
  });
});
