/**
 * Windows cut while the run goes (src/parallel/dynamic-windows.ts): the first boundary
 * chosen when the workers are up, and the main thread stealing a slow worker's tail
 * (steal.ts). The split changes with timing, the report must not: every way a run is cut
 * gives the single run's bytes.
 *
 * The timing is forced with an executor that runs the "worker" on this thread too, in
 * small slices with a pause after each (a slow worker), and says when it is ready.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkResult, type TaskExecutor } from '../../src/parallel/executor.ts';
import { SimulationPool } from '../../src/parallel/pool.ts';
import { assembleWindows, type PlannedWindow, SLICE_UNTIL_DECIDED } from '../../src/parallel/dynamic-windows.ts';
import { endTaker, proposeEnd, stealCell } from '../../src/parallel/steal.ts';
import { DEFAULT_SLICE_EVENTS, executeTask } from '../../src/parallel/tasks.ts';
import { runTimeSplit } from '../../src/parallel/time-split.ts';
import { countWindow, planBoundaries, workCurve } from '../../src/parallel/windows.ts';
import { buildReport } from '../../src/report/build.ts';
import { parseScenario, type Scenario } from '../../src/scenario/load.ts';
import { TraceWriter } from '../../src/traffic/lbt/writer.ts';
import { RequestChunk } from '../../src/traffic/source.ts';
import { SyntheticTraffic } from '../../src/traffic/synthetic.ts';
import { expectSame, expectSplitExact, single } from '../helpers/time-split.ts';

const dir = mkdtempSync(join(tmpdir(), 'lbsim-dynamic-'));

/**
 * A Poisson trace at `rate`/s for `seconds`, with no arrivals in [gapFrom, gapTo) s and
 * a second stretch at `burst` times the rate from `burstFrom` s on (uneven work over time).
 */
function writeTrace(name: string, o: { rate: number; seconds: number; gap?: [number, number]; burstFrom?: number; burst?: number }): string {
  const file = join(dir, name);
  const w = new TraceWriter(file, { chunkCapacity: 2048 });
  const source = new SyntheticTraffic({
    rate: o.burstFrom === undefined ? o.rate : [{ at: 0, rate: o.rate }, { at: o.burstFrom * 1000, rate: o.rate }, { at: o.burstFrom * 1000, rate: o.rate * (o.burst ?? 1) }],
    service: { distribution: 'exponential', mean: 2 },
    clients: { count: 1000, skew: 1 },
    durationMs: o.seconds * 1000,
    seed: 3,
  });
  const chunk = new RequestChunk(4096);
  for (;;) {
    source.fill(chunk);
    if (chunk.count === 0) break;
    for (let i = 0; i < chunk.count; i++) {
      const t = chunk.arrival[i]!;
      if (o.gap !== undefined && t >= o.gap[0] * 1000 && t < o.gap[1] * 1000) continue;
      w.push(t, chunk.work[i]!, chunk.client[i]!, chunk.route[i]!, 0);
    }
  }
  w.finish();
  return file;
}

const traceScenario = (file: string, algorithm: string, backends: string) =>
  parseScenario(`name: dyn\nseed: 5\ntimeout: 3s\ntraffic: { trace: ${file} }\nbalancer: { algorithm: ${algorithm} }\nbackends: ${backends}\n`, { baseDir: dir });

/** 40 s at 3000/s with an idle gap, 4 backends at ρ ≈ 0.75. */
const moderate = traceScenario(writeTrace('moderate.lbt', { rate: 3000, seconds: 40, gap: [12, 15] }), 'round-robin', '[{ name: a, count: 4, concurrency: 2, queue: 100 }]');
/** The same arrivals at ρ ≈ 1.5 on smooth WRR: queues that never drain, so fix-ups never meet their first run. */
const overload = traceScenario(join(dir, 'moderate.lbt'), 'nginx/round_robin', '[{ name: a, weight: 3, concurrency: 1, queue: 100000 }, { name: b, concurrency: 1, queue: 100000 }]');

interface SlowWorkerOptions {
  /** The main thread's looks at workersReady() before the worker is up. */
  readyAfter: number;
  /** Pause after each of the worker's slices, ms. @default 8 */
  pauseMs?: number;
  /** Pause after each of the main thread's slices, ms (a slow main thread). @default 0 (it only yields) */
  mainPauseMs?: number;
  /** Whether the worker sees proposed ends (false: as if it had always passed them). @default true */
  takesSteals?: boolean;
}

