/**
 * Runs several independent simulations (replications, algorithm comparisons, sweep
 * cells) on the thread pool, or on a cluster, and returns their reports in task order.
 * Callers (compare, diff, capacity) only ever use this; with one thread and no cluster
 * it runs them in this thread.
 */
import { decodeMetrics } from '../metrics/run-metrics.ts';
import { buildReport } from '../report/build.ts';
import type { Report } from '../report/types.ts';
import type { Scenario } from '../scenario/load.ts';
import { checkSeriesSize } from '../scenario/series-limit.ts';
import { runScenario } from '../simulate.ts';
import type { ClusterOptions } from '../cluster/options.ts';
import { withExecutor } from './executor.ts';
import { POOL_DEFAULTS } from './pool-options.ts';

export interface RunTask {
  scenario: Scenario;
  /** @default scenario.seed */
  seed?: number;
}

export interface RunManyOptions {
  /** Worker threads. @default os.availableParallelism() */
  threads?: number;
  signal?: AbortSignal;
  /** Run the tasks as jobs on a cluster (BullMQ on Redis) instead of local threads. */
  cluster?: ClusterOptions;
  /** Called as tasks finish: (done, total). */
  onTaskDone?: (done: number, total: number) => void;
}

export async function runMany(tasks: readonly RunTask[], options: RunManyOptions = {}): Promise<Report[]> {
  const threads = Math.min(options.threads ?? POOL_DEFAULTS.threads, tasks.length);
  let done = 0;
  const finished = () => options.onTaskDone?.(++done, tasks.length);
  if (threads <= 1 && options.cluster === undefined) {
    const out: Report[] = [];
    for (const t of tasks) {
      out.push(await runScenario(t.scenario, { ...(t.seed === undefined ? {} : { seed: t.seed }), ...(options.signal ? { signal: options.signal } : {}) }));
      finished();
    }
    return out;
  }
  // Here, before any task starts, not in a worker: the worker threads load no scenario modules. (runScenario above checks its own.)
  for (const t of tasks) checkSeriesSize(t.scenario);
  return withExecutor({ threads, ...(options.signal ? { signal: options.signal } : {}), ...(options.cluster ? { cluster: options.cluster } : {}) }, (pool) =>
    Promise.all(
      tasks.map(async (t, i) => {
        const seed = t.seed ?? t.scenario.seed;
        const r = await pool.run({ kind: 'run', scenario: t.scenario, seed }, `run ${i + 1} of ${tasks.length} (${t.scenario.name}, seed ${seed})`);
        const metrics = decodeMetrics(r.metrics);
        const report = buildReport({ scenario: t.scenario, seed, algorithm: r.algorithm, metrics });
        metrics.totals.destroy();
        finished();
        return report;
      }),
    ),
  );
}
