/**
 * The work one worker thread does for one task, and the messages in and out. Tasks are
 * plain data (structured-clonable, JSON-able but for typed arrays), so the same tasks can
 * run on the thread pool or, later, on other machines. Failures come back as a tagged
 * result, not a thrown error: an Error loses its class and code crossing threads.
 */
import { loadBalancerModule } from '../balancers/registry.ts';
import type { BalancerModule } from '../balancers/types.ts';
import { countsMatch, type EngineState, sameState } from '../engine/state.ts';
import type { Simulation } from '../engine/simulation.ts';
import { isLbsimError } from '../errors.ts';
import { collectMetrics, type EncodedRunMetrics, encodeMetrics } from '../metrics/run-metrics.ts';
import type { EncodedTotals } from '../metrics/totals.ts';
import type { Scenario } from '../scenario/load.ts';
import { createSimulation, routeKeyFor } from '../simulation-setup.ts';
import { endTaker } from './steal.ts';
import { boundaryStepUs, countBlocks, countWindow, openWindowTraffic, replayCounter, type WindowTraffic } from './windows.ts';

export interface WindowSpec {
  index: number;
  startMs: number;
  /** Infinity for the last window. */
  endMs: number;
  firstRequest: number;
  /** Interval boundaries inside the window at which states are recorded or compared. */
  checkpointsMs: number[];
}

export type Task =
  | { kind: 'run'; scenario: Scenario; seed: number }
  | { kind: 'count'; scenario: Scenario; seed: number; startMs: number; endMs: number }
  /** Synthetic traffic's arrivals block by block (countBlocks), to number requests at any boundary. */
  | { kind: 'blocks'; scenario: Scenario; seed: number; startMs: number; endMs: number }
  /** A sampled or scaled replay's requests for each block of the trace's requests [fromIndex, toIndex) (ReplayCounter.byBlock). */
  | { kind: 'replayed'; scenario: Scenario; seed: number; fromIndex: number; toIndex: number }
  | {
      kind: 'window';
      scenario: Scenario;
      seed: number;
      window: WindowSpec;
      /** Start from this state, or (absent) from a guess (guessStart). */
      startState?: EngineState;
      /** A fix-up: compare with these states of the first run at the checkpoints and stop when one matches. */
      compareWith?: EngineState[];
      /** Another thread may move this window's end earlier while it runs, to take its tail (steal.ts). */
      steal?: SharedArrayBuffer;
    };

export type TaskResult =
  | { ok: true; kind: 'run'; metrics: EncodedRunMetrics; algorithm: string; events: number }
  | { ok: true; kind: 'count'; count: number }
  | { ok: true; kind: 'blocks'; counts: number[] }
  | { ok: true; kind: 'replayed'; counts: number[] }
  | {
      ok: true;
      kind: 'window';
      /** The state the run started from (the guess, for a first run). */
      startState: EngineState;
      /**
       * Totals at each checkpoint and at the end (Recorder.checkpoint, Totals.after): sums and
       * histograms of [start, c0), [start, c1), ..., [start, end), maxima of [start, c0),
       * [c0, c1), ..., [c_last, end). A fix-up: one entry, its whole run.
       */
      segments: EncodedTotals[];
      /** First run: the state at each checkpoint reached. */
      checkpointStates: EngineState[];
      /** Rows of the intervals simulated (totals are in `segments`). */
      metrics: EncodedRunMetrics;
      /** State at the window's end; null when it ran to the run's end (the last window), or for a fix-up that met its first run. */
      endState: EngineState | null;
      /** Where the window ended: its spec's end, or an earlier one decided while it ran (TaskDriver.endAt, steal.ts). */
      endMs: number;
      /** Fix-up: index of the checkpoint at which it met the first run; -1 if it never did. */
      metAt: number;
      events: number;
      algorithm: string;
    }
  | { ok: false; code: string; message: string };

/** The result of a window task. */
export type WindowResult = Extract<TaskResult, { ok: true; kind: 'window' }>;

/** Progress a task posts on its port: simulated time reached and events so far. */
export interface TaskProgress {
  now: number;
  events: number;
  /**
   * When the thread that ran the task measured this: `performance.timeOrigin +
   * performance.now()` there, comparable between the threads of one process (not between
   * machines). The main thread may read a worker's message tens of ms later, while it
   * simulates itself; timed on arrival, the worker's pace would look that much off.
   */
  at?: number;
}

