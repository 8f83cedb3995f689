/**
 * Runs with the proxy layer (src/engine/proxy.ts) split in time: its queues, waiting
 * retries, pending timers and each request's attempt state travel in the engine state
 * (src/engine/proxy-state.ts), so for 2, 3 and 7 windows the report is byte-identical to
 * the single-thread run — maxconn and proxy queues at moderate load and in overload with
 * queue timeouts, retries after HAProxy's turn-around and Envoy's jittered back-off,
 * redispatch, nginx's tried peers with max_fails, slow start ramping maxconn. Each case
 * first checks that its feature really acts in the run.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import { PROXY_DEFAULTS } from '../../src/engine/proxy-options.ts';
import { ProxySimulation } from '../../src/engine/proxy.ts';
import { readState, sameState } from '../../src/engine/state.ts';
import { SimulationPool } from '../../src/parallel/pool.ts';
import { openWindowTraffic } from '../../src/parallel/windows.ts';
import type { Scenario } from '../../src/scenario/load.ts';
import { createSimulation } from '../../src/simulate.ts';
import { arrayTraffic, backendSpecs } from '../helpers/proxy.ts';
import { PROXY_SCENARIO_ARBS, proxyScenarioFields } from '../helpers/proxy-scenarios.ts';
import { scenarioOf } from '../helpers/simulate.ts';
import { expectSame, expectSplitExact, inProcess, scenario, single, split } from '../helpers/time-split.ts';

let pool: SimulationPool;
beforeAll(() => {
  pool = new SimulationPool({ threads: 2 });
});
afterAll(async () => {
  await pool.destroy();
});

/** 30 s at `rate`, the balancer section `balancer`, `backends` as YAML list lines; outages of `e` span the edges of 2, 3 and 7 windows. */
const proxied = (name: string, rate: string, balancer: string, backends: string) =>
  scenario(`
name: ${name}
seed: 9
duration: 30s
warmup: 2s
timeout: 2s
traffic:
  synthetic:
    rate: ${rate}
    service: { distribution: exponential, mean: 4ms }
    clients: { count: 300, skew: 1.0 }
    routes: { count: 40 }
balancer: { ${balancer} }
backends:
${backends}
`);

const OUTAGES = 'outages: [{ from: 8.5s, to: 15.5s }, { from: 19.5s, to: 21.5s }]';

interface Requests {
  queueTimeouts: number;
  proxyQueued: number;
  retries: number;
  rejectedByProxy: number;
}
const requests = (json: string): Requests => JSON.parse(json).requests;