/**
 * An executor whose "worker" runs on this thread in slices of 1000 events with a pause
 * after each, much slower than the main thread's slices (which only yield).
 */
class SlowWorker implements TaskExecutor {
  readonly threads = 2;
  private looks = 0;
  constructor(private readonly o: SlowWorkerOptions) {}
  async run<T extends Parameters<TaskExecutor['run']>[0]>(task: T, label: string, onProgress?: (p: { now: number; events: number }) => void) {
    const pauseMs = this.o.pauseMs ?? 8;
    const pause = () => new Promise<void>((wake) => setTimeout(wake, pauseMs));
    const given = task.kind === 'window' && this.o.takesSteals === false ? { ...task, steal: undefined } : task;
    return checkResult(task, label, await executeTask(given, { pause, sliceEvents: 1000, progressEveryMs: 0, ...(onProgress ? { progress: onProgress } : {}) }));
  }
  async runHere<T extends Parameters<TaskExecutor['run']>[0]>(task: T, label: string, driver: Parameters<NonNullable<TaskExecutor['runHere']>>[2]) {
    const ms = this.o.mainPauseMs ?? 0;
    const pause = () => new Promise<void>((wake) => (ms === 0 ? setImmediate(wake) : setTimeout(wake, ms)));
    return checkResult(task, label, await executeTask(task, { ...driver, pause, sliceEvents: 1000 }));
  }
  workersReady(): boolean {
    return ++this.looks > this.o.readyAfter;
  }
  async destroy(): Promise<void> {}
}

async function splitJson(pool: TaskExecutor, sc: Scenario, onProgress?: (p: { covered: number; end: number; events: number }) => void) {
  const r = await runTimeSplit(pool, sc, sc.seed, onProgress === undefined ? {} : { onProgress });
  const json = JSON.stringify(buildReport({ scenario: sc, seed: sc.seed, algorithm: r.algorithm, metrics: r.metrics }));
  r.metrics.totals.destroy();
  return { json, stats: r.stats };
}

describe('windows cut while the run goes', () => {
  const expected = { moderate: single(moderate), overload: single(overload) };

  it('a slow worker: the main thread steals its tail, and the report is the single run’s', async () => {
    const seen: number[] = [];
    const { json, stats } = await splitJson(new SlowWorker({ readyAfter: 5 }), moderate, (p) => seen.push(p.covered / p.end));
    expectSame(json, expected.moderate, 'stolen');
    // Progress of every window, stolen tails included, adds up; the last says done.
    expect(seen.length).toBeGreaterThan(10);
    expect(Math.max(...seen)).toBeLessThanOrEqual(1);
    expect(seen.at(-1)).toBe(1);
    // Window 0, the worker's, and a stolen tail (short, so its fix-up may redo all of it).
    expect(stats.windows).toBeGreaterThanOrEqual(3);
  });

  it('a slow main thread: the worker, done first, takes the tail of window 0', async () => {
    const { json, stats } = await splitJson(new SlowWorker({ readyAfter: 5, pauseMs: 0, mainPauseMs: 8 }), moderate);
    expectSame(json, expected.moderate, 'stolen from the main thread');
    expect(stats.windows).toBeGreaterThanOrEqual(3);
  });

  it('window 0 runs in short slices until the workers have their windows, so a worker that is up soon has work', async () => {
    // The slice size window 0 is given before each slice, seen from its endAt calls.
    const sizes: number[] = [];
    class Recording extends SlowWorker {
      override runHere<T extends Parameters<TaskExecutor['run']>[0]>(task: T, label: string, driver: Parameters<NonNullable<TaskExecutor['runHere']>>[2]) {
        // Window 0 is the first task run here; a stolen tail later keeps the default slices.
        const slice = driver.sliceEvents;
        const endAt = driver.endAt!;
        if (typeof slice !== 'function') return super.runHere(task, label, driver);
        return super.runHere(task, label, { ...driver, endAt: (now) => (sizes.push(slice()), endAt(now)) });
      }
    }
    const { json } = await splitJson(new Recording({ readyAfter: 5 }), moderate);
    expectSame(json, expected.moderate, 'short slices first');
    // workersReady() says yes on its 6th look: the 6th endAt decides the split.
    expect(sizes.slice(0, 6)).toEqual(Array(6).fill(SLICE_UNTIL_DECIDED));
    expect(sizes.slice(6)).not.toHaveLength(0);
    expect(new Set(sizes.slice(6))).toEqual(new Set([DEFAULT_SLICE_EVENTS]));
  });

  it('a worker that never takes a proposed end: the stolen tails are dropped', async () => {
    const { json, stats } = await splitJson(new SlowWorker({ readyAfter: 5, takesSteals: false }), moderate);
    expectSame(json, expected.moderate, 'refused');
    expect(stats.windows).toBe(2);
  });

  it('under overload, where fix-ups redo whole windows, stealing is still exact', async () => {
    const { json, stats } = await splitJson(new SlowWorker({ readyAfter: 5 }), overload);
    expectSame(json, expected.overload, 'stolen, overloaded');
    expect(stats.windows).toBeGreaterThanOrEqual(3);
    expect(stats.fullReplays).toBeGreaterThanOrEqual(1);
  });

  it('workers that are never up: the main thread runs the whole run as one window', async () => {
    const { json, stats } = await splitJson(new SlowWorker({ readyAfter: Number.POSITIVE_INFINITY }), moderate);
    expectSame(json, expected.moderate, 'never up');
    expect(stats.windows).toBe(1);
  });

  it('workers up late: the first boundary lies after where the main thread had got to', async () => {
    const { json, stats } = await splitJson(new SlowWorker({ readyAfter: 60, pauseMs: 0 }), moderate);
    expectSame(json, expected.moderate, 'up late');
    expect(stats.windows).toBeGreaterThanOrEqual(2);
  });

  describe('planned windows of a trace (`--windows K`): equal work from the index', () => {
    const pool = new SimulationPool({ threads: 2 });
    afterAll(() => pool.destroy());
    it('2, 3 and 7 windows, idle gap included, and under overload', async () => {
      await expectSplitExact(pool, moderate, expected.moderate);
      await expectSplitExact(pool, overload, expected.overload, [3]);
    });
  });

  describe('on the thread pool with the main thread in', () => {
    const pool = new SimulationPool({ threads: 2, mainThread: true });
    afterAll(() => pool.destroy());
    it('whatever the timing cuts, the report is the single run’s', async () => {
      for (const [sc, bytes] of [
        [moderate, expected.moderate],
        [overload, expected.overload],
      ] as const) {
        expectSame((await splitJson(pool, sc)).json, bytes, sc.balancer.algorithm);
      }
    });
  });
});

