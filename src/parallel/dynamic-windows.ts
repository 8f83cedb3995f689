/**
 * The first runs of a time-split run with windows cut while the run goes, not before it:
 * on a pool whose main thread is one of its threads (SimulationPool with `mainThread`),
 * the only executor that can run a task here and steer it (runHere).
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
 *    A window's first request number comes from the trace's index too; synthetic
 *    traffic has none, so the workers first count its arrivals block by block (one
 *    Poisson draw a block), in parallel, while this thread starts, and they count a
 *    sampled or scaled replay's requests from its draws (request-numbers.ts).
 * 2. Stealing: when a thread is done — the main thread or a worker — and a window has
 *    more left than a stolen window costs, the thread moves that window's end earlier
 *    (a worker's through steal.ts, this thread's through a variable its endAt reads) to
 *    where both would finish together, at the rates measured lately, and runs the tail
 *    as one more window: from a guess, fixed up like any other.
 *
 * Which windows a run is cut into changes with timing; the report does not (every window
 * is exact after its fix-up), only the statistics of the split do.
 */
import type { Scenario } from '../scenario/load.ts';
import { formatDuration } from '../scenario/units.ts';
import type { TaskExecutor } from './executor.ts';
import { proposeEnd, stealCell } from './steal.ts';
import { DEFAULT_SLICE_EVENTS, type TaskProgress, type WindowResult, type WindowSpec } from './tasks.ts';
import { type RequestNumbers, requestNumbers } from './request-numbers.ts';
import { boundaryStepUs, checkpoints, planBoundaries, type WorkCurve, windowSpecs, workCurve } from './windows.ts';

/** The windows of a split and their first runs, in time order. */
export interface FirstRuns {
  specs: WindowSpec[];
  first: WindowResult[];
}

/** Progress of one window's first run. */
export type Progress = (w: WindowSpec) => (p: TaskProgress) => void;

/**
 * A steal pays only when the victim has more than this left (ms of its wall time): a
 * stolen window costs its thief ~25 ms (a simulation, its guessed start, the seeks; at
 * moderate load no fix-up after the rest, as the guess is right), and the estimate of
 * what is left is off by a few tens of ms. Measured on 2 cores (2026-11-26, 20 alternating
 * pairs of a 20 M-request replay): 100 and 40 ms before the guess → 60 and 25 ms,
 * 2-thread medians 2.60 → 2.56 s.
 */
const MIN_STEAL_MS = 60;
const STEAL_COST_MS = 25;
/** A proposed end lies at least this far (ms of the victim's wall time) ahead of where the victim is estimated to be. */
const SAFETY_MS = 60;

/**
 * This thread's window gets this much more than an equal share of the work left when the
 * workers are up: its JIT is warm and it keeps no checkpoints, while a worker starts cold
 * and pauses at each checkpoint. Measured on 2 cores (2026-11-26): with equal shares this
 * thread ended first and took 2.6–4.5% of the worker's window as a stolen tail (a new
 * simulation, a seek and a fix-up: ~55 ms of CPU); a steal still evens out what is left.
 */
const HEAD_EXTRA = 0.03;

/**
 * Events per slice of window 0 until the split is decided. The workers' windows are given
 * between two slices, once the workers have answered their ping, and a worker that is up
 * idles until then. Window 0's first slices run cold: 200 k events took 60–70 ms, and a
 * worker waited that long for its window (2 cores, 2026-11-26); with 20 k-event slices it
 * waits 10–20 ms, at the price of a turn of the event loop (tens of µs) a slice until then.
 */
export const SLICE_UNTIL_DECIDED = 20_000;

/** Its speed is measured over about this much of a window's recent progress (wall ms): speeds change as threads come and go. */
const RATE_OVER_MS = 500;

/** A window being run: its spec as planned, its end as stolen so far, its recent progress (wall ms, simulated ms), its result. */
interface Running {
  spec: WindowSpec;
  end: number;
  seen: { t: number; now: number }[];
  /** Moves its end earlier: through its steal cell on a worker, directly on this thread. */
  propose: (endMs: number) => void;
  result?: WindowResult;
}

/** The end of a window run on this thread: unset until decided, and a proposal only ever moves it earlier. */
function heldEnd(): { propose: (endMs: number) => void; get: () => number | undefined } {
  let end: number | undefined;
  return {
    propose: (e) => {
      if (end === undefined || e < end) end = e;
    },
    get: () => end,
  };
}

/** Records a window's progress sample (`at`: when its thread measured it, TaskProgress.at), keeping about RATE_OVER_MS of them. */
function sample(r: Running, now: number, at?: number): void {
  const t = at === undefined ? performance.now() : at - performance.timeOrigin;
  r.seen.push({ t, now });
  while (r.seen.length > 2 && t - r.seen[1]!.t >= RATE_OVER_MS) r.seen.shift();
}

/**
 * How fast a window went lately: requests and simulated ms per wall ms, and its last
 * sample; undefined before two samples.
 */
