/**
 * Exact time-parallel replay: one run cut into K windows of its timeline, simulated on a
 * thread pool, and stitched into a report byte-identical to the single-thread run.
 * (Time-parallel simulation with fix-up computations: Heidelberger & Stone 1990; Lin &
 * Lazowska 1991.)
 *
 * 1. Every window k runs at once from a *guessed* start state: empty backends, outages
 *    as scheduled, and the balancer's own guess of its state after the requests before
 *    the window (round-robin: their count mod N). At interval boundaries c_0 < c_1 < ...
 *    (1, 2, 4, 8, ... intervals into the window) it records its state and cuts its
 *    totals, so its work can later be split at any of them.
 * 2. In time order, the true start of window k is the true end of window k-1. If it
 *    equals the guess, window k's first run is exact. Otherwise a fix-up re-simulates
 *    window k from the true start, comparing states at the same boundaries; where they
 *    are equal (the in-flight requests, queues, balancer state and, with the proxy layer,
 *    its queues, retries and timers all agree: src/engine/state.ts), the rest of
 *    the first run is exact: keep the fix-up's head and the first run's tail. Queueing
 *    systems forget their start quickly, so fix-ups are short; under overload that never
 *    drains they run the whole window, and the result is still exact, only not faster.
 * 3. Rows concatenate (each interval's row is written by its own events only) and totals
 *    add (integers, counts, maxima, histogram counts), so the merge is exact.
 */
import { loadBalancerModule } from '../balancers/registry.ts';
import type { EngineState } from '../engine/state.ts';
import { sameState } from '../engine/state.ts';
import { concatWindows, decodeMetrics, type RunMetrics, sliceRows } from '../metrics/run-metrics.ts';
import { Totals } from '../metrics/totals.ts';
import type { Scenario } from '../scenario/load.ts';
import { formatDuration } from '../scenario/units.ts';
import { createSimulation } from '../simulation-setup.ts';
import type { TrafficSource } from '../traffic/source.ts';
import type { TaskExecutor } from './executor.ts';
import type { TaskResult, WindowSpec } from './tasks.ts';
import { countWindow, planBoundaries } from './windows.ts';

