/**
 * One run on several threads: the facade `lbsim run --threads N` uses. The report is
 * byte-identical to the single-thread run's; wall-clock figures and the fix-up statistics
 * go to the caller, never into the report.
 */
import { LbsimError } from '../errors.ts';
import { buildReport } from '../report/build.ts';
import type { Report } from '../report/types.ts';
import type { Scenario } from '../scenario/load.ts';
import { checkSeriesSize } from '../scenario/series-limit.ts';
import { runScenario } from '../simulate.ts';
import type { ClusterOptions } from '../cluster/options.ts';
import { withExecutor } from './executor.ts';
import { runTimeSplit, type TimeSplitStats } from './time-split.ts';
import { unsplittableReason } from './windows.ts';

export interface SplitRunOptions {
  /** Worker threads (ignored with `cluster`). */
  threads: number;
  /** Run the windows as jobs on a cluster (BullMQ on Redis) instead of local threads. */
  cluster?: ClusterOptions;
  /** Windows of the timeline. @default threads, or on a cluster its worker threads (at least 2) */
  windows?: number;
  /** @default scenario.seed */
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (p: { covered: number; end: number; events: number }) => void;
  /** A note for people (why the run was not split). */
  onNote?: (message: string) => void;
  /** Why the run is not split (it runs as one window), as soon as that is known: before it runs. */
  onNotSplit?: (reason: string) => void;
}

export async function runSplit(scenario: Scenario, options: SplitRunOptions): Promise<{ report: Report; stats: TimeSplitStats | undefined }> {
  const seed = options.seed ?? scenario.seed;
  const notSplit = (why: string) => {
    options.onNotSplit?.(why);
    options.onNote?.(`not split in time: ${why}`);
  };
  const reason = unsplittableReason(scenario);
  if (reason !== undefined) notSplit(reason);
  const cluster = options.cluster;
  // runScenario checks the series' size itself.
  if (cluster === undefined && (reason !== undefined || options.threads <= 1)) {
    const onProgress = options.onProgress;
    const report = await runScenario(scenario, {
      seed,
      ...(options.signal ? { signal: options.signal } : {}),
      // Its progress the same as a split run's, so a live view or --progress does not stand still for the whole run.
      ...(onProgress ? { onProgress: (p) => onProgress({ covered: Math.min(p.now, p.end), end: p.end, events: p.events }) } : {}),
    });
    return { report, stats: undefined };
  }
  checkSeriesSize(scenario);
  // On a cluster an unsplittable run is one job (one window); a split one defaults to a window per worker thread.
  // One window per thread, the main thread's among them: measured on 2 cores, 1.48–1.57× over
  // one thread against 1.37–1.50× with two workers (benchmarks/RESULTS.md). Sweeps (runMany)
  // keep the main thread for merging: with it in, the 8-run sweep measured 1.75× against 1.81–1.85×.
  return withExecutor({ threads: options.threads, mainThread: true, ...(options.signal ? { signal: options.signal } : {}), ...(cluster ? { cluster } : {}) }, async (executor) => {
    const result = await runTimeSplit(executor, scenario, seed, {
      // Locally, windows left unset let a trace's windows be cut once the workers are up (time-split.ts).
      ...(reason !== undefined ? { windows: 1 } : options.windows !== undefined ? { windows: options.windows } : cluster ? { windows: Math.max(2, executor.threads) } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      // Said before the run, not after it: a live view shows where the run really goes.
      onNotSplit: notSplit,
    });
    // The threads stop while this one builds the report (~11 ms of their shutdown hidden).
    const stopping = executor.destroy();
    if (options.signal?.aborted) throw new LbsimError('CANCELLED', 'run cancelled');
    const report = buildReport({ scenario, seed, algorithm: result.algorithm, metrics: result.metrics });
    result.metrics.totals.destroy();
    await stopping;
    return { report, stats: result.stats };
  });
}