describe('windows cut while the run goes, on every kind of trace replay', () => {
  // The same arrivals as `moderate`, replayed in other ways; each is split by a slow worker
  // (steals forced) and by a slow main thread (the worker steals), and must be exact.
  const file = join(dir, 'moderate.lbt');
  const variants: [string, Scenario][] = [
    ['sped up ×2 (a replay source over the trace)', parseScenario(`name: fast\nseed: 2\ntraffic: { trace: ${file}, speed: 2 }\nbalancer: { algorithm: least-connections }\nbackends: [{ name: a, count: 8, concurrency: 2, queue: 100 }]\n`, { baseDir: dir })],
    // Sampled and scaled: the windows' requests are counted (the workers' draws) and the
    // copies of a request cross window edges; random draws per request number show any miscount.
    ['scaled ×1.7 (copies cross window edges), power-of-two', parseScenario(`name: scaled\nseed: 5\ntraffic: { trace: ${file}, scale: 1.7 }\nbalancer: { algorithm: power-of-two }\nbackends: [{ name: a, count: 8, concurrency: 2, queue: 100 }]\n`, { baseDir: dir })],
    ['sampled 40%, round-robin', parseScenario(`name: sampled\nseed: 6\ntraffic: { trace: ${file}, sample: 0.4 }\nbalancer: { algorithm: round-robin }\nbackends: [{ name: a, count: 3, concurrency: 2, queue: 100 }]\n`, { baseDir: dir })],
    ['scaled ×0.6 and sped up ×1.5, random', parseScenario(`name: thinned\nseed: 7\ntraffic: { trace: ${file}, scale: 0.6, speed: 1.5 }\nbalancer: { algorithm: random }\nbackends: [{ name: a, count: 4, concurrency: 2, queue: 100 }]\n`, { baseDir: dir })],
    ['a window of the trace, warm-up and a timeout', parseScenario(`name: window\nseed: 3\nwarmup: 2s\ntimeout: 1s\ntraffic: { trace: ${file}, window: { from: 5s, to: 33s } }\nbalancer: { algorithm: haproxy/roundrobin }\nbackends: [{ name: a, count: 4, concurrency: 2, queue: 100 }]\n`, { baseDir: dir })],
    [
      'the proxy layer: maxconn, a proxy queue with a timeout, retries',
      parseScenario(
        `name: proxy\nseed: 4\ntimeout: 2s\ntraffic: { trace: ${file} }\nbalancer: { algorithm: haproxy/leastconn, timeout_queue: 50ms, retries: 2 }\nbackends:\n  - { name: a, count: 3, concurrency: 2, maxconn: 2 }\n  - { name: b, concurrency: 2, maxconn: 2, outages: [{ from: 9s, to: 21s }] }\n`,
        { baseDir: dir },
      ),
    ],
  ];
  for (const [what, sc] of variants) {
    it(what, async () => {
      const bytes = single(sc);
      expectSame((await splitJson(new SlowWorker({ readyAfter: 5 }), sc)).json, bytes, `${what}, slow worker`);
      expectSame((await splitJson(new SlowWorker({ readyAfter: 5, pauseMs: 0, mainPauseMs: 8 }), sc)).json, bytes, `${what}, slow main thread`);
    });
  }
});

