/**
 * Checks that a run split in time (src/parallel/time-split.ts) gives the single-thread
 * report byte for byte: the split's report, the single run's, and a byte comparison that
 * shows the first difference instead of two whole reports.
 */
import { expect } from 'vitest';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import { checkResult, type TaskExecutor } from '../../src/parallel/executor.ts';
import { executeTask } from '../../src/parallel/tasks.ts';
import { runTimeSplit, type TimeSplitStats } from '../../src/parallel/time-split.ts';
import { buildReport } from '../../src/report/build.ts';
import { parseScenario, type Scenario } from '../../src/scenario/load.ts';
import { simulateSync } from '../../src/simulate.ts';

export function scenario(yaml: string): Scenario {
  return parseScenario(yaml, { file: 'test.yaml' });
}

/** The JSON report of `sc` split into `windows` windows on `pool`, and the split's statistics. */
export async function split(pool: TaskExecutor, sc: Scenario, windows: number): Promise<{ json: string; stats: TimeSplitStats }> {
  const r = await runTimeSplit(pool, sc, sc.seed, { windows });
  const json = JSON.stringify(buildReport({ scenario: sc, seed: sc.seed, algorithm: r.algorithm, metrics: r.metrics }));
  r.metrics.totals.destroy();
  return { json, stats: r.stats };
}

/** The JSON report of `sc` run whole, on this thread. */
export function single(sc: Scenario): string {
  return JSON.stringify(simulateSync(sc, BUILTIN_BALANCERS.get(sc.balancer.algorithm)!));
}

/** Byte equality, with the first difference shown instead of two whole reports. */
export function expectSame(actual: string, expected: string, what: string): void {
  if (actual === expected) return;
  let i = 0;
  while (i < actual.length && actual[i] === expected[i]) i++;
  const at = (s: string) => s.slice(Math.max(0, i - 160), i + 80);
  expect.fail(`${what}: reports differ at byte ${i}\n  split:  …${at(actual)}\n  single: …${at(expected)}`);
}

/** Splits `sc` into each of `windowCounts` windows and expects the single run's bytes, really split; returns each split's statistics. */
export async function expectSplitExact(pool: TaskExecutor, sc: Scenario, expected: string, windowCounts: readonly number[] = [2, 3, 7]): Promise<TimeSplitStats[]> {
  const out: TimeSplitStats[] = [];
  for (const windows of windowCounts) {
    const { json, stats } = await split(pool, sc, windows);
    expectSame(json, expected, `${windows} windows`);
    expect(stats.notSplit, `${windows} windows`).toBeUndefined();
    expect(stats.windows, `${windows} windows`).toBe(windows);
    out.push(stats);
  }
  return out;
}

/** Runs tasks here, one at a time (executeTask as a worker would): for property tests that split many small runs. */
export const inProcess: TaskExecutor = {
  threads: 1,
  run: async (task, label) => checkResult(task, label, await executeTask(task)),
  destroy: async () => {},
};
