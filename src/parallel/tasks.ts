/**
 * The work one worker thread does for one task, and the messages in and out. Tasks are
 * plain data (structured-clonable, JSON-able but for typed arrays), so the same tasks can
 * run on the thread pool or, later, on other machines. Failures come back as a tagged
 * result, not a thrown error: an Error loses its class and code crossing threads.
 */
import { loadBalancerModule } from '../balancers/registry.ts';
import type { BalancerModule } from '../balancers/types.ts';
import { type EngineState, sameState } from '../engine/state.ts';
import type { Simulation } from '../engine/simulation.ts';
import { isLbsimError } from '../errors.ts';
import { collectMetrics, type EncodedRunMetrics, encodeMetrics } from '../metrics/run-metrics.ts';
import type { EncodedTotals } from '../metrics/totals.ts';
import type { Scenario } from '../scenario/load.ts';
import { createSimulation } from '../simulation-setup.ts';
import { countWindow, openWindowTraffic } from './windows.ts';

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
  | {
      kind: 'window';
      scenario: Scenario;
      seed: number;
      window: WindowSpec;
      /** Start from this state, or (absent) from a guess: empty backends, balancer.assumePicks(firstRequest). */
      startState?: EngineState;
      /** A fix-up: compare with these states of the first run at the checkpoints and stop when one matches. */
      compareWith?: EngineState[];
    };

export type TaskResult =
  | { ok: true; kind: 'run'; metrics: EncodedRunMetrics; algorithm: string; events: number }
  | { ok: true; kind: 'count'; count: number }
  | {
      ok: true;
      kind: 'window';
      /** The state the run started from (the guess, for a first run). */
      startState: EngineState;
      /** First run: totals of [start, c0), [c0, c1), ..., [c_last, end). Fix-up: one entry, its whole run. */
      segments: EncodedTotals[];
      /** First run: the state at each checkpoint reached. */
      checkpointStates: EngineState[];
      /** Rows of the intervals simulated (totals are in `segments`). */
      metrics: EncodedRunMetrics;
      /** State at the window's end; null for the last window or a fix-up that met its first run. */
      endState: EngineState | null;
      /** Fix-up: index of the checkpoint at which it met the first run; -1 if it never did. */
      metAt: number;
      events: number;
      algorithm: string;
    }
  | { ok: false; code: string; message: string };

/** Progress a task posts on its port: simulated time reached and events so far. */
export interface TaskProgress {
  now: number;
  events: number;
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
  /** Called between slices of ~200 k events; may reject to cancel the task. */
  pause?: () => Promise<void>;
}

/** Runs a simulation to its end, or (until) to an interval boundary; false if the run ended first. */
async function drive(sim: Simulation, d: TaskDriver, until?: number): Promise<boolean> {
  const to = until ?? Number.POSITIVE_INFINITY;
  let last = performance.now();
  while (!sim.advanceUntil(to, 200_000)) {
    const now = performance.now();
    if (d.progress !== undefined && now - last >= 200) {
      last = now;
      d.progress({ now: sim.now, events: sim.events });
    }
    if (d.pause !== undefined) await d.pause();
  }
  return until === undefined || !sim.done;
}

export async function executeTask(task: Task, driver: TaskDriver = {}): Promise<TaskResult> {
  try {
    if (task.kind === 'count') {
      return { ok: true, kind: 'count', count: countWindow(task.scenario, task.seed, task.startMs, task.endMs) };
    }
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

async function runWindow(task: Extract<Task, { kind: 'window' }>, balancer: BalancerModule, driver: TaskDriver): Promise<TaskResult> {
  const { scenario, seed, window: w } = task;
  const sim = createSimulation(scenario, balancer, seed, {
    startMs: w.startMs,
    endMs: w.endMs,
    firstRequest: w.firstRequest,
    traffic: openWindowTraffic(scenario, seed, w.startMs, w.endMs),
    trafficEndMs: scenario.durationMs,
  });
  if (task.startState !== undefined) sim.restore(task.startState);
  else sim.balancer.assumePicks?.(w.firstRequest);
  const startState = sim.snapshot();
  const segments: EncodedTotals[] = [];
  const checkpointStates: EngineState[] = [];
  let metAt = -1;
  for (let j = 0; j < w.checkpointsMs.length; j++) {
    if (!(await drive(sim, driver, w.checkpointsMs[j]!))) break;
    const state = sim.snapshot();
    if (task.compareWith !== undefined) {
      if (sameState(state, task.compareWith[j]!)) {
        metAt = j;
        sim.stopHere();
        break;
      }
    } else {
      checkpointStates.push(state);
      segments.push(sim.recorder.cut().encode());
    }
  }
  if (!sim.done) await drive(sim, driver);
  const metrics = collectMetrics(sim);
  const encoded = encodeMetrics(metrics);
  segments.push(encoded.totals);
  metrics.totals.destroy();
  const endState = metAt >= 0 || w.endMs === Number.POSITIVE_INFINITY ? null : sim.snapshot();
  return { ok: true, kind: 'window', startState, segments, checkpointStates, metrics: encoded, endState, metAt, events: sim.events, algorithm: balancer.name };
}
