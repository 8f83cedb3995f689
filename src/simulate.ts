/**
 * The public facade over the engine: build the traffic source and the simulation for a
 * scenario, run it (in slices, so callers can show progress or cancel), and build the
 * report. Nothing here touches files or terminals; the CLI and the workers call it.
 */
import { loadBalancerModule } from './balancers/registry.ts';
import type { BalancerModule } from './balancers/types.ts';
import type { Simulation } from './engine/simulation.ts';
import { LbsimError } from './errors.ts';
import { collectMetrics } from './metrics/run-metrics.ts';
import { buildReport } from './report/build.ts';
import type { Report } from './report/types.ts';
import type { Scenario } from './scenario/load.ts';
import { checkSeriesSize } from './scenario/series-limit.ts';
import { createSimulation } from './simulation-setup.ts';

export { createSimulation, createTraffic, type SimulationWindow } from './simulation-setup.ts';

export interface Progress {
  /** Simulated time reached, ms. */
  now: number;
  /** Where the traffic ends, ms (the run may go on past it while queues drain). */
  end: number;
  events: number;
  arrived: number;
  rejected: number;
  timedOut: number;
  /** Per backend, live counts at this instant (copies). */
  inFlight: number[];
  queued: number[];
  /** Wall-clock ms since the run started. */
  wallMs: number;
}

export interface RunOptions {
  /** Overrides the scenario's seed. @default scenario.seed */
  seed?: number;
  /** Called a few times a second with the run's progress. @default none */
  onProgress?: (p: Progress) => void;
  /** Wall-clock ms between progress calls. @default 200 */
  progressIntervalMs?: number;
  /** Cancels the run between slices; it then rejects with a CANCELLED LbsimError. */
  signal?: AbortSignal;
}

export const RUN_DEFAULTS = { progressIntervalMs: 200 } as const;

/** Events processed between checks of the wall clock, progress and cancellation. */
const SLICE_EVENTS = 100_000;

/** Runs a scenario to completion synchronously (no progress, no cancellation). */
export function simulateSync(scenario: Scenario, balancer: BalancerModule, seed = scenario.seed): Report {
  checkSeriesSize(scenario);
  const sim = createSimulation(scenario, balancer, seed);
  sim.run();
  return finish(scenario, balancer, seed, sim);
}

/** Runs a scenario, loading its balancer (a built-in name or a user's file). */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<Report> {
  checkSeriesSize(scenario);
  const balancer = await loadBalancerModule(scenario.balancer.algorithm, scenario.baseDir);
  const seed = options.seed ?? scenario.seed;
  const sim = createSimulation(scenario, balancer, seed);
  const started = performance.now();
  const every = options.progressIntervalMs ?? RUN_DEFAULTS.progressIntervalMs;
  let lastProgress = started;
  const wantsTurns = options.onProgress !== undefined || options.signal !== undefined;
  while (!sim.advance(SLICE_EVENTS)) {
    if (!wantsTurns) continue;
    const now = performance.now();
    if (options.onProgress && now - lastProgress >= every) {
      lastProgress = now;
      options.onProgress(progressOf(sim, now - started));
    }
    // Give the event loop a turn so a UI can render and Ctrl-C can be heard.
    await new Promise<void>((r) => setImmediate(r));
    if (options.signal?.aborted) throw new LbsimError('CANCELLED', 'run cancelled');
  }
  options.onProgress?.(progressOf(sim, performance.now() - started));
  return finish(scenario, balancer, seed, sim);
}

function finish(scenario: Scenario, balancer: BalancerModule, seed: number, sim: Simulation): Report {
  const metrics = collectMetrics(sim);
  const report = buildReport({ scenario, seed, algorithm: balancer.name, metrics });
  metrics.totals.destroy();
  return report;
}

export function progressOf(sim: Simulation, wallMs: number): Progress {
  return {
    now: sim.now,
    end: sim.trafficEnd,
    events: sim.events,
    arrived: sim.arrived,
    rejected: sim.recorder.totals.rejected,
    timedOut: sim.recorder.totals.timedOut,
    inFlight: Array.from(sim.backends.inFlight),
    queued: Array.from(sim.backends.queued),
    wallMs,
  };
}
