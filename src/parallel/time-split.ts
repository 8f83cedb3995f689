/**
 * Exact time-parallel replay: one run cut into K windows of its timeline, simulated on a
 * thread pool, and stitched into a report byte-identical to the single-thread run.
 * (Time-parallel simulation with fix-up computations: Heidelberger & Stone 1990; Lin &
 * Lazowska 1991.)
 *
 * 1. Every window k runs at once from a *guessed* start state: the state the interval
 *    before it leaves, simulated from empty backends, outages as scheduled, and the
 *    balancer's own guess of its state after the requests before that interval
 *    (round-robin: their count mod N); see guessStart in tasks.ts. At interval
 *    boundaries c_0 < c_1 < ... (1, 2, 4, 8, ... intervals into the window) it records
 *    its state and its totals so far, so its work can later be split at any of them.
 *    The windows are of equal work, planned before the run, or on a pool whose main
 *    thread takes part, cut while it runs (dynamic-windows.ts).
 * 2. In time order, the true start of window k is the true end of window k-1. If it
 *    equals the guess, window k's first run is exact. Otherwise a fix-up re-simulates
 *    window k from the true start, comparing states at the same boundaries; where they
 *    are equal (the in-flight requests, queues, balancer state and, with the proxy layer,
 *    its queues, retries and timers all agree: src/engine/state.ts), the rest of
 *    the first run is exact: keep the fix-up's head and the first run's tail. Queueing
 *    systems forget their start quickly, so at moderate load the guess is the true start
 *    and fix-ups are rare and short; under overload that never drains they run the whole
 *    window, and the result is still exact, only not faster.
 * 3. Rows concatenate (each interval's row is written by its own events only) and totals
 *    add and subtract (integers, counts, histogram counts; maxima per piece), so the merge
 *    is exact.
 */
import { loadBalancerModule } from '../balancers/registry.ts';
import type { EngineState } from '../engine/state.ts';
import { sameState } from '../engine/state.ts';
import { concatWindows, decodeMetrics, type RunMetrics, sliceRows } from '../metrics/run-metrics.ts';
import { Totals } from '../metrics/totals.ts';
import type { Scenario } from '../scenario/load.ts';
import { probeBalancer } from '../simulation-setup.ts';
import type { TaskExecutor } from './executor.ts';
import { dynamicFirstRuns, type FirstRuns, label, type Progress } from './dynamic-windows.ts';
import type { TaskProgress, WindowResult, WindowSpec } from './tasks.ts';
import { changesCount, planBoundaries, traceFirstRequests, windowSpecs } from './windows.ts';

export interface TimeSplitOptions {
  /**
   * Windows to cut the run into. Given, they are planned before the run, of equal work.
   * @default the executor's thread count; on a pool whose main thread is one of its
   * threads, the windows are cut while the run goes (dynamic-windows.ts)
   */
  windows?: number;
  /** Progress: simulated ms covered by all windows, out of the duration. */
  onProgress?: (p: { covered: number; end: number; events: number }) => void;
  /** Told why the run will not be split (it then runs as one window), as soon as that is known: before it runs. */
  onNotSplit?: (reason: string) => void;
}

export interface TimeSplitStats {
  windows: number;
  /** Events of the first runs of every window. */
  events: number;
  /** Events simulated again by fix-ups. */
  resimulatedEvents: number;
  /** Windows whose guessed start was wrong. */
  fixups: number;
  /** Fix-ups that never met their first run (re-simulated the whole window). */
  fullReplays: number;
  /** Why the run was not split (one window), for people; absent when it was split or too short to cut. */
  notSplit?: string;
}

export interface TimeSplitResult {
  metrics: RunMetrics;
  algorithm: string;
  stats: TimeSplitStats;
}