describe('time-split replay with the proxy layer is byte-identical to one thread', () => {
  it('maxconn and proxy queues at moderate load: the backend queue (roundrobin) and the servers’ own (uri, maxqueue)', async () => {
    for (const algorithm of ['haproxy/roundrobin', 'haproxy/uri']) {
      const sc = proxied(
        `maxconn-${algorithm}`,
        '650/s',
        `algorithm: ${algorithm}, timeout_queue: 200ms`,
        `  - { name: a, concurrency: 2, maxconn: 2 }
  - { name: b, concurrency: 2, maxconn: 1, maxqueue: 8 }
  - { name: c, concurrency: 2, speed: 0.5, maxconn: 2 }`,
      );
      const expected = single(sc);
      expect(requests(expected).proxyQueued, algorithm).toBeGreaterThan(1000);
      const stats = await expectSplitExact(pool, sc, expected);
      // The guess (empty queues) is wrong somewhere, so restores and comparisons really ran.
      expect(stats.some((s) => s.fixups > 0), algorithm).toBe(true);
    }
  });

  it('continuous overload with queue timeouts: the proxy queue never drains', async () => {
    const sc = proxied(
      'proxy-overload',
      '1500/s',
      'algorithm: haproxy/leastconn, timeout_queue: 30ms',
      `  - { name: a, concurrency: 2, maxconn: 2 }
  - { name: b, concurrency: 2, maxconn: 2, speed: 0.5 }`,
    );
    const expected = single(sc);
    expect(requests(expected).queueTimeouts).toBeGreaterThan(5000);
    const stats = await expectSplitExact(pool, sc, expected);
    for (const s of stats) expect(s.fixups).toBe(s.windows - 1);
  });

  it('retries after HAProxy’s turn-around (refused by a dead server, its queue full)', async () => {
    const sc = proxied(
      'haproxy-turn-around',
      '500/s',
      'algorithm: haproxy/leastconn, health_check: { interval: 1s, rise: 2, fall: 3 }, retries: 3, retry_on: [refused, 503], timeout_connect: 150ms',
      `  - { name: a, concurrency: 2, queue: 3 }
  - { name: b, concurrency: 2, queue: 3 }
  - { name: e, concurrency: 2, queue: 3, ${OUTAGES} }`,
    );
    const expected = single(sc);
    // Fewer than one might think: each retry holds a slot of the dead e through its
    // turn-around (holdServer), which leastconn counts as load (HAProxy's served), so e is
    // sent little while its retries wait — and a boundary falls among held slots.
    expect(requests(expected).retries).toBeGreaterThan(50);
    await expectSplitExact(pool, sc, expected);
  });

  it('retries after Envoy’s jittered back-off, per-try timeouts (orphans) and previous_hosts', async () => {
    const sc = proxied(
      'envoy-backoff',
      '500/s',
      'algorithm: envoy/round_robin, retries: 2, retry_on: [refused, timeout], per_try_timeout: 15ms, retry_host_predicate: previous_hosts, host_selection_retry_max_attempts: 2',
      `  - { name: a, concurrency: 2 }
  - { name: b, concurrency: 1, speed: 0.5 }
  - { name: e, concurrency: 2, ${OUTAGES} }`,
    );
    const expected = single(sc);
    expect(requests(expected).retries).toBeGreaterThan(1000);
    await expectSplitExact(pool, sc, expected);
  });

  it('redispatch: queued requests handed back when their server goes down, every second retry re-balanced', async () => {
    const sc = proxied(
      'redispatch',
      '900/s',
      'algorithm: haproxy/source, health_check: { interval: 1s, rise: 2, fall: 2 }, retries: 3, retry_on: [refused, 503], redispatch: 2, timeout_queue: 300ms',
      `  - { name: a, concurrency: 2, maxconn: 2, queue: 2 }
  - { name: b, concurrency: 2, maxconn: 2, queue: 2 }
  - { name: e, concurrency: 2, maxconn: 20, ${OUTAGES} }`,
    );
    // e's maxconn is larger than the others': its retries hold slots of it through their
    // turn-around (holdServer), and with 2 the hash's requests for e would mostly wait in
    // its queue instead of being refused and retried.
    const expected = single(sc);
    const r = requests(expected);
    expect(r.retries).toBeGreaterThan(100);
    expect(r.proxyQueued).toBeGreaterThan(100);
    await expectSplitExact(pool, sc, expected);
  });

  it('nginx: retries skip the peers already tried, max_fails takes peers out, maxconn without a queue', async () => {
    const sc = proxied(
      'nginx-tried',
      '600/s',
      'algorithm: nginx/round_robin, retries: 2, retry_on: [refused, timeout], per_try_timeout: 25ms, max_fails: 2, fail_timeout: 2s',
      `  - { name: a, concurrency: 2, maxconn: 3 }
  - { name: b, concurrency: 2, speed: 0.5, maxconn: 3 }
  - { name: e, concurrency: 2, ${OUTAGES} }`,
    );
    const expected = single(sc);
    const r = requests(expected);
    expect(r.retries).toBeGreaterThan(100);
    expect(r.rejectedByProxy).toBeGreaterThan(0);
    await expectSplitExact(pool, sc, expected);
  });

  it('slow start ramping maxconn, each warm-up tick taking from the backend queue', async () => {
    const sc = proxied(
      'slowstart-maxconn',
      '600/s',
      'algorithm: haproxy/roundrobin, health_check: { interval: 700ms, rise: 2, fall: 2 }, slowstart: 5s, timeout_queue: 300ms',
      `  - { name: a, concurrency: 4, maxconn: 3 }
  - { name: b, concurrency: 4, maxconn: 3 }
  - { name: e, concurrency: 4, maxconn: 4, ${OUTAGES} }`,
    );
    const expected = single(sc);
    expect(requests(expected).proxyQueued).toBeGreaterThan(100);
    await expectSplitExact(pool, sc, expected);
  });
});

/** A simulation of `sc` from boundary `startMs` on, as a time-split window is made (src/parallel/tasks.ts). */
function windowFrom(sc: Scenario, startMs: number, firstRequest: number) {
  return createSimulation(sc, BUILTIN_BALANCERS.get(sc.balancer.algorithm)!, sc.seed, {
    startMs,
    endMs: Number.POSITIVE_INFINITY,
    firstRequest,
    traffic: openWindowTraffic(sc, sc.seed, startMs, Number.POSITIVE_INFINITY).traffic,
    trafficEndMs: sc.durationMs,
  });
}