describe('windows cut while the run goes, on synthetic traffic', () => {
  // No index: the workers count the arrivals block by block first (requestNumbers: a Poisson draw per block), and
  // every boundary and stolen tail is numbered from those counts. A count one off would
  // shift the balancers' random draws (random, power-of-two) and show in the report.
  const synthetic = (name: string, algorithm: string, rate: string, backends: string) =>
    parseScenario(`name: ${name}\nseed: 6\nduration: 40s\ntraffic: { synthetic: { ${rate}, service: { distribution: exponential, mean: 2ms }, clients: { count: 500, skew: 1 } } }\nbalancer: { algorithm: ${algorithm} }\nbackends: ${backends}\n`, { file: `${name}.yaml` });
  const cases: [string, Scenario][] = [
    // An idle stretch (12–15 s: blocks with no arrivals) and a busier second half.
    ['a rate profile with an idle stretch, power-of-two', synthetic('profile', 'power-of-two', 'profile: [{ at: 0s, rate: 2500/s }, { at: 12s, rate: 2500/s }, { at: 12s, rate: 0/s }, { at: 15s, rate: 0/s }, { at: 15s, rate: 3500/s }]', '[{ name: a, count: 4, concurrency: 2, queue: 100 }]')],
    ['overload on smooth weighted round-robin', synthetic('over', 'nginx/round_robin', 'rate: 3000/s', '[{ name: a, weight: 3, concurrency: 1, queue: 100000 }, { name: b, concurrency: 1, queue: 100000 }]')],
  ];
  const pool = new SimulationPool({ threads: 2, mainThread: true });
  afterAll(() => pool.destroy());
  for (const [what, sc] of cases) {
    it(what, async () => {
      const bytes = single(sc);
      const slowWorker = await splitJson(new SlowWorker({ readyAfter: 5 }), sc);
      expectSame(slowWorker.json, bytes, `${what}, slow worker`);
      // The main thread took a tail of the worker's window, numbered from the counts.
      expect(slowWorker.stats.windows).toBeGreaterThanOrEqual(3);
      expectSame((await splitJson(new SlowWorker({ readyAfter: 5, pauseMs: 0, mainPauseMs: 8 }), sc)).json, bytes, `${what}, slow main thread`);
      expectSame((await splitJson(pool, sc)).json, bytes, `${what}, thread pool`);
    });
  }
});

describe('moving a window’s end (steal.ts)', () => {
  it('takes a proposed end only ahead of where it is and before the end it has', () => {
    const cell = stealCell();
    const endAt = endTaker(cell);
    expect(endAt(100)).toBeUndefined();
    proposeEnd(cell, 100);
    expect(endAt(100)).toBeUndefined(); // not ahead: the window cannot go back
    proposeEnd(cell, 5000);
    expect(endAt(120)).toBe(5000);
    proposeEnd(cell, 7000);
    expect(endAt(130)).toBe(5000); // later than the end it has
    proposeEnd(cell, 3000);
    expect(endAt(140)).toBe(3000);
    expect(endAt(150)).toBe(3000);
  });

  it('a window told its end before it starts stops there, with its state there', async () => {
    const sc = moderate;
    const cell = stealCell();
    proposeEnd(cell, 20_000);
    const window = { index: 1, startMs: 10_000, endMs: Number.POSITIVE_INFINITY, firstRequest: 0, checkpointsMs: [11_000, 12_000, 14_000, 18_000, 26_000] };
    const r = await executeTask({ kind: 'window', scenario: sc, seed: sc.seed, window, steal: cell });
    if (!r.ok || r.kind !== 'window') throw new Error('window failed');
    expect(r.endMs).toBe(20_000);
    expect(r.endState).not.toBeNull();
    // The checkpoints before the end were reached, the one after it was not.
    expect(r.checkpointStates).toHaveLength(4);
    const whole = await executeTask({ kind: 'window', scenario: sc, seed: sc.seed, window: { ...window, endMs: 20_000, checkpointsMs: window.checkpointsMs.slice(0, 4) } });
    if (!whole.ok || whole.kind !== 'window') throw new Error('window failed');
    expect(r.endState).toEqual(whole.endState);
    expect(r.metrics).toEqual(whole.metrics);
  });
});