export interface TimeSplitOptions {
  /** Windows to cut the run into. @default the executor's thread count */
  windows?: number;
  /** Progress: simulated ms covered by all windows, out of the duration. */
  onProgress?: (p: { covered: number; end: number; events: number }) => void;
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

/** Most checkpoints per window: boundaries at 1, 2, 4, ... 2^(n-1) intervals in. */
const MAX_CHECKPOINTS = 24;

type WindowResult = Extract<TaskResult, { ok: true; kind: 'window' }>;

export async function runTimeSplit(pool: TaskExecutor, scenario: Scenario, seed: number, options: TimeSplitOptions = {}): Promise<TimeSplitResult> {
  const notSplit = await whyNoComparableState(scenario, seed);
  const boundaries = notSplit === undefined ? planBoundaries(scenario, options.windows ?? pool.threads) : [];
  if (boundaries.length === 0) {
    // One window: the whole run as one task.
    const r = await pool.run({ kind: 'run', scenario, seed }, `run of ${scenario.name}`);
    const stats: TimeSplitStats = { windows: 1, events: r.events, resimulatedEvents: 0, fixups: 0, fullReplays: 0, ...(notSplit === undefined ? {} : { notSplit }) };
    return { metrics: decodeMetrics(r.metrics), algorithm: r.algorithm, stats };
  }
  const starts = [0, ...boundaries];
  const ends = [...boundaries, Number.POSITIVE_INFINITY];
  const K = starts.length;
  const label = (k: number) => `window ${k + 1} of ${K} (${formatDuration(starts[k]!)}–${ends[k] === Number.POSITIVE_INFINITY ? 'end' : formatDuration(ends[k]!)})`;

  // Requests before each window: counted in parallel for synthetic traffic, read off the index for traces.
  const counts = await Promise.all(
    starts.slice(0, -1).map((s, k) =>
      scenario.traffic.kind === 'synthetic'
        ? pool.run({ kind: 'count', scenario, seed, startMs: s, endMs: ends[k]! }, `${label(k)}: counting`).then((r) => r.count)
        : countWindow(scenario, seed, s, ends[k]!),
    ),
  );
  const firstRequest = [0];
  for (const c of counts) firstRequest.push(firstRequest[firstRequest.length - 1]! + c);

  const specs: WindowSpec[] = starts.map((startMs, k) => ({
    index: k,
    startMs,
    endMs: ends[k]!,
    firstRequest: firstRequest[k]!,
    // The last window's checkpoints stop at the traffic's end: its tail only drains.
    checkpointsMs: k === 0 ? [] : checkpoints(startMs, Math.min(ends[k]!, scenario.durationMs), scenario.intervalMs),
  }));

  const covered = new Float64Array(K);
  const events = new Float64Array(K);
  const progress = (k: number) => (p: { now: number; events: number }) => {
    covered[k] = Math.max(0, Math.min(p.now, scenario.durationMs) - starts[k]!);
    events[k] = p.events;
    options.onProgress?.({ covered: covered.reduce((a, b) => a + b, 0), end: scenario.durationMs, events: events.reduce((a, b) => a + b, 0) });
  };

  // 1. Every window from its guess (window 0's guess is the true start: empty).
  const first = await Promise.all(specs.map((w, k) => pool.run({ kind: 'window', scenario, seed, window: w }, label(k), progress(k))));

  // 2. Fix-ups in time order, then 3. splice.
  const parts: RunMetrics[] = [];
  const stats: TimeSplitStats = { windows: K, events: first.reduce((n, r) => n + r.events, 0), resimulatedEvents: 0, fixups: 0, fullReplays: 0 };
  let trueStart: EngineState | null = first[0]!.startState;
  for (let k = 0; k < K; k++) {
    const run = first[k]!;
    if (trueStart === null) throw new Error(`${label(k)}: no true start state`);
    if (sameState(trueStart, run.startState)) {
      parts.push(windowMetrics(run));
      trueStart = run.endState;
      continue;
    }
    stats.fixups++;
    const fix: WindowResult = await pool.run({ kind: 'window', scenario, seed, window: specs[k]!, startState: trueStart, compareWith: run.checkpointStates }, `${label(k)}: fix-up`);
    stats.resimulatedEvents += fix.events;
    if (fix.metAt < 0) {
      stats.fullReplays++;
      parts.push(windowMetrics(fix));
      trueStart = fix.endState;
      continue;
    }
    // Head from the fix-up (up to checkpoint metAt), tail from the first run (segments after it).
    const head = windowMetrics(fix);
    const splitRow = Math.round((specs[k]!.checkpointsMs[fix.metAt]! - specs[k]!.startMs) / scenario.intervalMs);
    const tailTotals = sumSegments(run.segments.slice(fix.metAt + 1));
    parts.push(head, sliceRows({ ...rowsOf(run), totals: tailTotals }, splitRow));
    trueStart = run.endState;
  }
  const metrics = concatWindows(parts);
  for (const p of parts) p.totals.destroy();
  return { metrics, algorithm: first[0]!.algorithm, stats };
}

/**
 * Why two runs of this scenario cannot be compared (so it is not split), or undefined when
 * they can. The balancer must save and load its state; checked on a throw-away instance.
 * (The proxy layer's queues, retries and timers are in the engine state: proxy-state.ts.)
 */
async function whyNoComparableState(scenario: Scenario, seed: number): Promise<string | undefined> {
  const module = await loadBalancerModule(scenario.balancer.algorithm, scenario.baseDir);
  const nothing: TrafficSource = { endTime: 0, fill: (c) => void (c.count = 0) };
  const probe = createSimulation(scenario, module, seed, { startMs: 0, endMs: 0, firstRequest: 0, traffic: nothing, trafficEndMs: 0 });
  const b = probe.balancer;
  probe.recorder.totals.destroy();
  if (typeof b.saveState !== 'function' || typeof b.loadState !== 'function') return `balancer ${module.name} has no saveState/loadState, so two runs of it cannot be compared; it is simulated whole, on one thread`;
  return undefined;
}

/** Boundaries 1, 2, 4, ... intervals after the window's start, before its end. */
export function checkpoints(startMs: number, endMs: number, intervalMs: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < MAX_CHECKPOINTS; j++) {
    const t = startMs + intervalMs * 2 ** j;
    if (t >= endMs) break;
    out.push(t);
  }
  return out;
}

function sumSegments(segments: WindowResult['segments']): Totals {
  const total = Totals.decode(segments[0]!);
  for (const s of segments.slice(1)) {
    const t = Totals.decode(s);
    total.add(t);
    t.destroy();
  }
  return total;
}

/** A window run's rows with all its totals. */
function windowMetrics(r: WindowResult): RunMetrics {
  return { ...rowsOf(r), totals: sumSegments(r.segments) };
}

/** A window run's rows (its totals travel separately, in segments). */
function rowsOf(r: WindowResult): Omit<RunMetrics, 'totals'> {
  const { totals: _encoded, ...rows } = r.metrics;
  return rows;
}