describe('the proxy layer\'s part of the engine state', () => {
  it('round-trips: snapshot → restore → snapshot at every boundary, and the restored run goes on as the original', () => {
    const sc = proxied(
      'round-trip',
      '700/s',
      'algorithm: haproxy/roundrobin, health_check: { interval: 1s, rise: 2, fall: 2 }, retries: 2, retry_on: [refused, timeout], per_try_timeout: 12ms, timeout_queue: 40ms, redispatch: last, timeout_connect: 30ms',
      `  - { name: a, concurrency: 2, maxconn: 2 }
  - { name: b, concurrency: 1, speed: 0.5, maxconn: 2, maxqueue: 4 }
  - { name: e, concurrency: 2, maxconn: 3, ${OUTAGES} }`,
    );
    const original = createSimulation(sc, BUILTIN_BALANCERS.get(sc.balancer.algorithm)!, sc.seed);
    expect(original).toBeInstanceOf(ProxySimulation);
    let restored: ReturnType<typeof windowFrom> | null = null;
    let longest = 0;
    for (let t = 1000; t < sc.durationMs; t += 1000) {
      expect(original.runUntil(t)).toBe(true);
      const state = original.snapshot();
      // The restored run of the last second reached the same state.
      if (restored !== null) {
        expect(restored.runUntil(t)).toBe(true);
        expect(sameState(restored.snapshot(), state), `at ${t} ms`).toBe(true);
      }
      restored = windowFrom(sc, t, original.arrived);
      restored.restore(state);
      expect(sameState(restored.snapshot(), state), `round trip at ${t} ms`).toBe(true);
      longest = Math.max(longest, readState(state, original.backends.count).proxy.length);
    }
    // The states held queues, retries and timers, not just the counters.
    expect(longest).toBeGreaterThan(100);
  });
});

describe('equal-time proxy timers', () => {
  it('run in their first run\'s order after a restore (retries of tries sent at one instant pick in that order)', () => {
    // Four requests sent at 0 ms to four round-robin backends of different speeds time out
    // together at 10 ms; each retry picks the next backend in turn, so the order in which
    // the four try timeouts run decides which retry goes where. Cut at 5 ms and restored,
    // the run must reach the whole run's state at 60 ms.
    const backends = backendSpecs([{ name: 'a' }, { name: 'b', speed: 2 }, { name: 'c', speed: 3 }, { name: 'd', speed: 4 }]);
    const proxy = { ...PROXY_DEFAULTS, retries: 1, retryOn: ['timeout'] as const, perTryTimeoutMs: 10 };
    const requests = [0, 1, 2, 3].map(() => ({ at: 0, work: 40 }));
    const options = { backends, balancer: BUILTIN_BALANCERS.get('round-robin')!, seed: 1 };
    const whole = new ProxySimulation(options, proxy, arrayTraffic(requests));
    whole.runUntil(5);
    const atCut = whole.snapshot();
    expect(whole.runUntil(60)).toBe(true);
    const rest = new ProxySimulation({ ...options, startMs: 5, firstRequest: 4 }, proxy, arrayTraffic([]));
    rest.restore(atCut);
    expect(rest.runUntil(60)).toBe(true);
    expect(sameState(rest.snapshot(), whole.snapshot())).toBe(true);
  });
});

/** What a split must also carry or cut right: a client timeout (the cut-off), warm-up, health checks and the proxies' own health knobs. */
const splitExtrasArb = fc.record({
  timeout: fc.option(fc.constantFrom('150ms', '600ms', '2s'), { nil: undefined }),
  warmup: fc.option(fc.constant('1s'), { nil: undefined }),
  health_check: fc.option(fc.record({ interval: fc.constantFrom('300ms', '700ms'), rise: fc.integer({ min: 1, max: 3 }), fall: fc.integer({ min: 1, max: 3 }) }), { nil: undefined }),
  /** slowstart for haproxy/*, max_fails for nginx/*. */
  proxyHealth: fc.boolean(),
});

describe('random proxy scenarios split at random boundaries', () => {
  it('give the single run\'s report byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(...PROXY_SCENARIO_ARBS, splitExtrasArb, fc.integer({ min: 3, max: 8 }), fc.integer({ min: 2, max: 7 }), async (algorithm, backends, proxy, seed, extras, seconds, windows) => {
        const fields = proxyScenarioFields(algorithm, backends, proxy, seed, `${seconds}s`);
        const own = extras.proxyHealth ? (algorithm.startsWith('haproxy/') ? { slowstart: '2s' } : algorithm.startsWith('nginx/') ? { max_fails: 1, fail_timeout: '1s' } : {}) : {};
        const sc = scenarioOf({
          ...fields,
          ...(extras.timeout === undefined ? {} : { timeout: extras.timeout }),
          ...(extras.warmup === undefined ? {} : { warmup: extras.warmup }),
          balancer: { ...(fields.balancer as object), ...(extras.health_check === undefined ? {} : { health_check: { ...extras.health_check } }), ...own },
        });
        const { json, stats } = await split(inProcess, sc, windows);
        expect(stats.notSplit).toBeUndefined();
        expectSame(json, single(sc), `${algorithm}, ${windows} windows of ${seconds} s`);
      }),
      { numRuns: 40 },
    );
  });
});