function paceOf(r: Running, curve: WorkCurve): { rate: number; simRate: number; last: { t: number; now: number } } | undefined {
  const first = r.seen[0];
  const last = r.seen[r.seen.length - 1];
  if (first === undefined || last === undefined || last.t <= first.t) return undefined;
  const dt = last.t - first.t;
  return { rate: (curve.at(last.now) - curve.at(first.now)) / dt, simRate: (last.now - first.now) / dt, last };
}

export async function dynamicFirstRuns(pool: TaskExecutor, scenario: Scenario, seed: number, K: number, progress: Progress): Promise<FirstRuns | WindowResult> {
  if (pool.runHere === undefined || pool.workersReady === undefined) throw new Error('dynamicFirstRuns needs an executor that runs tasks on this thread');
  const runHere = pool.runHere.bind(pool);
  const workersReady = pool.workersReady.bind(pool);
  const curve = workCurve(scenario);
  const stepUs = boundaryStepUs(scenario);
  // Set once window 0 has started: the count of a synthetic run's requests must go to the workers.
  let numbers: RequestNumbers | undefined;
  const requestsBefore = (ms: number) => numbers!.before(ms);
  const windowTask = (window: WindowSpec, steal?: SharedArrayBuffer) => ({ kind: 'window' as const, scenario, seed, window, ...(steal ? { steal } : {}) });

  // Window 0, on this thread: its end is open until the workers are up, and a worker may move it earlier.
  const headEnd = heldEnd();
  const head: Running = {
    spec: { index: 0, startMs: 0, endMs: Number.POSITIVE_INFINITY, firstRequest: 0, checkpointsMs: [] },
    end: Number.POSITIVE_INFINITY,
    seen: [],
    propose: headEnd.propose,
  };
  const running: Running[] = [head];
  const stolen: Running[] = [];
  // Every worker task settles this; it resolves when the last one is done and none was started after it.
  let outstanding = 0;
  let allDone!: () => void;
  let failed!: (e: unknown) => void;
  const workersDone = new Promise<void>((resolve, reject) => {
    allDone = resolve;
    failed = reject;
  });
  // Rejects as soon as a worker's window fails (so the run ends then, not when this thread is done); never settles otherwise.
  const workerFailed = workersDone.then(() => new Promise<never>(() => undefined));

  /** Runs `r` on a worker; when it ends, that worker steals what it can. */
  const onWorker = (r: Running, name: string) => {
    const cell = stealCell();
    r.propose = (e) => proposeEnd(cell, e);
    running.push(r);
    outstanding++;
    const report = progress(r.spec);
    pool.run(windowTask(r.spec, cell), name, (p) => (sample(r, p.now, p.at), report(p))).then(
      (result) => {
        r.result = result;
        try {
          const steal = planSteal(running, curve, paceOf(r, curve)?.rate, scenario.durationMs, stepUs);
          if (steal !== undefined) onWorker(...stealTail(steal));
        } catch (e) {
          // Counting the tail's requests reads the trace: a failure there ends the run like a worker's.
          return failed(e);
        }
        if (--outstanding === 0) allDone();
      },
      (e: unknown) => failed(e),
    );
  };

  /** Moves the victim's end to `endMs` and returns the tail as a window for the thief, and its name. */
  const stealTail = ({ victim, endMs }: Steal): [Running, string] => {
    victim.propose(endMs);
    const spec: WindowSpec = {
      index: -1,
      startMs: endMs,
      endMs: victim.end,
      firstRequest: requestsBefore(endMs),
      checkpointsMs: checkpoints(endMs, Math.min(victim.end, scenario.durationMs), scenario.intervalMs),
    };
    victim.end = endMs;
    const r: Running = { spec, end: spec.endMs, seen: [], propose: () => undefined };
    stolen.push(r);
    return [r, `${label({ ...spec, index: victim.spec.index }, K)}, taken over`];
  };

  let decided = false;
  const decide = (boundaries: number[]) => {
    decided = true;
    if (boundaries.length === 0) return allDone();
    headEnd.propose(boundaries[0]!);
    head.end = boundaries[0]!;
    head.spec.endMs = boundaries[0]!;
    const specs = windowSpecs(scenario, [0, ...boundaries], [0, ...boundaries.map(requestsBefore)], 1);
    for (const spec of specs) onWorker({ spec, end: spec.endMs, seen: [], propose: () => undefined }, label(spec, K));
  };
  // Called by window 0 between its slices: a boundary decided now lies after `now`, and so
  // does an end a worker proposes (it does so between these calls, where `now` is exact).
  const endAt = (now: number) => {
    sample(head, now);
    if (!decided && numbers?.ready() === true && workersReady()) decide(planBoundaries(scenario, K, now, curve, (1 + HEAD_EXTRA) / K));
    return headEnd.get();
  };

  const started = performance.now();
  const sliceEvents = () => (decided ? DEFAULT_SLICE_EVENTS : SLICE_UNTIL_DECIDED);
  const here = runHere(windowTask({ ...head.spec }), label(head.spec, K), { endAt, sliceEvents, progress: progress(head.spec) }).finally(() => {
    if (!decided) decide([]);
  });
  numbers = requestNumbers(pool, scenario, seed);
  // A count that fails ends the run like a worker's window.
  numbers.counted.catch((e: unknown) => failed(e));
  const head0 = await Promise.race([here, workerFailed]);
  head.result = head0;
  // Ended before a boundary: the run ended (traffic and all), so window 0 was the whole run.
  if (head0.endState === null) {
    await workersDone;
    await numbers.counted;
    return head0;
  }

  // 2. This thread steals while a window has much left.
  const mainRate = curve.at(head0.endMs) / (performance.now() - started);
  for (;;) {
    // A turn of the event loop first: a worker that finished while this thread ran its last
    // slice has its result (and the others their progress) waiting. Without it this thread
    // once took a tail of a window already done (15 ms thrown away, the worker idle meanwhile).
    await new Promise<void>((resolve) => setImmediate(resolve));
    const steal = planSteal(running, curve, mainRate, scenario.durationMs, stepUs);
    if (steal === undefined) break;
    const [r, name] = stealTail(steal);
    // A worker that is done may steal from this window in turn: its end, like window 0's, is held here.
    const tailEnd = heldEnd();
    r.propose = tailEnd.propose;
    running.push(r);
    const endAtTail = (now: number) => (sample(r, now), tailEnd.get());
    r.result = await Promise.race([runHere(windowTask(r.spec), name, { endAt: endAtTail, progress: progress(r.spec) }), workerFailed]);
  }
  await workersDone;

  const windows = (rs: Running[]) => rs.map((r) => ({ spec: r.spec, result: r.result! }));
  const planned = running.filter((r) => !stolen.includes(r));
  return assembleWindows(windows(planned)[0]!, windows(planned.slice(1)), windows(stolen));
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
 * and the tail is dropped. Throws if the windows do not meet end to start, or a first run
 * has more checkpoint states than checkpoints before its end (a bug).
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
    // Fewer states than checkpoints: the first run ran out of events before the later ones
    // (a window in an idle stretch, or the run's end); a fix-up compares where it has one.
    if (result.checkpointStates.length > checkpointsMs.length) throw new Error(`${label(spec, windows.length)}: ${result.checkpointStates.length} checkpoint states for ${checkpointsMs.length} checkpoints`);
    return { ...spec, index, endMs: result.endMs, checkpointsMs };
  });
  for (let k = 1; k < specs.length; k++) {
    if (specs[k]!.startMs !== specs[k - 1]!.endMs) throw new Error(`windows do not meet: ${label(specs[k - 1]!, specs.length)}, then ${label(specs[k]!, specs.length)}`);
  }
  return { specs, first: windows.map((w) => w.result) };
}

