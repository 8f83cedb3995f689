/**
 * The report's derived figures, exactly, from a run small enough to work out by hand, and
 * the JSON field names README's report table calls a contract.
 *
 * The hand-made run: one backend with 2 slots, an unbounded queue, speed 1, no timeout;
 * warm-up 1.5 s, intervals of 1 s; four requests (arrival, work in ms):
 *   r0 (0, 3000)    slot 1 over [0, 3000)         arrived in warm-up: not counted
 *   r1 (2500, 1000) slot 2 over [2500, 3500)      latency 1000
 *   r2 (2600, 2000) waits [2600, 3000), served [3000, 5000)   latency 2400
 *   r3 (4000, 500)  slot 2 over [4000, 4500)      latency 500
 * The run ends at the last completion, 5000 ms, so 3500 ms are measured (1500..5000).
 * Busy slots over the measured period: 1 on [1500, 2500), 2 on [2500, 3500), 1 on
 * [3500, 4000), 2 on [4000, 4500), 1 on [4500, 5000): 1000 + 2000 + 500 + 1000 + 500 =
 * 5000 slot·ms, so utilization = 5000 / (2 slots × 3500 ms). One request waits 400 ms.
 * Every figure is exact (whole µs), so the test compares for equality.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import { collectMetrics } from '../../src/metrics/run-metrics.ts';
import { buildReport, imbalance } from '../../src/report/build.ts';
import type { Report } from '../../src/report/types.ts';
import { createSimulation } from '../../src/simulate.ts';
import type { TrafficSource } from '../../src/traffic/source.ts';
import { scenarioOf } from '../helpers/simulate.ts';

/** Simulates exactly `requests` ([arrival ms, work ms], in order) on the scenario's backends, with round-robin. */
function reportOf(fields: Record<string, unknown>, requests: readonly (readonly [number, number])[]): Report {
  const scenario = scenarioOf(fields);
  const balancer = BUILTIN_BALANCERS.get('round-robin')!;
  let sent = false;
  const traffic: TrafficSource = {
    endTime: scenario.durationMs,
    fill(c) {
      c.count = 0;
      if (sent) return;
      sent = true;
      for (const [arrival, work] of requests) {
        const i = c.count++;
        c.arrival[i] = arrival;
        c.work[i] = work;
        c.client[i] = 0;
        c.route[i] = 0;
        c.flags[i] = 0;
      }
    },
  };
  const sim = createSimulation(scenario, balancer, 1, { startMs: 0, endMs: Number.POSITIVE_INFINITY, firstRequest: 0, traffic, trafficEndMs: scenario.durationMs });
  sim.run();
  const metrics = collectMetrics(sim);
  const report = buildReport({ scenario, seed: 1, algorithm: balancer.name, metrics });
  metrics.totals.destroy();
  return report;
}

const handMade = () =>
  reportOf(
    {
      name: 'by-hand',
      seed: 1,
      duration: '5s',
      warmup: '1500ms',
      report: { interval: '1s' },
      traffic: { synthetic: { rate: 1, service: { distribution: 'constant', mean: 1 } } },
      balancer: { algorithm: 'round-robin' },
      backends: [{ name: 'a', concurrency: 2 }],
    },
    [
      [0, 3000],
      [2500, 1000],
      [2600, 2000],
      [4000, 500],
    ],
  );

describe('report figures of a run worked out by hand', () => {
  it('utilization is busy slots / concurrency over the measured period (after warm-up); queue and latency exact', () => {
    const r = handMade();
    expect(r.simulatedUntil).toBe(5000);
    expect(r.requests).toMatchObject({ total: 3, completed: 3, rejected: 0, timedOut: 0 });
    const [a] = r.backends;
    expect(a!.utilization).toBe(0.714286); // 5000 / (2 × 3500), to 6 decimals
    expect(a!.meanQueue).toBe(0.114); // 400 / 3500
    expect(a!.maxQueue).toBe(1);
    expect(a!.latency).toMatchObject({ count: 3, mean: 1300, max: 2400 });
    expect(r.latency).toMatchObject({ count: 3, mean: 1300, max: 2400 });
  });

  it('the time series: per-interval utilization, mean queue and mean in flight (busy + waiting); warm-up rows rounded up', () => {
    const ts = handMade().timeseries;
    // Warm-up ends at 1.5 s, inside the second interval: two rows hold warm-up time.
    expect(ts.warmupIntervals).toBe(2);
    expect(ts.start.slice(0, 5)).toEqual([0, 1000, 2000, 3000, 4000]);
    const [a] = ts.backends;
    // Interval [2000, 3000): 1 slot busy 500 ms, 2 slots 500 ms (1500 slot·ms); r2 waits 400 ms.
    expect(a!.utilization[2]).toBe(0.75);
    expect(a!.meanQueue[2]).toBe(0.4);
    expect(a!.meanInFlight[2]).toBe(1.9);
    // Interval [3000, 4000): 2 slots 500 ms, then 1 (1500 slot·ms), nothing waiting.
    expect(a!.meanInFlight[3]).toBe(1.5);
  });
});

describe('imbalance', () => {
  it("maxOverMean is the largest count over the mean; Jain's index is (Σx)² / (n·Σx²), from 1/n to 1", () => {
    expect(imbalance([5, 5, 5, 5])).toEqual({ maxOverMean: 1, jain: 1 });
    expect(imbalance([8, 0, 0, 0])).toEqual({ maxOverMean: 4, jain: 0.25 });
    expect(imbalance([3, 1])).toEqual({ maxOverMean: 1.5, jain: 0.8 }); // 16 / (2 × 10)
    expect(imbalance([0, 0])).toEqual({ maxOverMean: 0, jain: 0 });
  });
});

describe('the JSON contract', () => {
  it("carries every field name README's report table lists (fields may be added, none renamed)", () => {
    const r = handMade();
    expect(Object.keys(r)).toEqual(expect.arrayContaining(['scenario', 'seed', 'algorithm', 'requests', 'latency', 'backends', 'imbalance', 'overload', 'slo', 'latencyPercentiles', 'timeseries']));
    expect(Object.keys(r.requests)).toEqual(
      expect.arrayContaining(['total', 'completed', 'rejected', 'timedOut', 'rejectedByProxy', 'queueTimeouts', 'proxyQueued', 'retries', 'attemptsPerRequest', 'retryOverflow']),
    );
    expect(Object.keys(r.latency)).toEqual(expect.arrayContaining(['mean', 'p50', 'p90', 'p99', 'p999', 'max']));
    expect(Object.keys(r.backends[0]!)).toEqual(expect.arrayContaining(['name', 'requests', 'share', 'utilization', 'rejected', 'latency', 'maxconn', 'proxyQueued', 'proxyWait']));
    expect(Object.keys(r.backends[0]!.proxyWait)).toEqual(expect.arrayContaining(['mean', 'max']));
    expect(Object.keys(r.imbalance)).toEqual(expect.arrayContaining(['maxOverMean', 'jain']));
    expect(Object.keys(r.latencyPercentiles[0]!)).toEqual(expect.arrayContaining(['p', 'ms']));
    expect(Object.keys(r.timeseries)).toEqual(
      expect.arrayContaining(['start', 'arrivals', 'completed', 'rejected', 'timedOut', 'failedShare', 'p50', 'p90', 'p99', 'max', 'retries', 'proxyQueue', 'maxProxyQueue', 'backends']),
    );
    expect(Object.keys(r.timeseries.backends[0]!)).toEqual(expect.arrayContaining(['utilization', 'meanQueue', 'maxQueue', 'meanInFlight', 'maxInFlight', 'requests', 'rejected']));
  });
});
