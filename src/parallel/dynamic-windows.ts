/**
 * The first runs of a time-split trace replay with windows cut while the run goes, not
 * before it: on a pool whose main thread is one of its threads (SimulationPool with
 * `mainThread`), the only executor that can run a task here and steer it (runHere).
 *
 * Windows of equal work planned before the run do not finish together on 2 cores
 * (measured, a 20 M-request replay): a worker starts 150–200 ms after the main thread (a
 * thread, the engine's modules, its first task), and two simulations at once each run
 * 5–20% slower than one alone, not evenly. One thread waited 270–440 ms for the other
 * at the end of a 2.9–3.1 s run. So:
 *
 * 1. The main thread starts window 0 at once with its end open. Once every worker is up,
 *    the rest of the run, from where the main thread is, is cut into windows of equal
 *    work (requests, from the trace's index), the first of them still the main thread's.
 * 2. Stealing: when the main thread has finished, and a worker's window has more left
 *    than a stolen window costs, the main thread moves that window's end earlier
 *    (steal.ts) to where both would finish together, at the rates measured so far, and
 *    runs the tail itself as one more window: from a guess, fixed up like any other.
 *
 * Which windows a run is cut into changes with timing; the report does not (every window
 * is exact after its fix-up), only the statistics of the split do.
 */
import type { Scenario } from '../scenario/load.ts';
import { formatDuration } from '../scenario/units.ts';
import type { TaskExecutor } from './executor.ts';
import { endTaker, proposeEnd, stealCell } from './steal.ts';
import type { TaskProgress, WindowResult, WindowSpec } from './tasks.ts';
import { boundaryStepUs, checkpoints, countWindow, planBoundaries, windowSpecs, workCurve } from './windows.ts';

/** The windows of a split and their first runs, in time order. */
export interface FirstRuns {
  specs: WindowSpec[];
  first: WindowResult[];
}

/** Progress of one window's first run. */
export type Progress = (w: WindowSpec) => (p: TaskProgress) => void;

/**
 * A steal pays only when the victim has more than this left (ms of its wall time): a
 * stolen window costs the main thread ~40 ms (its start, and its fix-up after the rest).
 */
const MIN_STEAL_MS = 200;
const STEAL_COST_MS = 40;
/** A proposed end lies at least this far (ms of the victim's wall time) ahead of where the victim is estimated to be. */
const SAFETY_MS = 60;

/** Its speed is measured over about this much of a window's recent progress (wall ms): speeds change as threads come and go. */
const RATE_OVER_MS = 500;

/** A worker's window: its spec, its end as stolen so far, its recent progress (wall ms, simulated ms), its result. */
interface Running {
  spec: WindowSpec;
  cell: SharedArrayBuffer;
  end: number;
  seen: { t: number; now: number }[];
  result?: WindowResult;
}

export async function dynamicFirstRuns(pool: TaskExecutor, scenario: Scenario, seed: number, K: number, progress: Progress): Promise<FirstRuns | WindowResult> {
  if (pool.runHere === undefined || pool.workersReady === undefined) throw new Error('dynamicFirstRuns needs an executor that runs tasks on this thread');
  const runHere = pool.runHere.bind(pool);
  const workersReady = pool.workersReady.bind(pool);
  const head: WindowSpec = { index: 0, startMs: 0, endMs: Number.POSITIVE_INFINITY, firstRequest: 0, checkpointsMs: [] };
  const running: Running[] = [];
  let dispatch!: (runs: Promise<unknown>) => void;
  const workers = new Promise<unknown>((resolve) => (dispatch = resolve));
  // Rejects as soon as a worker's window fails (so the run ends then, not when this thread is done); never settles otherwise.
  const workerFailed = workers.then(() => new Promise<never>(() => undefined));
  let decided = false;
  let end: number | undefined;

  const decide = (boundaries: number[]) => {
    decided = true;
    if (boundaries.length === 0) return dispatch(Promise.resolve());
    end = boundaries[0]!;
    const starts = [0, ...boundaries];
    const counts = starts.slice(0, -1).map((s, k) => countWindow(scenario, seed, s, starts[k + 1]!));
    for (const spec of windowSpecs(scenario, starts, counts, 1)) running.push({ spec, cell: stealCell(), end: spec.endMs, seen: [] });
    dispatch(
      Promise.all(
        running.map(async (r) => {
          const report = progress(r.spec);
          const onProgress = (p: TaskProgress) => {
            const t = performance.now();
            r.seen.push({ t, now: p.now });
            while (r.seen.length > 2 && t - r.seen[1]!.t >= RATE_OVER_MS) r.seen.shift();
            report(p);
          };
          r.result = await pool.run({ kind: 'window', scenario, seed, window: r.spec, steal: r.cell }, label(r.spec, K), onProgress);
        }),
      ),
    );
  };
  // Called by window 0 between its slices: the boundary lies after `now`, so the window can still stop there.
  const endAt = (now: number) => {
    if (!decided && workersReady()) decide(planBoundaries(scenario, K, now));
    return end;
  };

  const started = performance.now();
  const here = runHere({ kind: 'window', scenario, seed, window: { ...head } }, label(head, K), { endAt, progress: progress(head) }).finally(() => {
    if (!decided) decide([]);
  });
  const head0 = await Promise.race([here, workerFailed]);
  // Ended before a boundary: the run ended (traffic and all), so window 0 was the whole run.
  if (head0.endState === null) {
    await workers;
    return head0;
  }
  head.endMs = head0.endMs;

  // 2. Steal while a worker has much left.
  const curve = workCurve(scenario);
  const mainRate = curve.at(head.endMs) / (performance.now() - started);
  const stepUs = boundaryStepUs(scenario);
  const stolen: { spec: WindowSpec; result: WindowResult }[] = [];
  for (;;) {
    const steal = planSteal(running, curve, mainRate, scenario.durationMs, stepUs);
    if (steal === undefined) break;
    const { victim, endMs } = steal;
    proposeEnd(victim.cell, endMs);
    const spec: WindowSpec = {
      index: -1,
      startMs: endMs,
      endMs: victim.end,
      firstRequest: victim.spec.firstRequest + countWindow(scenario, seed, victim.spec.startMs, endMs),
      checkpointsMs: checkpoints(endMs, Math.min(victim.end, scenario.durationMs), scenario.intervalMs),
    };
    victim.end = endMs;
    const name = `${label({ ...spec, index: victim.spec.index }, K)}, taken over by the main thread`;
    const result = await Promise.race([runHere({ kind: 'window', scenario, seed, window: spec }, name, { progress: progress(spec) }), workerFailed]);
    stolen.push({ spec, result });
  }
  await workers;

  return assembleWindows({ spec: head, result: head0 }, running.map((r) => ({ spec: r.spec, result: r.result! })), stolen);
}