export async function runTimeSplit(pool: TaskExecutor, scenario: Scenario, seed: number, options: TimeSplitOptions = {}): Promise<TimeSplitResult> {
  const notSplit = await whyNoComparableState(scenario, seed);
  if (notSplit !== undefined) options.onNotSplit?.(notSplit);
  const K = notSplit === undefined ? (options.windows ?? pool.threads) : 1;
  // Progress of every window's first run, summed (windows may be added while the run goes: dynamic-windows.ts).
  const seen = new Map<WindowSpec, TaskProgress>();
  const progress: Progress = (w) => (p) => {
    seen.set(w, { now: Math.max(0, Math.min(p.now, scenario.durationMs) - w.startMs), events: p.events });
    let covered = 0;
    let events = 0;
    for (const q of seen.values()) {
      covered += q.now;
      events += q.events;
    }
    // A stolen tail the worker had already passed is covered twice until it is dropped.
    options.onProgress?.({ covered: Math.min(covered, scenario.durationMs), end: scenario.durationMs, events });
  };
  const dynamic = K >= 2 && options.windows === undefined && pool.runHere !== undefined && pool.workersReady !== undefined;
  const runs = dynamic ? await dynamicFirstRuns(pool, scenario, seed, K, progress) : K >= 2 ? await plannedFirstRuns(pool, scenario, seed, K, progress) : null;
  if (runs === null) {
    // One window: the whole run as one task, its progress the run's.
    const end = scenario.durationMs;
    const r = await pool.run({ kind: 'run', scenario, seed }, `run of ${scenario.name}`, (p) => options.onProgress?.({ covered: Math.min(Math.max(p.now, 0), end), end, events: p.events }));
    const stats: TimeSplitStats = { windows: 1, events: r.events, resimulatedEvents: 0, fixups: 0, fullReplays: 0, ...(notSplit === undefined ? {} : { notSplit }) };
    return { metrics: decodeMetrics(r.metrics), algorithm: r.algorithm, stats };
  }
  if (!('specs' in runs)) {
    // The main thread reached the run's end before the workers were up: it ran the whole run.
    return { metrics: windowMetrics(runs), algorithm: runs.algorithm, stats: { windows: 1, events: runs.events, resimulatedEvents: 0, fixups: 0, fullReplays: 0 } };
  }
  const { specs, first } = runs;

  // 2. Fix-ups in time order. All of them before any totals are decoded: decoding turns
  // count fields of Totals from small integers to doubles, which throws away the engine's
  // code optimized for the former, and a fix-up on this thread would run deoptimized (with
  // the same causes fixed in state.ts and simulation.ts: 21–40 ms → 9–25 ms a fix-up here).
  const stats: TimeSplitStats = { windows: specs.length, events: first.reduce((n, r) => n + r.events, 0), resimulatedEvents: 0, fixups: 0, fullReplays: 0 };
  // Every first run is done (their last progress came up to 200 ms before their ends): the time is covered, the fix-ups may take a while yet.
  options.onProgress?.({ covered: scenario.durationMs, end: scenario.durationMs, events: stats.events });
  const fixes: (WindowResult | undefined)[] = [];
  let trueStart: EngineState | null = first[0]!.startState;
  for (let k = 0; k < specs.length; k++) {
    const run = first[k]!;
    if (trueStart === null) throw new Error(`${label(specs[k]!, specs.length)}: no true start state`);
    if (sameState(trueStart, run.startState)) {
      fixes.push(undefined);
      trueStart = run.endState;
      continue;
    }
    stats.fixups++;
    const fix: WindowResult = await pool.run(
      { kind: 'window', scenario, seed, window: specs[k]!, startState: trueStart, compareWith: run.checkpointStates },
      `${label(specs[k]!, specs.length)}: fix-up`,
    );
    fixes.push(fix);
    stats.resimulatedEvents += fix.events;
    if (fix.metAt < 0) stats.fullReplays++;
    trueStart = fix.metAt < 0 ? fix.endState : run.endState;
  }
  // 3. Splice: a window as first run, as its fix-up, or the fix-up's head (up to checkpoint metAt) and the first run's tail.
  const parts: RunMetrics[] = [];
  first.forEach((run, k) => {
    const fix = fixes[k];
    if (fix === undefined) return void parts.push(windowMetrics(run));
    if (fix.metAt < 0) return void parts.push(windowMetrics(fix));
    const splitRow = Math.round((specs[k]!.checkpointsMs[fix.metAt]! - specs[k]!.startMs) / scenario.intervalMs);
    parts.push(windowMetrics(fix), sliceRows({ ...rowsOf(run), totals: Totals.after(run.segments, fix.metAt) }, splitRow));
  });
  const metrics = concatWindows(parts);
  for (const p of parts) p.totals.destroy();
  // The windows' last progress messages came up to 200 ms before their ends: say the run is done.
  options.onProgress?.({ covered: scenario.durationMs, end: scenario.durationMs, events: stats.events + stats.resimulatedEvents });
  return { metrics, algorithm: first[0]!.algorithm, stats };
}

/**
 * 1. Every window from its guess (window 0's guess is the true start: empty), all at
 * once, the windows planned before the run. Null when the run is too short to cut.
 */
async function plannedFirstRuns(pool: TaskExecutor, scenario: Scenario, seed: number, K: number, progress: Progress): Promise<FirstRuns | null> {
  const boundaries = planBoundaries(scenario, K);
  if (boundaries.length === 0) return null;
  const starts = [0, ...boundaries];
  const ends = [...boundaries, Number.POSITIVE_INFINITY];
  // Requests before each window: read off the index for traces, counted in parallel for synthetic traffic and sampled or scaled replays.
  let firstRequests: number[];
  if (scenario.traffic.kind === 'trace' && !changesCount(scenario)) firstRequests = traceFirstRequests(scenario, starts);
  else {
    const counts = await Promise.all(
      starts.slice(0, -1).map((s, k) =>
        pool
          .run({ kind: 'count', scenario, seed, startMs: s, endMs: ends[k]! }, `${label({ index: k, startMs: s, endMs: ends[k]!, firstRequest: 0, checkpointsMs: [] }, starts.length)}: counting`)
          .then((r) => r.count),
      ),
    );
    firstRequests = [0];
    for (const n of counts) firstRequests.push(firstRequests[firstRequests.length - 1]! + n);
  }
  const specs = windowSpecs(scenario, starts, firstRequests, 0);
  const first = await Promise.all(specs.map((w) => pool.run({ kind: 'window', scenario, seed, window: w }, label(w, specs.length), progress(w))));
  return { specs, first };
}

/**
 * Why two runs of this scenario cannot be compared (so it is not split), or undefined when
 * they can. The balancer must save and load its state; checked on a throw-away instance.
 * (The proxy layer's queues, retries and timers are in the engine state: proxy-state.ts.)
 */
async function whyNoComparableState(scenario: Scenario, seed: number): Promise<string | undefined> {
  const module = await loadBalancerModule(scenario.balancer.algorithm, scenario.baseDir);
  const b = probeBalancer(scenario, module, seed);
  if (typeof b.saveState !== 'function' || typeof b.loadState !== 'function') return `balancer ${module.name} has no saveState/loadState, so two runs of it cannot be compared; it is simulated whole, on one thread`;
  return undefined;
}

/** A window run's rows with all its totals. */
function windowMetrics(r: WindowResult): RunMetrics {
  return { ...rowsOf(r), totals: Totals.after(r.segments, -1) };
}

/** A window run's rows (its totals travel separately, in segments). */
function rowsOf(r: WindowResult): Omit<RunMetrics, 'totals'> {
  const { totals: _encoded, ...rows } = r.metrics;
  return rows;
}
