/**
 * When a retry starts (src/engine/proxy.ts RetryBackoff, mapped per proxy by the scenario
 * loader): HAProxy 2.6's turn-around of MIN(1 s, timeout connect) after a connection
 * failure (src/stream.c back_handle_st_cer), Envoy 1.28's fully jittered exponential
 * back-off (backoff_strategy.cc), nginx 1.22 at once.
 */
import { describe, expect, it } from 'vitest';
import { proxyOptions } from '../../src/scenario/load.ts';
import { backendSpecs, runProxy, traceLines, type ProxyRun } from '../helpers/proxy.ts';

// Checks every minute: the balancer does not notice the outage, so attempts go to the dead server and are refused.
const check = { interMs: 60_000, rise: 2, fall: 3 };
const deadUntil = (to: number) => ({ name: 'a', check, outages: [{ from: 5, to }] });

describe('HAProxy: a turn-around of MIN(1 s, timeout connect) after a connection failure', () => {
  it('timeout connect 5s: a refused try is re-attempted on the same server 1000 ms later', () => {
    const p = proxyOptions({ retries: 3, timeout_connect: 5000 }, 'haproxy/roundrobin');
    expect(p.backoff).toEqual({ kind: 'haproxy', turnAroundMs: 1000 });
    expect(p.roundRobinKind).toBe(true);
    // Down 5–1500 ms: tries at 10 and 1010 are refused, the one at 2010 is served.
    const run = runProxy('haproxy/roundrobin', backendSpecs([deadUntil(1500)]), p, [{ at: 10, work: 10 }]);
    expect(traceLines(run)).toEqual(['r0#2 a@2010-2020']);
    expect(run.totals.retries).toBe(2);
  });

  it('timeout connect 300ms: 300 ms apart', () => {
    const p = proxyOptions({ retries: 5, timeout_connect: 300 }, 'haproxy/leastconn');
    const run = runProxy('haproxy/leastconn', backendSpecs([deadUntil(1500)]), p, [{ at: 10, work: 10 }]);
    expect(traceLines(run)).toEqual(['r0#5 a@1510-1520']);
  });

  it('no wait when the retry is redispatched by a round-robin-kind algorithm with more than one server up; a wait with leastconn', () => {
    const servers = () => backendSpecs([deadUntil(100_000), { name: 'b' }]);
    const firstTry = (run: ProxyRun) => run.picks.find((p) => p.backend === 'a')!;
    const retryOf = (run: ProxyRun, request: number) => run.sent.find((s) => s.request === request)!;
    // roundrobin: the request sent to dead a is redispatched to b at once.
    const rr = runProxy('haproxy/roundrobin', servers(), proxyOptions({ retries: 1, redispatch: 'always' }, 'haproxy/roundrobin'), [{ at: 10, work: 1 }, { at: 10, work: 1 }]);
    expect(retryOf(rr, firstTry(rr).request)).toMatchObject({ attempt: 1, backend: 'b', at: 10 });
    // leastconn (BE_LB_KIND_CB): the same redispatch waits the turn-around first. Both
    // servers idle, a comes first in the tree; the refused try took a connection of a and
    // dropped it (sess_change_server: server_take_conn, server_drop_conn), which re-inserts
    // a behind b at key 0, so the retry goes to b.
    const lc = runProxy('haproxy/leastconn', servers(), proxyOptions({ retries: 2, redispatch: 'always', timeout_connect: 400 }, 'haproxy/leastconn'), [{ at: 10, work: 1 }]);
    expect(lc.picks.map((p) => `${p.backend}@${p.at}`)).toEqual(['a@10', 'b@410']);
    expect(lc.totals.rejected).toBe(0);
  });

  it('backups serving in the primaries\' place are not active servers (srv_act): the redispatch waits the turn-around', () => {
    // p, the primary, is down; backups a (dead, not yet noticed) and b share static-rr's map (a b a b ...).
    const servers = () => backendSpecs([{ name: 'p', outages: [{ from: 0, to: 100_000 }] }, { ...deadUntil(100_000), backup: true }, { name: 'b', backup: true }]);
    const run = runProxy('haproxy/static-rr', servers(), proxyOptions({ retries: 1, redispatch: 'always', timeout_connect: 400 }, 'haproxy/static-rr'), [{ at: 10, work: 1 }]);
    // Two backups up but srv_act 0: the turn-around, then the balancer's next slot, b.
    expect(run.sent.map((x) => `${x.backend}@${x.at}`)).toEqual(['b@410']);
    expect(run.picks.map((x) => `${x.backend}@${x.at}`)).toEqual(['a@10', 'b@410']);
  });

  it('a 503 (an L7 retry, do_l7_retry) is retried at once', () => {
    const p = proxyOptions({ retries: 1, retry_on: ['503'] }, 'haproxy/roundrobin');
    // One slot, no queue: the second request gets a 503 and its retry finds the slot still busy.
    const run = runProxy('haproxy/roundrobin', backendSpecs([{ name: 'a', queue: 0 }]), p, [{ at: 0, work: 10 }, { at: 1, work: 10 }]);
    expect(run.picks.filter((x) => x.request === 1).map((x) => x.at)).toEqual([1]);
    expect(run.totals.retries).toBe(1);
    expect(run.totals.rejected).toBe(1);
  });
});