/** A window's spec as planned and its first run's result. */
export interface PlannedWindow {
  spec: WindowSpec;
  result: Pick<WindowResult, 'endMs' | 'checkpointStates'>;
}

/**
 * The windows of the split in time order, each with the end it really had, from window 0,
 * the workers' windows and the stolen tails (in the order stolen). A stolen tail counts
 * only if its victim stopped at or before its start; else the victim ran on through it,
 * and the tail is dropped. Throws if the windows do not meet end to start (a bug).
 */
export function assembleWindows<W extends PlannedWindow>(head: W, workers: W[], stolen: W[]): { specs: WindowSpec[]; first: W['result'][] } {
  const windows = [head, ...workers];
  for (const s of stolen) {
    const start = s.spec.startMs;
    if (windows.some((w) => w.spec.startMs < start && w.spec.endMs > start && w.result.endMs <= start)) windows.push(s);
  }
  windows.sort((a, b) => a.spec.startMs - b.spec.startMs);
  const specs = windows.map(({ spec, result }, index) => {
    const checkpointsMs = spec.checkpointsMs.filter((c) => c < result.endMs);
    if (checkpointsMs.length !== result.checkpointStates.length) throw new Error(`${label(spec, windows.length)}: ${result.checkpointStates.length} checkpoint states for ${checkpointsMs.length} checkpoints`);
    return { ...spec, index, endMs: result.endMs, checkpointsMs };
  });
  for (let k = 1; k < specs.length; k++) {
    if (specs[k]!.startMs !== specs[k - 1]!.endMs) throw new Error(`windows do not meet: ${label(specs[k - 1]!, specs.length)}, then ${label(specs[k]!, specs.length)}`);
  }
  return { specs, first: windows.map((w) => w.result) };
}

/**
 * The window to steal from and the end to give it, or undefined when no steal pays: the
 * one with the most wall time left (from its progress: where it was, how fast it went lately),
 * cut so that it and this thread, taking the tail, finish together.
 */
function planSteal(running: Running[], curve: ReturnType<typeof workCurve>, mainRate: number, durationMs: number, stepUs: number): { victim: Running; endMs: number } | undefined {
  const t = performance.now();
  let best: { victim: Running; at: number; end: number; rate: number; simRate: number; left: number } | undefined;
  for (const victim of running) {
    const first = victim.seen[0];
    const last = victim.seen[victim.seen.length - 1];
    if (victim.result !== undefined || first === undefined || last === undefined || last.t <= first.t) continue;
    const simRate = (last.now - first.now) / (last.t - first.t);
    const rate = (curve.at(last.now) - curve.at(first.now)) / (last.t - first.t);
    const at = last.now + simRate * (t - last.t);
    const end = Math.min(victim.end, durationMs);
    const left = (curve.at(end) - curve.at(at)) / rate;
    if (rate > 0 && left > (best?.left ?? MIN_STEAL_MS)) best = { victim, at, end, rate, simRate, left };
  }
  if (best === undefined) return undefined;
  // The victim runs [at, E) at its rate, this thread [E, end) at its own plus a stolen window's cost: equal times.
  const { at, end, rate } = best;
  const w = (curve.at(end) / mainRate + curve.at(at) / rate + STEAL_COST_MS) / (1 / rate + 1 / mainRate);
  const endMs = (Math.ceil((curve.timeOf(w) * 1000) / stepUs) * stepUs) / 1000;
  if (endMs <= at + best.simRate * SAFETY_MS || endMs >= end) return undefined;
  return { victim: best.victim, endMs };
}

/** "window 2 of 3 (10m–20m)": how errors name a window. */
export function label(w: WindowSpec, K: number): string {
  return `window ${w.index + 1} of ${K} (${formatDuration(w.startMs)}–${w.endMs === Number.POSITIVE_INFINITY ? 'end' : formatDuration(w.endMs)})`;
}