describe('a fix-up past the first run’s last checkpoint state', () => {
  // `moderate`'s trace, whose arrivals stop from 12 s to 15 s, on half its slots (ρ ≈ 1.5):
  // a first run from 11.5 s, started from a guess (the backlog of one interval), drains it
  // and runs out of events in the gap; the fix-up, from the true start (11.5 s of backlog), does not.
  it('runs on to its end where the first run, out of events, has no state to compare with', async () => {
    const sc = traceScenario(join(dir, 'moderate.lbt'), 'round-robin', '[{ name: a, count: 4, concurrency: 1, queue: 100000 }]');
    const head = await executeTask({ kind: 'window', scenario: sc, seed: sc.seed, window: { index: 0, startMs: 0, endMs: 11_500, firstRequest: 0, checkpointsMs: [] } });
    if (!head.ok || head.kind !== 'window' || head.endState === null) throw new Error('head failed');
    const checkpointsMs = Array.from({ length: 24 }, (_, i) => 11_600 + i * 100);
    const window = { index: 1, startMs: 11_500, endMs: 14_000, firstRequest: countWindow(sc, sc.seed, 0, 11_500), checkpointsMs };
    const firstRun = await executeTask({ kind: 'window', scenario: sc, seed: sc.seed, window });
    if (!firstRun.ok || firstRun.kind !== 'window') throw new Error('first run failed');
    expect(firstRun.checkpointStates.length).toBeLessThan(checkpointsMs.length);
    const fix = await executeTask({ kind: 'window', scenario: sc, seed: sc.seed, window, startState: head.endState, compareWith: firstRun.checkpointStates });
    if (!fix.ok || fix.kind !== 'window') throw new Error(`fix-up failed: ${fix.ok ? fix.kind : fix.message}`);
    expect(fix.metAt).toBe(-1);
    expect(fix.checkpointStates).toHaveLength(0);
  });
});

describe('assembling the windows after steals', () => {
  const state = {} as PlannedWindow['result']['checkpointStates'][number];
  /** A window [start, specEnd) that ended at `ended`, with checkpoints every 1 s from start + 1 s, reached before its end. */
  const win = (start: number, specEnd: number, ended = specEnd): PlannedWindow => {
    const checkpointsMs = [1000, 2000, 4000].map((d) => start + d).filter((c) => c < specEnd);
    return { spec: { index: -1, startMs: start, endMs: specEnd, firstRequest: 0, checkpointsMs }, result: { endMs: ended, checkpointStates: checkpointsMs.filter((c) => c < ended).map(() => state) } };
  };
  const cuts = (r: ReturnType<typeof assembleWindows>) => r.specs.map((w) => [w.startMs, w.endMs, w.checkpointsMs.length]);
  const INF = Number.POSITIVE_INFINITY;

  it('two steals from one worker, both taken: its window ends at the second', () => {
    const r = assembleWindows(win(0, 10_000), [win(10_000, INF, 12_500)], [win(30_000, INF), win(12_500, 30_000)]);
    expect(cuts(r)).toEqual([
      [0, 10_000, 3],
      [10_000, 12_500, 2],
      [12_500, 30_000, 3],
      [30_000, INF, 3],
    ]);
    expect(r.specs.map((w) => w.index)).toEqual([0, 1, 2, 3]);
  });

  it('the second steal came too late: its tail is dropped, the first stands', () => {
    const r = assembleWindows(win(0, 10_000), [win(10_000, INF, 30_000)], [win(30_000, INF), win(12_500, 30_000)]);
    expect(cuts(r)).toEqual([
      [0, 10_000, 3],
      [10_000, 30_000, 3],
      [30_000, INF, 3],
    ]);
  });

  it('a steal from a middle window of three', () => {
    const r = assembleWindows(win(0, 10_000), [win(10_000, 20_000, 15_000), win(20_000, INF)], [win(15_000, 20_000)]);
    expect(cuts(r)).toEqual([
      [0, 10_000, 3],
      [10_000, 15_000, 3],
      [15_000, 20_000, 3],
      [20_000, INF, 3],
    ]);
  });

  it('a first run that ran out of events before a checkpoint (an idle stretch) has fewer states: kept; more states than checkpoints is a bug', () => {
    const dry = win(10_000, 14_000);
    dry.result = { ...dry.result, checkpointStates: [] };
    expect(cuts(assembleWindows(win(0, 10_000), [dry, win(14_000, INF)], []))).toEqual([
      [0, 10_000, 3],
      [10_000, 14_000, 2],
      [14_000, INF, 3],
    ]);
    const extra = win(10_000, INF);
    extra.result = { ...extra.result, checkpointStates: [state, state, state, state] };
    expect(() => assembleWindows(win(0, 10_000), [extra], [])).toThrow(/4 checkpoint states for 3 checkpoints/);
  });

  it('windows that do not meet are a bug, not a report', () => {
    expect(() => assembleWindows(win(0, 10_000), [win(12_000, INF)], [])).toThrow(/do not meet/);
  });
});