const modules = new Map<string, Promise<BalancerModule>>();

/** Balancer modules are loaded once per thread (a user's file is imported once). */
function balancerOf(scenario: Scenario): Promise<BalancerModule> {
  const key = `${scenario.baseDir}\0${scenario.balancer.algorithm}`;
  let m = modules.get(key);
  if (m === undefined) {
    m = loadBalancerModule(scenario.balancer.algorithm, scenario.baseDir);
    modules.set(key, m);
  }
  return m;
}

/**
 * Where a task runs and what it owes its host between slices: a worker thread posts
 * progress; the main thread (src/parallel/pool.ts) also hands the event loop back, so
 * the pool's messages, the terminal view and Ctrl-C are served while it simulates.
 */
export interface TaskDriver {
  progress?: (p: TaskProgress) => void;
  /** Called between slices; may reject to cancel the task. */
  pause?: () => Promise<void>;
  /** Events per slice, or a function read before each slice. @default 200_000 (~25 ms) */
  sliceEvents?: number | (() => number);
  /** Least wall time between two progress calls (ms). @default 200 */
  progressEveryMs?: number;
  /**
   * A window whose end is decided, or moved earlier, while it runs, on the thread that
   * decides it (src/parallel/dynamic-windows.ts): called between slices with the
   * simulated time reached, it returns the window's end once there is one (an interval
   * boundary after that time; a later call may return an earlier one, never one passed).
   */
  endAt?: (now: number) => number | undefined;
}

/** What a task run on the main thread may be given beyond a worker's (SimulationPool.runHere). */
export type HereDriver = Pick<TaskDriver, 'progress' | 'endAt' | 'sliceEvents'>;

export const DEFAULT_SLICE_EVENTS = 200_000;

/** Where drive() stopped: at `until`, at the end the driver decided, or at the run's end. */
type Reached = 'until' | 'end' | 'done';

/** Runs a simulation to its end, or (until) to an interval boundary, or to the end `d.endAt` decides if that comes first. */
async function drive(sim: Simulation, d: TaskDriver, until = Number.POSITIVE_INFINITY): Promise<Reached> {
  const slices = d.sliceEvents ?? DEFAULT_SLICE_EVENTS;
  const slice = typeof slices === 'number' ? () => slices : slices;
  const every = d.progressEveryMs ?? 200;
  let end = d.endAt?.(sim.now);
  let last = performance.now();
  while (!sim.advanceUntil(Math.min(until, end ?? Number.POSITIVE_INFINITY), slice())) {
    const now = performance.now();
    if (d.progress !== undefined && now - last >= every) {
      last = now;
      d.progress({ now: sim.now, events: sim.events, at: performance.timeOrigin + now });
    }
    if (d.pause !== undefined) await d.pause();
    if (d.endAt !== undefined) end = d.endAt(sim.now);
  }
  return sim.done ? 'done' : sim.now === end ? 'end' : 'until';
}

export async function executeTask(task: Task, driver: TaskDriver = {}): Promise<TaskResult> {
  try {
    if (task.kind === 'count') {
      return { ok: true, kind: 'count', count: countWindow(task.scenario, task.seed, task.startMs, task.endMs) };
    }
    if (task.kind === 'blocks') return { ok: true, kind: 'blocks', counts: countBlocks(task.scenario, task.seed, task.startMs, task.endMs) };
    if (task.kind === 'replayed') return { ok: true, kind: 'replayed', counts: replayCounter(task.scenario, task.seed).byBlock(task.fromIndex, task.toIndex) };
    const balancer = await balancerOf(task.scenario);
    if (task.kind === 'run') {
      const sim = createSimulation(task.scenario, balancer, task.seed);
      await drive(sim, driver);
      const metrics = collectMetrics(sim);
      const out = encodeMetrics(metrics);
      metrics.totals.destroy();
      return { ok: true, kind: 'run', metrics: out, algorithm: balancer.name, events: sim.events };
    }
    return await runWindow(task, balancer, driver);
  } catch (e) {
    if (isLbsimError(e)) return { ok: false, code: e.code, message: e.message };
    return { ok: false, code: 'INTERNAL', message: (e as Error)?.stack ?? String(e) };
  }
}

/** How far back (in boundary steps: report intervals, or blocks of synthetic arrivals) a first run's guessed start is simulated from. */
const GUESS_STEPS = 1;

