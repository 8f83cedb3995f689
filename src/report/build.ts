/**
 * Derives the report from a finished run's raw statistics. All rates, shares,
 * percentiles and overload ranges are computed here, once. Numbers are rounded to fixed
 * decimals so the JSON is stable and readable.
 */
import type { Simulation } from '../engine/simulation.ts';
import { createHistogram, summarize } from '../metrics/histogram.ts';
import type { Scenario } from '../scenario/load.ts';
import { type BackendReport, type BackendSeries, type OverloadRange, type Report, REPORT_SCHEMA_VERSION, type TimeSeries } from './types.ts';

/** A backend counts as saturated in an interval at this utilization with a queue waiting. */
export const SATURATION_UTILIZATION = 0.99;
/** ...and at least this many requests waiting on average. */
export const SATURATION_MEAN_QUEUE = 1;
/**
 * A saturated stretch must last this many intervals to be listed: at high utilization a
 * backend is briefly fully busy with a queue by chance, which is normal queueing, not
 * overload. Ranges with rejections are always listed.
 */
export const SATURATION_MIN_INTERVALS = 3;

/** Percentiles listed in `latencyPercentiles`: dense in the tail, where overload shows. */
export const LATENCY_PERCENTILES: readonly number[] = [1, 5, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100];

const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
const r3 = (x: number) => round(x, 3);
const r6 = (x: number) => round(x, 6);

export interface ReportInput {
  scenario: Scenario;
  seed: number;
  algorithm: string;
  sim: Simulation;
}

export function buildReport({ scenario, seed, algorithm, sim }: ReportInput): Report {
  const rec = sim.recorder;
  const bs = sim.backends;
  const B = bs.count;
  const endUs = Math.round(sim.now * 1000);
  const measuredUs = rec.measuredUs(endUs);

  const overall = createHistogram(3);
  const backends: BackendReport[] = [];
  let pickedTotal = 0;
  for (let b = 0; b < B; b++) pickedTotal += rec.picked[b]!;
  for (let b = 0; b < B; b++) {
    overall.add(rec.bHist[b]!);
    const conc = bs.concurrency[b]!;
    backends.push({
      name: bs.names[b]!,
      weight: bs.weight[b]!,
      concurrency: conc,
      requests: rec.picked[b]!,
      share: pickedTotal > 0 ? r6(rec.picked[b]! / pickedTotal) : 0,
      completed: rec.bCompleted[b]!,
      rejected: rec.bRejected[b]!,
      timedOut: rec.bTimedOut[b]!,
      utilization: measuredUs > 0 ? r6(rec.bBusyAreaUs[b]! / (conc * measuredUs)) : 0,
      meanQueue: measuredUs > 0 ? r3(rec.bQueueAreaUs[b]! / measuredUs) : 0,
      maxQueue: rec.bMaxQueue[b]!,
      maxInFlight: rec.bMaxInFlight[b]!,
      latency: summarize(rec.bHist[b]!, rec.bLatencySumUs[b]!),
    });
  }
  const latency = summarize(overall, rec.latencySumUs);
  const latencyPercentiles = LATENCY_PERCENTILES.map((p) => ({ p, ms: overall.totalCount > 0 ? Math.round(overall.getValueAtPercentile(p)) / 1000 : 0 }));
  overall.destroy();

  const timeseries = buildTimeSeries(sim, endUs);
  const report: Report = {
    schema: REPORT_SCHEMA_VERSION,
    scenario: scenario.name,
    seed,
    algorithm,
    start: scenario.startEpochMs === undefined ? null : new Date(scenario.startEpochMs).toISOString(),
    duration: scenario.durationMs,
    warmup: scenario.warmupMs,
    timeout: Number.isFinite(scenario.timeoutMs) ? scenario.timeoutMs : null,
    simulatedUntil: r3(sim.now),
    requests: {
      total: rec.total,
      completed: rec.completed,
      rejected: rec.rejected,
      timedOut: rec.timedOut,
      rejectedNoBackend: rec.rejectedNoBackend,
      failedShare: rec.total > 0 ? r6((rec.rejected + rec.timedOut) / rec.total) : 0,
    },
    latency,
    backends,
    imbalance: imbalance(backends.map((b) => b.requests)),
    overload: overloadRanges(timeseries),
    timeseries,
    slo: scenario.slo === undefined ? null : { ...scenario.slo },
    latencyPercentiles,
  };
  return report;
}

