/**
 * HAProxy 2.6 slowstart ramps a returning server's maxconn as well as its weight
 * (queue.c srv_dynamic_maxconn: MAX(1, maxconn × (100 × elapsed_s / slowstart_s) / 100)),
 * and each 1 s warm-up tick grabs from the backend queue up to the new limit
 * (server.c server_warmup → pendconn_grab_from_px). Through the proxy layer
 * (src/engine/proxy.ts, src/engine/server-health-slow-start.ts).
 */
import { describe, expect, it } from 'vitest';
import { backendSpecs, runProxy, type ProxyRun, type TraceRequest } from '../helpers/proxy.ts';
import { simulateObject } from '../helpers/simulate.ts';

/** Attempts open on `name` at instant t (sent at or before t, not yet answered). */
const openAt = (run: ProxyRun, name: string, t: number) => run.sent.filter((s) => s.backend === name && s.at <= t && (s.done === null || s.done > t)).length;

// One server, maxconn 10, in an outage 1–2 s; from 2 s a request every 10 ms, each 5 s of work.
const requests: TraceRequest[] = Array.from({ length: 1200 }, (_, i) => ({ at: 2000 + i * 10, work: 5000 }));
const server = (slowStart: boolean) =>
  backendSpecs([{ name: 'b', concurrency: 1000, maxconn: 10, outages: [{ from: 1000, to: 2000 }], ...(slowStart ? { slowStart: { proxy: 'haproxy' as const, periodMs: 10_000 } } : {}) }]);

describe('HAProxy slowstart ramps maxconn (srv_dynamic_maxconn)', () => {
  it('maxconn 10, slowstart 10s: 1 open at once at first, then one more each second, 10 from 10 s on', () => {
    const run = runProxy('haproxy/roundrobin', server(true), {}, requests);
    // Half a second after each tick k (2 s + k s): limit MAX(1, 10 × (10k) / 100) = max(1, k).
    const open = Array.from({ length: 13 }, (_, k) => openAt(run, 'b', 2500 + k * 1000));
    expect(open).toEqual([1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10]);
    // The limit rises at the tick itself: the second connection opens at 4 s exactly (grabbed from the backend queue).
    expect(run.sent[1]!.at).toBe(4000);
    expect(openAt(run, 'b', 3999)).toBe(1);
    expect(run.totals.rejected).toBe(0);
  });

  it('without slowstart the server takes 10 at once', () => {
    const run = runProxy('haproxy/roundrobin', server(false), {}, requests);
    expect(openAt(run, 'b', 2100)).toBe(10);
  });

  it("nginx Plus slow_start (maxconn: false) ramps the weight only", () => {
    const spec = server(true);
    spec[0]!.slowStart = { proxy: 'haproxy', periodMs: 10_000, maxconn: false };
    expect(openAt(runProxy('haproxy/roundrobin', spec, {}, requests), 'b', 2100)).toBe(10);
  });

  it('a server going down mid-ramp gets its usual maxconn back, and ramps again from 1 when it returns', () => {
    const spec = server(true);
    spec[0]!.outages.push({ from: 5000, to: 6000 });
    const run = runProxy('haproxy/roundrobin', spec, {}, requests);
    // Down at 5 s (before that instant's tick): the two requests open on it (sent at 2 and 4 s) keep
    // running until 7 and 9 s. Back at 6 s the limit is 1 again, so nothing is sent until the tick
    // at 8 s raises it to 2 (the one of 7 s only took it from 2 open to 1).
    expect(run.sent.filter((s) => s.at >= 5000 && s.at < 8000)).toEqual([]);
    expect([openAt(run, 'b', 7500), openAt(run, 'b', 8500), openAt(run, 'b', 9500), openAt(run, 'b', 10_500)]).toEqual([1, 2, 3, 4]);
    expect(run.sent.filter((s) => s.at >= 8000 && s.at < 8001).length).toBe(1);
  });

  it('imported from haproxy.cfg: server maxconn 10 slowstart 10s ramps the same way', () => {
    const r = simulateObject({
      duration: '14s',
      traffic: { synthetic: { rate: '200/s', service: { distribution: 'constant', mean: '5s' } } },
      balancer: { from: 'test/fixtures/configs/haproxy-slowstart.cfg', backend: 'app' },
      backends: [
        { name: 'b1', concurrency: 1000, outages: [{ from: '0s', to: '2s' }] },
      ],
    });
    expect(r.backends[0]!.maxconn).toBe(10);
    // Down until 2 s (its requests are refused); then the requests open on it per second follow the ramp.
    expect(r.backends[0]!.maxInFlight).toBe(10);
    expect(r.timeseries.backends[0]!.maxInFlight.slice(2, 8)).toEqual([1, 1, 2, 3, 4, 5]);
  });
});