/**
 * A first run's guess of the state it starts from: the state that the stretch of the run
 * just before the window leaves, simulated from empty backends (the balancer's counters
 * derived from the requests before the stretch). Queues forget their past quickly, so at
 * moderate load this is the true state and the window needs no fix-up, which would run
 * after all first runs, one window after another (time-split.ts compares the true state
 * with this guess, exactly). Where it is not (a backlog older than the stretch), the
 * fix-up finds that out as for any guess, and the stretch cost one interval of
 * simulation, on this thread, in parallel. Undefined (an empty start) for a window too
 * close to the run's start to look back.
 */
function guessStart(scenario: Scenario, balancer: BalancerModule, seed: number, w: WindowSpec, window: WindowTraffic): EngineState | undefined {
  const fromMs = w.startMs - (GUESS_STEPS * boundaryStepUs(scenario)) / 1000;
  if (fromMs < 0) return undefined;
  const { traffic, firstIndex } = openWindowTraffic(scenario, seed, fromMs, w.startMs, routeKeyFor(balancer, scenario));
  // A trace's requests in the stretch are the difference of where the two readers sought to.
  const inStretch = firstIndex !== undefined && window.firstIndex !== undefined ? window.firstIndex - firstIndex : countWindow(scenario, seed, fromMs, w.startMs);
  const firstRequest = w.firstRequest - inStretch;
  const stretch = createSimulation(scenario, balancer, seed, { startMs: fromMs, endMs: w.startMs, firstRequest, traffic, trafficEndMs: scenario.durationMs });
  stretch.balancer.assumePicks?.(firstRequest);
  stretch.run();
  const state = stretch.snapshot();
  stretch.recorder.totals.destroy();
  return state;
}

async function runWindow(task: Extract<Task, { kind: 'window' }>, balancer: BalancerModule, driver: TaskDriver): Promise<TaskResult> {
  const { scenario, seed, window: w } = task;
  const window = openWindowTraffic(scenario, seed, w.startMs, w.endMs, routeKeyFor(balancer, scenario));
  const sim = createSimulation(scenario, balancer, seed, { startMs: w.startMs, endMs: w.endMs, firstRequest: w.firstRequest, traffic: window.traffic, trafficEndMs: scenario.durationMs });
  const start = task.startState ?? guessStart(scenario, balancer, seed, w, window);
  if (start !== undefined) sim.restore(start);
  else sim.balancer.assumePicks?.(w.firstRequest);
  const startState = sim.snapshot();
  const segments: EncodedTotals[] = [];
  const checkpointStates: EngineState[] = [];
  let metAt = -1;
  let reached: Reached = 'until';
  // The end may be decided while the window runs: by the thread running it (driver.endAt), or by another (task.steal).
  if (task.steal !== undefined) driver = { ...driver, endAt: endTaker(task.steal) };
  for (let j = 0; j < w.checkpointsMs.length; j++) {
    reached = await drive(sim, driver, w.checkpointsMs[j]!);
    if (reached !== 'until') break;
    if (task.compareWith !== undefined) {
      // None: the first run ran out of events before this checkpoint; this one runs on.
      const theirs = task.compareWith[j];
      const bs = sim.backends;
      if (theirs !== undefined && countsMatch(theirs, bs.downDepth, bs.busy, bs.queued) && sameState(sim.snapshot(), theirs)) {
        metAt = j;
        sim.stopHere();
        break;
      }
    } else {
      checkpointStates.push(sim.snapshot());
      segments.push(sim.recorder.checkpoint());
    }
  }
  if (!sim.done && reached !== 'end') reached = await drive(sim, driver);
  // Paused at an end decided while it ran: the window ends here, as if endMs had been set.
  const decidedEnd = reached === 'end' && !sim.done ? sim.snapshot() : null;
  if (decidedEnd !== null) sim.stopHere();
  const metrics = collectMetrics(sim);
  const encoded = encodeMetrics(metrics);
  segments.push(encoded.totals);
  metrics.totals.destroy();
  const endState = decidedEnd ?? (metAt >= 0 || w.endMs === Number.POSITIVE_INFINITY ? null : sim.snapshot());
  const endMs = decidedEnd !== null ? sim.now : w.endMs;
  return { ok: true, kind: 'window', startState, segments, checkpointStates, metrics: encoded, endState, endMs, metAt, events: sim.events, algorithm: balancer.name };
}