/** Dispatch times of the two requests, sorted. */
function run2Times(run: ProxyRun): number[] {
  return run.sent.map((s) => s.at).sort((x, y) => x - y);
}

describe('nginx: proxy_next_upstream tries the next peer at once', () => {
  it('no back-off', () => {
    const p = proxyOptions({ retries: 1 }, 'nginx/round_robin');
    expect(p.backoff).toEqual({ kind: 'none' });
    const run = runProxy('nginx/round_robin', backendSpecs([deadUntil(100_000), { name: 'b' }]), p, [{ at: 10, work: 1 }, { at: 10, work: 1 }]);
    expect(run2Times(run)).toEqual([10, 10]);
  });
});

describe('Envoy: fully jittered exponential back-off', () => {
  // 400 requests to one endpoint that is dead (unnoticed): each is tried 1 + 3 times, 4 picks.
  const requests = Array.from({ length: 400 }, (_, i) => ({ at: 10 + i * 1000, work: 1 }));
  const delays = (run: ProxyRun) => {
    const byRequest = new Map<number, number[]>();
    for (const p of run.picks) byRequest.set(p.request, [...(byRequest.get(p.request) ?? []), p.at]);
    return [1, 2, 3].map((n) => [...byRequest.values()].map((times) => times[n]! - times[n - 1]!));
  };
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const envoyRun = (proxy: ReturnType<typeof proxyOptions>, seed = 1) => runProxy('envoy/round_robin', backendSpecs([deadUntil(10_000_000)]), proxy, requests, {}, seed);

  it('retry n waits a whole number of ms in [0, 25 × 2^(n−1)): [0, 25), [0, 50), [0, 100); uniform', () => {
    const p = proxyOptions({ retries: 3 }, 'envoy/round_robin');
    expect(p.backoff).toEqual({ kind: 'envoy', baseMs: 25, maxMs: 250 });
    const run = envoyRun(p);
    expect(run.totals.rejected).toBe(400);
    const [d1, d2, d3] = delays(run);
    for (const [d, interval] of [[d1!, 25], [d2!, 50], [d3!, 100]] as const) {
      expect(d.every((x) => Number.isInteger(x) && x >= 0 && x < interval)).toBe(true);
      // Uniform on 0..interval−1: mean (interval − 1) / 2, sd of the mean interval / sqrt(12 × 400).
      expect(Math.abs(mean(d) - (interval - 1) / 2)).toBeLessThan(3.5 * (interval / Math.sqrt(12 * 400)));
      expect(Math.min(...d)).toBeLessThan(interval * 0.05);
      expect(Math.max(...d)).toBeGreaterThan(interval * 0.95 - 1);
    }
  });

  it('the interval doubles while below max / 2, then is max: base 10ms, max 30ms → [0, 10), [0, 20), [0, 30)', () => {
    const p = proxyOptions({ retries: 3, retry_backoff: { base_interval: 10, max_interval: 30 } }, 'envoy/round_robin');
    const [d1, d2, d3] = delays(envoyRun(p));
    expect([Math.max(...d1!), Math.max(...d2!), Math.max(...d3!)]).toEqual([9, 19, 29]);
  });

  it('the jitter is a function of (seed, request, retry number): the same run twice is identical, another seed differs', () => {
    const p = proxyOptions({ retries: 3 }, 'envoy/round_robin');
    expect(delays(envoyRun(p))).toEqual(delays(envoyRun(p)));
    expect(delays(envoyRun(p, 2))).not.toEqual(delays(envoyRun(p)));
  });

  it('retry_backoff: none retries at once', () => {
    const p = proxyOptions({ retries: 3, retry_backoff: 'none' }, 'envoy/round_robin');
    expect(delays(envoyRun(p)).flat().every((d) => d === 0)).toBe(true);
  });
});