/** A steal: the window to take a tail from, and its new end. */
interface Steal {
  victim: Running;
  endMs: number;
}

/**
 * The window to steal from and the end to give it, or undefined when no steal pays: the
 * one with the most wall time left (from its progress: where it was, how fast it went
 * lately), cut so that it and the thief (going at `thiefRate` requests per wall ms, or
 * the victim's own rate when unknown), taking the tail, finish together.
 */
function planSteal(running: Running[], curve: WorkCurve, thiefRate: number | undefined, durationMs: number, stepUs: number): Steal | undefined {
  const t = performance.now();
  let best: { victim: Running; at: number; end: number; rate: number; simRate: number; left: number } | undefined;
  for (const victim of running) {
    const pace = victim.result === undefined ? paceOf(victim, curve) : undefined;
    if (pace === undefined || !(pace.rate > 0)) continue;
    const { rate, simRate, last } = pace;
    const at = last.now + simRate * (t - last.t);
    const end = Math.min(victim.end, durationMs);
    const left = (curve.at(end) - curve.at(at)) / rate;
    if (left > (best?.left ?? MIN_STEAL_MS)) best = { victim, at, end, rate, simRate, left };
  }
  if (best === undefined) return undefined;
  // The victim runs [at, E) at its rate, the thief [E, end) at its own plus a stolen window's cost: equal times.
  const { at, end, rate } = best;
  const thief = thiefRate !== undefined && thiefRate > 0 ? thiefRate : rate;
  const w = (curve.at(end) / thief + curve.at(at) / rate + STEAL_COST_MS) / (1 / rate + 1 / thief);
  // A thief much faster than its victim would cut just ahead of it, where the victim may
  // be past the cut by the time it looks: the cut is then the first boundary beyond the
  // safety margin, and the steal pays only if the thief, doing the longer tail, still
  // finishes before the victim would have alone.
  const safe = at + best.simRate * SAFETY_MS;
  const endMs = (Math.floor((Math.max(curve.timeOf(w), safe) * 1000) / stepUs + 1) * stepUs) / 1000;
  if (endMs >= end || (curve.at(end) - curve.at(endMs)) / thief + STEAL_COST_MS >= best.left) return undefined;
  return { victim: best.victim, endMs };
}

/** "window 2 of 3 (10m–20m)": how errors name a window. */
export function label(w: WindowSpec, K: number): string {
  return `window ${w.index + 1} of ${K} (${formatDuration(w.startMs)}–${w.endMs === Number.POSITIVE_INFINITY ? 'end' : formatDuration(w.endMs)})`;
}

