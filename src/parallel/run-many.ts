/**
 * Runs several independent simulations (replications, algorithm comparisons, sweep
 * cells) and returns their reports in task order. This is the seam the worker-thread pool
 * plugs into: callers (compare, diff, capacity) only ever use `runMany`.
 *
 * TEMPORARY: runs the tasks one after another in this thread until the piscina pool
 * lands (issue 4); the signature will not change.
 */
import type { Report } from '../report/types.ts';
import type { Scenario } from '../scenario/load.ts';
import { runScenario } from '../simulate.ts';

export interface RunTask {
  scenario: Scenario;
  /** @default scenario.seed */
  seed?: number;
}

export interface RunManyOptions {
  /** Worker threads. @default os.availableParallelism() */
  threads?: number;
  signal?: AbortSignal;
  /** Called as tasks finish: (done, total). */
  onTaskDone?: (done: number, total: number) => void;
}

export async function runMany(tasks: readonly RunTask[], options: RunManyOptions = {}): Promise<Report[]> {
  const out: Report[] = [];
  for (const t of tasks) {
    out.push(await runScenario(t.scenario, { ...(t.seed === undefined ? {} : { seed: t.seed }), ...(options.signal ? { signal: options.signal } : {}) }));
    options.onTaskDone?.(out.length, tasks.length);
  }
  return out;
}
