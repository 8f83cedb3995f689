/**
 * When a run ends: at the last answer once the traffic is over, whatever outage, health
 * check or slow-start tick is still scheduled after it — but not before a request that
 * still waits for one of those (a proxy queue bound to a server that comes back later).
 */
import { describe, expect, it } from 'vitest';
import { simulateObject } from '../helpers/simulate.ts';

const base = {
  name: 'run-end',
  seed: 7,
  duration: '10s',
  traffic: { synthetic: { rate: '200/s', service: { distribution: exponential(), mean: '5ms' } } },
  report: { interval: '1s' },
};
function exponential(): string {
  return 'exponential';
}

const accounted = (r: ReturnType<typeof simulateObject>) => r.requests.completed + r.requests.rejected + r.requests.timedOut;

describe('the run ends at the last answer after the traffic, not at an outage scheduled later', () => {
  it('an outage lasting an hour past the end: no hour of empty rows', () => {
    const r = simulateObject({ ...base, balancer: { algorithm: 'round-robin' }, backends: [{ name: 'a' }, { name: 'b', outages: [{ from: '5s', to: '1h' }] }] });
    expect(r.simulatedUntil).toBeGreaterThanOrEqual(10_000);
    // 200/s of 5 ms work on one backend (ρ = 1 for the last 5 s): its backlog drains within seconds, not an hour.
    expect(r.simulatedUntil).toBeLessThan(60_000);
    expect(r.timeseries.interval).toBe(1000);
    expect(r.timeseries.arrivals.length).toBe(Math.ceil(r.simulatedUntil / 1000));
    expect(accounted(r)).toBe(r.requests.total);
  });

  it('with a client timeout, it ends at the last answer too, not at the traffic end plus the timeout', () => {
    const r = simulateObject({ ...base, timeout: '30s', balancer: { algorithm: 'round-robin' }, backends: [{ name: 'a' }, { name: 'b' }, { name: 'c', outages: [{ from: '2s', to: '1h' }] }] });
    expect(r.simulatedUntil).toBeGreaterThan(9_900);
    expect(r.simulatedUntil).toBeLessThan(10_500); // two backends at ρ = 0.5: the last answer comes within ms of the last arrival
    expect(accounted(r)).toBe(r.requests.total);
  });

  it('requests queued at the proxy for a server that comes back later keep the run going until it does', () => {
    // Round robin skips full servers. a takes one connection at a time (maxconn 1) at a
    // ten-thousandth of the speed: its first request outlasts the traffic. b goes down at
    // 9.5 s: the requests of the last half second find a full and b down, and wait in the
    // backend queue (SRV_STATUS_FULL) until b comes back at 60 s and takes them
    // (pendconn_grab_from_px).
    const r = simulateObject({
      ...base,
      balancer: { algorithm: 'haproxy/roundrobin' },
      backends: [{ name: 'a', maxconn: 1, speed: 0.0001 }, { name: 'b', maxconn: 4, outages: [{ from: '9.5s', to: '60s' }] }],
    });
    expect(r.simulatedUntil).toBeGreaterThan(60_000);
    expect(r.requests.proxyQueued).toBeGreaterThan(50);
    expect(r.backends[1]!.completed).toBeGreaterThan(r.requests.total - 5);
    expect(accounted(r)).toBe(r.requests.total);
  });
});