describe('windows of equal work', () => {
  it('a trace busier in its second half is cut where half its requests have arrived, not at half its time', () => {
    const sc = traceScenario(writeTrace('uneven.lbt', { rate: 1000, seconds: 40, burstFrom: 20, burst: 3 }), 'round-robin', '[{ name: a, count: 8 }]');
    const curve = workCurve(sc);
    const total = curve.at(sc.durationMs);
    expect(total).toBeGreaterThan(75_000);
    const [b] = planBoundaries(sc, 2);
    // 20 s at 1000/s then 20 s at 3000/s: half the requests (40 000) have arrived at 26.7 s.
    expect(b).toBeGreaterThan(26_000);
    expect(b).toBeLessThan(27_500);
    const cuts = planBoundaries(sc, 4, 10_000);
    expect(cuts).toHaveLength(3);
    expect(cuts[0]).toBeGreaterThan(10_000);
    // Equal shares of what is left after 10 s, within a trace chunk (2048 requests) and the 1 s step.
    const shares = [10_000, ...cuts, sc.durationMs].map((t) => curve.at(t)).map((w, i, a) => (i === 0 ? 0 : w - a[i - 1]!)).slice(1);
    for (const s of shares) expect(Math.abs(s - (total - curve.at(10_000)) / 4)).toBeLessThan(3500);
  });

  it('a first share gives the first window that part of the work and the rest equal parts (the main thread\'s head start)', () => {
    const sc = traceScenario(writeTrace('uneven-share.lbt', { rate: 1000, seconds: 40, burstFrom: 20, burst: 3 }), 'round-robin', '[{ name: a, count: 8 }]');
    const curve = workCurve(sc);
    const left = curve.at(sc.durationMs) - curve.at(5_000);
    const cuts = planBoundaries(sc, 3, 5_000, curve, 0.4);
    expect(cuts).toHaveLength(2);
    const shares = [5_000, ...cuts, sc.durationMs].map((t) => curve.at(t)).map((w, i, a) => (i === 0 ? 0 : w - a[i - 1]!)).slice(1);
    // 40% for the first, 30% each for the others, within a trace chunk and the 1 s step.
    for (const [s, want] of shares.map((s, i) => [s, i === 0 ? 0.4 * left : 0.3 * left] as const)) expect(Math.abs(s - want)).toBeLessThan(3500);
    // The default is equal parts.
    expect(planBoundaries(sc, 3, 5_000, curve)).toEqual(planBoundaries(sc, 3, 5_000, curve, 1 / 3));
  });
  it('progress says when the thread that ran the task measured it, so a worker\'s pace does not depend on when the main thread reads it', async () => {
    const seen: { now: number; at?: number }[] = [];
    const before = performance.timeOrigin + performance.now();
    const r = await executeTask({ kind: 'run', scenario: moderate, seed: 5 }, { sliceEvents: 5000, progressEveryMs: 0, progress: (p) => seen.push(p) });
    const after = performance.timeOrigin + performance.now();
    expect(r.ok).toBe(true);
    expect(seen.length).toBeGreaterThan(5);
    let last = before;
    for (const p of seen) {
      expect(p.at).toBeGreaterThanOrEqual(last);
      expect(p.at).toBeLessThanOrEqual(after);
      last = p.at!;
    }
  });
});
