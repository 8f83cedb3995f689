/**
 * Exactness of the time-parallel replay: for every window count, the report of a run
 * split in time is byte-identical to the single-thread report — with idle gaps, under
 * continuous overload (where fix-ups never meet their first run), with outages, warm-up,
 * timeouts, and every balancer (round-robin and smooth-WRR counters included).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceWriter } from '../../src/traffic/lbt/writer.ts';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import { SimulationPool } from '../../src/parallel/pool.ts';
import type { Scenario } from '../../src/scenario/load.ts';
import { expectSame, expectSplitExact, scenario, single, split as splitOn } from '../helpers/time-split.ts';

let pool: SimulationPool;
beforeAll(() => {
  pool = new SimulationPool({ threads: 2 });
});
afterAll(async () => {
  await pool.destroy();
});

const split = (sc: Scenario, windows: number) => splitOn(pool, sc, windows);

interface Mix {
  /** @default 60s */
  duration?: string;
  /** @default 700/s */
  rate?: string;
  /** More `balancer` keys, e.g. ', instances: 3'. @default '' */
  balancer?: string;
  /** More backends (YAML list lines). @default '' */
  extra?: string;
}

/** Four backends of mixed weights and speeds at moderate load. */
const moderate = (algorithm: string, mix: Mix = {}) =>
  scenario(`
name: moderate-${algorithm}
seed: 7
duration: ${mix.duration ?? '60s'}
warmup: 2s
timeout: 2s
traffic:
  synthetic:
    rate: ${mix.rate ?? '700/s'}
    service: { distribution: exponential, mean: 4ms }
    clients: { count: 500, skew: 1.0 }
    routes: { count: 50 }
balancer: { algorithm: ${algorithm}${mix.balancer ?? ''} }
backends:
  - { name: a, weight: 5, concurrency: 2, queue: 50 }
  - { name: b, weight: 1, concurrency: 2, queue: 50 }
  - { name: c, weight: 1, concurrency: 2, queue: 50 }
  - { name: d, weight: 2, concurrency: 1, queue: 50, speed: 2 }
${mix.extra ?? ''}
`);

/**
 * Every algorithm, small: 30 s at 500/s, with a fifth backend whose outages span the
 * window edges of 2, 3 and 7 windows (15 s; 10 s, 20 s; 4 9 13 17 21 26 s), so balancers
 * that rebuild a ring, a map or a host set on down/up start their windows right.
 */
const everyAlgorithm = (algorithm: string, balancer = '') =>
  moderate(algorithm, { duration: '30s', rate: '500/s', balancer, extra: '  - { name: e, weight: 2, concurrency: 2, queue: 50, outages: [{ from: 8.5s, to: 15.5s }, { from: 19.5s, to: 21.5s }] }' });