export function imbalance(requests: readonly number[]): Report['imbalance'] {
  const n = requests.length;
  let sum = 0;
  let sumSq = 0;
  let max = 0;
  for (const x of requests) {
    sum += x;
    sumSq += x * x;
    if (x > max) max = x;
  }
  if (sum === 0) return { maxOverMean: 0, jain: 0 };
  return { maxOverMean: r6((max * n) / sum), jain: r6((sum * sum) / (n * sumSq)) };
}

function buildTimeSeries(sim: Simulation, endUs: number): TimeSeries {
  const rec = sim.recorder;
  const iv = rec.intervals;
  const bi = rec.backendIntervals;
  const B = sim.backends.count;
  const rows = iv.arrivals.rows;
  const start: number[] = [];
  const failedShare: number[] = [];
  const lengthUs: number[] = [];
  for (let r = 0; r < rows; r++) {
    const s = r * rec.intervalUs;
    start.push(s / 1000);
    lengthUs.push(Math.max(Math.min(rec.intervalUs, endUs - s), 1));
    const a = iv.arrivals.get(r);
    failedShare.push(a > 0 ? r6((iv.rejected.get(r) + iv.timedOut.get(r)) / a) : 0);
  }
  const backends: BackendSeries[] = [];
  for (let b = 0; b < B; b++) {
    const conc = sim.backends.concurrency[b]!;
    const series: BackendSeries = {
      name: sim.backends.names[b]!,
      utilization: [],
      meanQueue: [],
      maxQueue: [],
      meanInFlight: [],
      maxInFlight: [],
      requests: [],
      rejected: [],
    };
    for (let r = 0; r < rows; r++) {
      const busy = bi.busyAreaUs.get(r, b);
      const queue = bi.queueAreaUs.get(r, b);
      series.utilization.push(r6(busy / (conc * lengthUs[r]!)));
      series.meanQueue.push(r3(queue / lengthUs[r]!));
      series.maxQueue.push(bi.maxQueue.get(r, b));
      series.meanInFlight.push(r3((busy + queue) / lengthUs[r]!));
      series.maxInFlight.push(bi.maxInFlight.get(r, b));
      series.requests.push(bi.picked.get(r, b));
      series.rejected.push(bi.rejected.get(r, b));
    }
    backends.push(series);
  }
  return {
    interval: rec.intervalUs / 1000,
    warmupIntervals: Math.min(Math.ceil(rec.warmupUs / rec.intervalUs), rows),
    start,
    arrivals: iv.arrivals.series(),
    completed: iv.completed.series(),
    rejected: iv.rejected.series(),
    timedOut: iv.timedOut.series(),
    failedShare,
    p50: iv.p50.series().map(r3),
    p90: iv.p90.series().map(r3),
    p99: iv.p99.series().map(r3),
    max: iv.max.series().map(r3),
    backends,
  };
}

/** Consecutive intervals in which a backend was saturated or rejecting, as time ranges. */
export function overloadRanges(ts: TimeSeries): OverloadRange[] {
  const out: OverloadRange[] = [];
  const rows = ts.start.length;
  const lasting = (o: OverloadRange) => o.kind === 'rejecting' || o.to - o.from >= SATURATION_MIN_INTERVALS * ts.interval - 1e-9;
  for (const s of ts.backends) {
    let open: OverloadRange | undefined;
    for (let r = 0; r <= rows; r++) {
      if (r === rows) {
        if (open !== undefined && !lasting(open)) out.pop();
        break;
      }
      const rejecting = s.rejected[r]! > 0;
      const saturated = s.utilization[r]! >= SATURATION_UTILIZATION && s.meanQueue[r]! >= SATURATION_MEAN_QUEUE;
      if (rejecting || saturated) {
        if (open === undefined) {
          open = { backend: s.name, from: ts.start[r]!, to: ts.start[r]! + ts.interval, kind: 'saturated', rejected: 0, maxQueue: 0 };
          out.push(open);
        }
        open.to = ts.start[r]! + ts.interval;
        open.rejected += s.rejected[r]!;
        if (s.maxQueue[r]! > open.maxQueue) open.maxQueue = s.maxQueue[r]!;
        if (rejecting) open.kind = 'rejecting';
      } else {
        if (open !== undefined && !lasting(open)) out.pop();
        open = undefined;
      }
    }
  }
  // Stable sort: equal starts keep backend order. (No localeCompare: it depends on the locale.)
  return out.sort((a, b) => a.from - b.from);
}
