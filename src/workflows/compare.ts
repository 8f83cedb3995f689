/**
 * Compare: the same traffic through several alternatives (algorithms, or scenario
 * files), replicated on independent seeds. Replication r uses seed base + r for every
 * alternative (common random numbers), so differences between alternatives are not
 * differences between traffic samples, and paired comparisons against the best are tight.
 * Scenario files that define different traffic still run on those seeds, but each draws
 * its own traffic from them: the result says so (`sameTraffic`) rather than claim
 * common random numbers it does not have.
 */
import type { ClusterOptions } from '../cluster/options.ts';
import { runMany } from '../parallel/run-many.ts';
import type { Report } from '../report/types.ts';
import type { Scenario } from '../scenario/load.ts';
import { type MetricName, runMetrics, type RunMetrics } from './run-metrics.ts';
import { type Bounds, type Change, change, type Estimate, estimate } from './stats.ts';

export interface Alternative {
  label: string;
  scenario: Scenario;
}

export interface CompareOptions {
  /** Independent replications per alternative. @default 5 */
  replications?: number;
  /** First seed; replication r uses seed + r. @default the first alternative's scenario seed */
  seed?: number;
  signal?: AbortSignal;
  /** Worker threads the simulations run on (1: one after another in this thread). @default os.availableParallelism() */
  threads?: number;
  /** Run the simulations as jobs on a cluster (BullMQ on Redis) instead of local threads. @default undefined (local) */
  cluster?: ClusterOptions;
  onTaskDone?: (done: number, total: number) => void;
}

export const COMPARE_DEFAULTS = { replications: 5 } as const;

/** Columns of the comparison, lower is better for each. */
// maxProxyQueue: behind maxconn the requests wait at the proxy, not in the servers' queues (its column is left out where no alternative queued there).
export const COMPARE_METRICS = ['p50', 'p99', 'p999', 'errors', 'maxQueue', 'maxProxyQueue', 'imbalance'] as const satisfies readonly MetricName[];
export type CompareMetric = (typeof COMPARE_METRICS)[number];

export interface AlternativeResult {
  label: string;
  scenario: string;
  algorithm: string;
  runs: RunMetrics[];
  estimates: Record<CompareMetric, Estimate>;
  /** p99 against the best alternative, paired by seed; null for the best itself. */
  p99VsBest: Change | null;
}

/** What each column can be: latencies and queues are never negative, an error share is at most 1, max/mean share at least 1. */
const BOUNDS: Record<CompareMetric, Bounds> = { p50: { min: 0 }, p99: { min: 0 }, p999: { min: 0 }, errors: { min: 0, max: 1 }, maxQueue: { min: 0 }, maxProxyQueue: { min: 0 }, imbalance: { min: 1 } };

export interface Comparison {
  seeds: number[];
  /**
   * Whether every alternative offers the same traffic (one scenario through several
   * algorithms, or files whose traffic and duration are equal). When false each
   * alternative draws its own traffic from the shared seeds, and a difference between two
   * is the traffic's as much as the configuration's.
   */
  sameTraffic: boolean;
  /** Seeds set in the alternatives' scenarios that the run does not use (every alternative runs on `seeds`); empty when none. */
  unusedScenarioSeeds: number[];
  alternatives: AlternativeResult[];
  /** Index of the best alternative: lowest p99 among those not clearly worse on errors. */
  best: number;
  /** Per column, the index with the lowest mean; -1 when all are equal. */
  bestBy: Record<CompareMetric, number>;
  /** The first replication's reports, in alternative order (for the terminal comparison view). */
  reports: Report[];
}

export async function compare(alternatives: readonly Alternative[], options: CompareOptions = {}): Promise<Comparison> {
  const reps = options.replications ?? COMPARE_DEFAULTS.replications;
  const base = options.seed ?? alternatives[0]!.scenario.seed;
  const seeds = Array.from({ length: reps }, (_, r) => base + r);
  const tasks = alternatives.flatMap((a) => seeds.map((seed) => ({ scenario: a.scenario, seed })));
  const reports = await runMany(tasks, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.cluster ? { cluster: options.cluster } : {}),
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.onTaskDone ? { onTaskDone: options.onTaskDone } : {}),
  });
  const results: AlternativeResult[] = alternatives.map((a, i) => {
    const mine = reports.slice(i * reps, (i + 1) * reps);
    const runs = mine.map(runMetrics);
    const estimates = Object.fromEntries(COMPARE_METRICS.map((m) => [m, estimate(runs.map((r) => r[m]), BOUNDS[m])])) as Record<CompareMetric, Estimate>;
    return { label: a.label, scenario: a.scenario.name, algorithm: mine[0]!.algorithm, runs, estimates, p99VsBest: null };
  });
  const bestBy = Object.fromEntries(
    COMPARE_METRICS.map((m) => {
      const means = results.map((r) => r.estimates[m].mean);
      return [m, means.every((x) => x === means[0]) ? -1 : argmin(means)];
    }),
  ) as Record<CompareMetric, number>;
  const best = pickBest(results);
  for (const [i, r] of results.entries()) {
    if (i !== best) r.p99VsBest = change(results[best]!.runs.map((x) => x.p99), r.runs.map((x) => x.p99), true);
  }
  const unusedScenarioSeeds = [...new Set(alternatives.map((a) => a.scenario.seed))].filter((s) => s !== base);
  return { seeds, sameTraffic: sameTraffic(alternatives.map((a) => a.scenario)), unusedScenarioSeeds, alternatives: results, best, bestBy, reports: alternatives.map((_, i) => reports[i * reps]!) };
}

/** Whether the scenarios define the same traffic (arrivals and work, for as long), so one seed gives each the same requests. */
export function sameTraffic(scenarios: readonly Scenario[]): boolean {
  const key = (s: Scenario) => JSON.stringify([s.traffic, s.durationMs]);
  return scenarios.every((s) => key(s) === key(scenarios[0]!));
}

function argmin(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! < xs[best]!) best = i;
  return best;
}

/**
 * Failing requests matter more than slow ones: first keep the alternatives whose error
 * share is within the confidence intervals of the lowest, then take the lowest p99.
 */
function pickBest(results: readonly AlternativeResult[]): number {
  const fewest = argmin(results.map((r) => r.estimates.errors.mean));
  const e0 = results[fewest]!.estimates.errors;
  let best = -1;
  for (const [i, r] of results.entries()) {
    const e = r.estimates.errors;
    // With one replication there is no interval: only an equal share ties.
    const tied = (Number.isNaN(e.low) ? e.mean : e.low) <= (Number.isNaN(e0.high) ? e0.mean : e0.high) + 1e-12;
    if (tied && (best < 0 || r.estimates.p99.mean < results[best]!.estimates.p99.mean)) best = i;
  }
  return best;
}