describe('time-split replay is byte-identical to one thread', () => {
  for (const algorithm of BUILTIN_BALANCERS.keys()) {
    it(`${algorithm}: 2, 3 and 7 windows, outages across their edges`, async () => {
      const sc = everyAlgorithm(algorithm);
      // Every built-in saves and loads its state, so every one is split.
      await expectSplitExact(pool, sc, single(sc));
    });
  }

  // Server health (src/engine/server-health.ts): check counters, passive-check and ejection
  // state, slow-start ramps and hidden backups travel in the engine state. The fifth
  // backend's outages span the window edges; a sixth is a backup.
  const healthMixes: [string, string, string][] = [
    ['haproxy/roundrobin', ', health_check: { interval: 700ms, rise: 2, fall: 2 }, slowstart: 5s', '  - { name: f, backup: true }'],
    ['haproxy/leastconn', ', health_check: { interval: 1s, rise: 3, fall: 2 }, slowstart: 4s, allbackups: true', '  - { name: f, backup: true }\n  - { name: g, backup: true }'],
    ['nginx/round_robin', ', max_fails: 2, fail_timeout: 2s, slowstart: 4s', '  - { name: f, backup: true }'],
    ['nginx/least_conn', ', health_check: { interval: 1s, rise: 2, fall: 2 }, slowstart: 3s', ''],
    // Dynamic consistent-hash rings: a window may start inside a ramp, which its balancer must load.
    ['haproxy/source', ', hash_type: consistent, health_check: { interval: 1s, rise: 2, fall: 2 }, slowstart: 6s', '  - { name: f, backup: true }'],
    ['haproxy/random', ', health_check: { interval: 700ms, rise: 2, fall: 2 }, slowstart: 6s', ''],
    ['envoy/round_robin', ', outlier_detection: { consecutive_5xx: 3, interval: 1s, base_ejection_time: 2s, max_ejection_percent: 50 }, slow_start_config: { slow_start_window: 3s, aggression: 1.5 }, health_check: { interval: 1s }', ''],
  ];
  for (const [algorithm, knobs, extra] of healthMixes) {
    it(`server health with ${algorithm}: 2, 3 and 7 windows`, async () => {
      const sc = moderate(algorithm, {
        duration: '30s',
        rate: '500/s',
        balancer: knobs,
        extra: `  - { name: e, weight: 2, concurrency: 2, queue: 50, outages: [{ from: 8.5s, to: 15.5s }, { from: 19.5s, to: 21.5s }] }\n${extra}`,
      });
      const expected = single(sc);
      // The knobs really act: the dead backend was sent requests before the balancer knew.
      expect(JSON.parse(expected).backends.find((b: { name: string }) => b.name === 'e').health.sentWhileDown).toBeGreaterThan(0);
      await expectSplitExact(pool, sc, expected);
    });
  }

  // Envoy priority levels (src/balancers/envoy/priority-set.ts): two of six priority-0
  // hosts out together (4 of 6 healthy: 93% stays, 7% spills to priority 1) across window
  // edges; a level's draw is keyed by the request, and every level's rotation indices and
  // EDF schedulers travel in the balancer state.
  for (const algorithm of [...BUILTIN_BALANCERS.keys()].filter((a) => a.startsWith('envoy/'))) {
    it(`priority levels with ${algorithm}: 2, 3 and 7 windows`, async () => {
      const sc = moderate(algorithm, {
        duration: '30s',
        rate: '500/s',
        extra: [
          '  - { name: e, weight: 2, concurrency: 2, queue: 50, outages: [{ from: 8.5s, to: 15.5s }, { from: 19.5s, to: 21.5s }] }',
          '  - { name: f, weight: 1, concurrency: 2, queue: 50, outages: [{ from: 9s, to: 16s }, { from: 19s, to: 22s }] }',
          '  - { name: g, concurrency: 2, queue: 50, priority: 1 }',
          '  - { name: h, weight: 3, concurrency: 2, queue: 50, priority: 1 }',
        ].join('\n'),
      });
      const expected = single(sc);
      // The lower level really takes traffic, and only while the outages overlap.
      const served = (n: string) => JSON.parse(expected).backends.find((b: { name: string }) => b.name === n).requests as number;
      // ~7% of the ~9 s of overlap at 500/s: ~315.
      expect(served('g') + served('h')).toBeGreaterThan(200);
      expect(served('g') + served('h')).toBeLessThan(450);
      await expectSplitExact(pool, sc, expected);
    });
  }

  // Envoy locality-weighted balancing (src/balancers/envoy/localities.ts): the locality
  // schedulers advance with every pick and are rebuilt on host changes across window edges
  // (ring hash and Maglev: rings and tables weighed by locality, rebuilt likewise).
  for (const algorithm of ['envoy/round_robin', 'envoy/least_request', 'envoy/random', 'envoy/ring_hash', 'envoy/maglev']) {
    it(`localities with ${algorithm}: 2, 3 and 7 windows`, async () => {
      const sc = moderate(algorithm, {
        duration: '30s',
        rate: '500/s',
        balancer: ", locality_weighted_lb: true, locality_weights: { 'eu/a': 2, 'eu/b': 1 }",
        extra: [
          '  - { name: e, weight: 2, concurrency: 2, queue: 50, locality: eu/a, outages: [{ from: 8.5s, to: 15.5s }, { from: 19.5s, to: 21.5s }] }',
          '  - { name: f, concurrency: 2, queue: 50, locality: eu/b }',
          '  - { name: g, concurrency: 2, queue: 50, locality: eu/b, outages: [{ from: 9s, to: 16s }] }',
        ].join('\n'),
      });
      await expectSplitExact(pool, sc, single(sc));
    });
  }

  // A route without a hash_policy (hash_key: random): each pick draws Envoy's random() keyed
  // by the request, so every split sees the same draws; the rings and tables are rebuilt
  // when hosts leave and return across window edges.
  // With hash_balance_factor (bounded loads) a pick reads every backend's in-flight count,
  // which the engine state carries across the edge.
  for (const algorithm of ['envoy/ring_hash', 'envoy/maglev']) {
    for (const knobs of [', hash_key: random', ', hash_key: client, hash_balance_factor: 110']) {
      it(`${algorithm}${knobs}: 2, 3 and 7 windows`, async () => {
        const mix = { duration: '30s', rate: '500/s', balancer: knobs, extra: '  - { name: e, weight: 2, concurrency: 2, queue: 50, outages: [{ from: 8.5s, to: 15.5s }] }' };
        const sc = moderate(algorithm, mix);
        const expected = single(sc);
        // The knob acts: the run differs from the plain hash of the same key.
        if (knobs.includes('factor')) expect(expected).not.toBe(single(moderate(algorithm, { ...mix, balancer: ', hash_key: client' })));
        await expectSplitExact(pool, sc, expected);
      });
    }
  }

  // HAProxy hash-balance-factor: each lookup reads every backend's in-flight count and the
  // ring's points (a slow-start ramp's included), both carried across the edge.
  for (const [algorithm, knobs] of [
    ['haproxy/uri', ', hash_type: consistent, hash_balance_factor: 125'],
    ['haproxy/random', ', hash_balance_factor: 150'],
  ] as const) {
    it(`${algorithm}${knobs}: 2, 3 and 7 windows`, async () => {
      const sc = moderate(algorithm, { duration: '30s', rate: '500/s', balancer: knobs, extra: '  - { name: e, concurrency: 2, queue: 50, outages: [{ from: 8.5s, to: 15.5s }] }' });
      await expectSplitExact(pool, sc, single(sc));
    });
  }

  it('an outage and health checks that outlast the traffic: the run ends at the last answer in every split', async () => {
    const sc = moderate('haproxy/roundrobin', {
      duration: '20s',
      rate: '500/s',
      balancer: ', health_check: { interval: 1s }',
      extra: '  - { name: e, outages: [{ from: 12s, to: 1h }] }',
    });
    const expected = single(sc);
    expect(JSON.parse(expected).simulatedUntil).toBeLessThan(25_000);
    await expectSplitExact(pool, sc, expected);
  });

  it('balancer instances (concatenated states, the in-flight book): 3 windows', async () => {
    for (const [algorithm, knobs] of [
      ['haproxy/roundrobin', ', instances: 3, instance_by: client'],
      ['peak-ewma', ', instances: 3, instance_by: client'],
      ['envoy/least_request', ', instances: 3, instance_by: client, instance_counts: shared'],
    ] as const) {
      const withInstances = everyAlgorithm(algorithm, knobs);
      const expected = single(withInstances);
      const { json, stats } = await split(withInstances, 3);
      expectSame(json, expected, `${algorithm} x3`);
      expect(stats.windows).toBe(3);
    }
  });

  it('idle gaps: traffic that stops and restarts', async () => {
    const sc = scenario(`
name: gaps
seed: 3
duration: 90s
traffic:
  synthetic:
    profile: [{at: 0s, rate: 800/s}, {at: 20s, rate: 800/s}, {at: 20s, rate: 0/s}, {at: 45s, rate: 0/s}, {at: 45s, rate: 1200/s}, {at: 70s, rate: 1200/s}, {at: 70s, rate: 0/s}]
    service: { distribution: lognormal, mean: 3ms, cv: 1.5 }
balancer: { algorithm: round-robin }
backends: [{ name: web, count: 4 }]
`);
    const expected = single(sc);
    for (const windows of [2, 3, 7]) expectSame((await split(sc, windows)).json, expected, `${windows} windows`);
  });

  it('continuous overload: fix-ups never meet their first run, the result is still exact', async () => {
    const sc = scenario(`
name: overload
seed: 11
duration: 40s
timeout: 3s
traffic: { synthetic: { rate: 2000/s, service: { distribution: exponential, mean: 3ms } } }
balancer: { algorithm: least-connections }
backends: [{ name: web, count: 4, queue: 5000 }]
`);
    const expected = single(sc);
    for (const windows of [2, 3, 7]) {
      const { json, stats } = await split(sc, windows);
      expectSame(json, expected, `${windows} windows`);
      // The queues grow throughout: no window's guess (empty backends) can be right.
      expect(stats.fixups).toBe(windows - 1);
      expect(stats.fullReplays).toBe(windows - 1);
    }
  });

  it('outages across window edges, weights, and a timeout cut-off', async () => {
    const sc = moderate('weighted-round-robin', { extra: '  - { name: e, outages: [{ from: 10s, to: 31s }, { from: 40s, to: 41s }] }' });
    const expected = single(sc);
    for (const windows of [2, 3, 7]) expectSame((await split(sc, windows)).json, expected, `${windows} windows`);
  });

  it('outages ending and starting exactly at window edges (the state at an edge is before its events)', async () => {
    // 30 s in 3 windows: edges at 10 s and 20 s.
    const sc = moderate('round-robin', { duration: '30s', extra: '  - { name: e, outages: [{ from: 4s, to: 10s }, { from: 20s, to: 25s }] }' });
    const expected = single(sc);
    for (const windows of [2, 3, 7]) expectSame((await split(sc, windows)).json, expected, `${windows} windows`);
  });

  it('at moderate load a guess (the interval before the window, simulated from empty) is the true start: nothing to redo', async () => {
    for (const algorithm of ['round-robin', 'weighted-round-robin', 'random', 'power-of-two', 'least-connections']) {
      const sc = moderate(algorithm);
      const { json, stats } = await split(sc, 3);
      expectSame(json, single(sc), algorithm);
      expect(stats.windows, algorithm).toBe(3);
      expect(stats.fixups, algorithm).toBe(0);
      expect(stats.resimulatedEvents, algorithm).toBe(0);
    }
  });

  it('a backlog older than the interval a guess looks back: the fix-up meets its first run once the backlog drains', async () => {
    // 2000/s of capacity and 2600/s from 5 s to 12 s: a backlog from 5 s to ~16 s. Of equal
    // work, the two windows meet at 11 s; the guess looks back to 10 s only.
    const sc = scenario(`
name: backlog-at-edge
seed: 3
duration: 30s
traffic:
  synthetic:
    profile: [{ at: 0s, rate: 1000/s }, { at: 5s, rate: 1000/s }, { at: 5s, rate: 2600/s }, { at: 12s, rate: 2600/s }, { at: 12s, rate: 1000/s }]
    service: { distribution: exponential, mean: 2ms }
balancer: { algorithm: round-robin }
backends: [{ name: web, count: 4, queue: 10000 }]
`);
    const { json, stats } = await split(sc, 2);
    expectSame(json, single(sc), '2 windows');
    expect(stats.fixups).toBe(1);
    expect(stats.fullReplays).toBe(0);
    expect(stats.resimulatedEvents).toBeGreaterThan(0);
    expect(stats.resimulatedEvents / stats.events).toBeLessThan(0.4);
  });
  // A trace whose requests share three paths and each has a target of its own (a query
  // string): hashing the target (nginx `hash $request_uri`, HAProxy `balance uri whole`)
  // reads the trace's uri column in every window, as the single run does.
  it('hashing the whole request target over a trace: 2, 3 and 7 windows', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lbsim-split-uri-')), 'queries.lbt');
    const w = new TraceWriter(file, { chunkCapacity: 1000 });
    for (let i = 0; i < 15_000; i++) w.push(i * 2, 1 + ((i * 7919) % 13) / 4, i % 400, i % 3, 0, (i * 2654435761) >>> 0);
    w.finish();
    const reports: string[] = [];
    for (const balancer of ['nginx/hash, consistent: true, key: request_uri', 'haproxy/uri, whole: true', 'nginx/hash, consistent: true']) {
      const sc = scenario(`name: uri\nseed: 3\ntraffic: { trace: ${file} }\nbalancer: { algorithm: ${balancer} }\nbackends: [{ name: a, concurrency: 2, queue: 50 }, { name: b, concurrency: 2, queue: 50 }, { name: c, concurrency: 2, queue: 50 }, { name: d, concurrency: 2, queue: 50 }]\n`);
      const expected = single(sc);
      await expectSplitExact(pool, sc, expected);
      reports.push(expected);
    }
    const busy = (json: string) => (JSON.parse(json) as { backends: { requests: number }[] }).backends.filter((b) => b.requests > 0).length;
    // The targets spread over every server; three paths reach at most three.
    expect(reports.map(busy)).toEqual([4, 4, expect.any(Number)]);
    expect(busy(reports[2]!)).toBeLessThanOrEqual(3);
  });
});