describe('HAProxy option redispatch (src/stream.c stream_choose_redispatch): earlier than the last retry', () => {
  const twoServers = () => backendSpecs([deadUntil(100_000), { name: 'b' }]);
  it('round-robin-kind algorithms with several servers up redispatch every retry (at once); leastconn only the last', () => {
    const rr = runProxy('haproxy/roundrobin', twoServers(), proxyOptions({ retries: 3, redispatch: true }, 'haproxy/roundrobin'), [{ at: 10, work: 1 }, { at: 10, work: 1 }]);
    // Round robin sends each first try to dead a in turn (a, b, a: the retry took b); each refused try is redispatched to b at once.
    expect(rr.picks.map((p) => `${p.backend}#${p.attempt}@${p.at}`)).toEqual(['a#0@10', 'b#1@10', 'a#0@10', 'b#1@10']);
    expect(rr.sent.map((s) => `${s.backend}@${s.at}`)).toEqual(['b@10', 'b@10']);
    expect(rr.totals.rejected).toBe(0);
    const lc = runProxy('haproxy/leastconn', twoServers(), proxyOptions({ retries: 3, redispatch: true }, 'haproxy/leastconn'), [{ at: 10, work: 1 }]);
    // a, a (1 s later), a (2 s), then the last retry through the balancer. The retries held
    // a connection of a (leastconn's key for 1 in flight); the redispatch drops it, which
    // re-inserts a at key 0 behind b: leastconn picks b.
    expect(lc.picks.map((p) => `${p.backend}@${p.at}`)).toEqual(['a@10', 'b@3010']);
    expect(lc.sent.map((s) => `${s.backend}@${s.at}`)).toEqual(['b@3010']);
    expect(lc.totals.rejected).toBe(0);
  });

  it('a server no longer running (marked down by the failure itself, nginx-style max_fails=1) is left at once', () => {
    const passive = { maxFails: 1, failTimeoutMs: 60_000 };
    const specs = backendSpecs([{ name: 'a', passive, outages: [{ from: 5, to: 100_000 }] }, { name: 'b', passive }]);
    // haproxy/first sends to a (the first server); the refusal marks it down: the first retry is balanced, to b, after the turn-around.
    const run = runProxy('haproxy/first', specs, proxyOptions({ retries: 3, redispatch: true }, 'haproxy/first'), [{ at: 10, work: 1 }]);
    expect(traceLines(run)).toEqual(['r0#1 b@1010-1011']);
    // Without option redispatch the retries stay on a.
    const stay = runProxy('haproxy/first', backendSpecs([{ name: 'a', passive, outages: [{ from: 5, to: 100_000 }] }, { name: 'b', passive }]), proxyOptions({ retries: 3 }, 'haproxy/first'), [{ at: 10, work: 1 }]);
    expect(stay.sent).toEqual([]);
    expect(stay.totals.rejected).toBe(1);
  });
});

describe("Envoy retry_host_predicate previous_hosts (host_selection_retry_max_attempts)", () => {
  // envoy/random over dead a (unnoticed) and b; one retry: a retry that lands on a again fails the request.
  // (Within the first minute: the check at 60 s would mark a down.)
  const requests = Array.from({ length: 800 }, (_, i) => ({ at: 10 + i * 50, work: 1 }));
  const sameHostShare = (fields: Parameters<typeof proxyOptions>[0]) => {
    const run = runProxy('envoy/random', backendSpecs([deadUntil(10_000_000), { name: 'b' }]), proxyOptions({ retries: 1, retry_backoff: 'none', ...fields }, 'envoy/random'), requests);
    return { share: run.totals.rejected / run.totals.retries, retries: run.totals.retries, run };
  };
  it('without it a retry picks among all hosts: half of the retries land on the dead host again', () => {
    const { share, retries } = sameHostShare({});
    expect(Math.abs(retries - 400)).toBeLessThan(4 * Math.sqrt(800 * 0.25));
    expect(Math.abs(share - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / retries));
  });
  it('with it a pick of an already tried host is made again, up to host_selection_retry_max_attempts times, and the last pick stands', () => {
    const one = sameHostShare({ retry_host_predicate: 'previous_hosts' });
    expect(Math.abs(one.share - 0.25)).toBeLessThan(4 * Math.sqrt((0.25 * 0.75) / one.retries));
    // About half of the retries' first picks were a (already tried): re-picked, drawing as request + 1 · 2^40 + 1 · 2^47.
    const repicks = one.run.picks.filter((p) => p.attempt === 1 + 128).length;
    expect(Math.abs(repicks - one.retries / 2)).toBeLessThan(4 * Math.sqrt(one.retries * 0.25));
    const many = sameHostShare({ retry_host_predicate: 'previous_hosts', host_selection_retry_max_attempts: 20 });
    expect(many.run.totals.rejected).toBe(0);
  });
});
