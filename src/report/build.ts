/**
 * Derives the report from a finished run's raw statistics. All rates, shares,
 * percentiles and overload ranges are computed here, once. Numbers are rounded to fixed
 * decimals so the JSON is stable and readable.
 */
import { usesServerHealth } from '../engine/server-health.ts';
import { createHistogram, summarize } from '../metrics/histogram.ts';
import { instantUs } from '../metrics/recorder.ts';
import { type RunMetrics, rowCount } from '../metrics/run-metrics.ts';
import type { Persistence } from '../balancers/persistence.ts';
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
  metrics: RunMetrics;
}

export function buildReport({ scenario, seed, algorithm, metrics }: ReportInput): Report {
  const t = metrics.totals;
  const specs = scenario.backends;
  const B = specs.length;
  const endUs = instantUs(metrics.endMs);
  const measuredUs = Math.max(endUs - Math.round(metrics.warmupMs * 1000), 0);

  // Health fields only when the knobs are used, so reports without them stay as they were.
  const health = usesServerHealth(specs, scenario.serverSet);
  // Priority levels likewise only when the scenario has some.
  const levels = specs.some((s) => (s.priority ?? 0) > 0);
  const localities = specs.some((s) => (s.locality ?? '') !== '');
  const overall = createHistogram(3);
  const backends: BackendReport[] = [];
  let pickedTotal = 0;
  for (let b = 0; b < B; b++) pickedTotal += t.picked[b]!;
  for (let b = 0; b < B; b++) {
    overall.add(t.histograms[b]!);
    const conc = specs[b]!.concurrency;
    backends.push({
      name: specs[b]!.name,
      weight: specs[b]!.weight,
      concurrency: conc,
      requests: t.picked[b]!,
      share: pickedTotal > 0 ? r6(t.picked[b]! / pickedTotal) : 0,
      completed: t.completedBy[b]!,
      rejected: t.rejectedBy[b]!,
      timedOut: t.timedOutBy[b]!,
      utilization: measuredUs > 0 ? r6(t.busyAreaUs[b]! / (conc * measuredUs)) : 0,
      meanQueue: measuredUs > 0 ? r3(t.queueAreaUs[b]! / measuredUs) : 0,
      maxQueue: t.maxQueue[b]!,
      maxInFlight: t.maxInFlight[b]!,
      latency: summarize(t.histograms[b]!, t.latencySumUsBy[b]!, t.maxLatencyUsBy[b]!),
      maxconn: Number.isFinite(specs[b]!.maxconn ?? Infinity) ? specs[b]!.maxconn! : null,
      proxyQueued: t.proxyQueuedBy[b]!,
      proxyWait: { mean: t.proxyQueuedBy[b]! > 0 ? r3(t.proxyWaitUsBy[b]! / t.proxyQueuedBy[b]! / 1000) : 0, max: t.maxProxyWaitUsBy[b]! / 1000 },
      ...(health ? { health: { sentWhileDown: t.sentWhileDown[b]!, markedDown: t.markedDown[b]!, ejections: t.ejections[b]! } } : {}),
      ...(levels ? { priority: specs[b]!.priority ?? 0 } : {}),
      ...(localities ? { locality: specs[b]!.locality ?? '' } : {}),
    });
  }
  const maxUs = Math.max(0, ...t.maxLatencyUsBy);
  // Whole µs per backend: their sum is exact (the run has no total of its own, which the hot loop would keep too).
  const latency = summarize(overall, t.latencySumUsBy.reduce((a, x) => a + x, 0), maxUs);
  const latencyPercentiles = LATENCY_PERCENTILES.map((p) => ({ p, ms: overall.totalCount > 0 ? Math.round(Math.min(overall.getValueAtPercentile(p), maxUs)) / 1000 : 0 }));
  overall.destroy();

  const timeseries = buildTimeSeries(scenario, metrics, endUs);
  const report: Report = {
    schema: REPORT_SCHEMA_VERSION,
    scenario: scenario.name,
    seed,
    algorithm,
    ...(Object.keys(scenario.balancer.options).length === 0 ? {} : { options: scenario.balancer.options }),
    ...(scenario.persistence === undefined ? {} : { persistence: persistenceOfReport(scenario.persistence) }),
    start: scenario.startEpochMs === undefined ? null : new Date(scenario.startEpochMs).toISOString(),
    duration: scenario.durationMs,
    warmup: scenario.warmupMs,
    timeout: Number.isFinite(scenario.timeoutMs) ? scenario.timeoutMs : null,
    simulatedUntil: r3(metrics.endMs),
    requests: {
      total: t.total,
      completed: t.completed,
      rejected: t.rejected,
      timedOut: t.timedOut,
      rejectedNoBackend: t.rejectedNoBackend,
      failedShare: t.total > 0 ? r6((t.rejected + t.timedOut) / t.total) : 0,
      rejectedByProxy: t.rejectedByProxy,
      queueTimeouts: t.queueTimeouts,
      proxyQueued: t.proxyQueued,
      retries: t.retries,
      attemptsPerRequest: t.total > 0 ? r6((t.total + t.retries) / t.total) : 0,
      retryOverflow: t.retryOverflow,
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

function buildTimeSeries(scenario: Scenario, m: RunMetrics, endUs: number): TimeSeries {
  const iv = m.intervals;
  const bi = m.backendIntervals;
  const B = m.backends;
  const rows = rowCount(m);
  const intervalUs = Math.round(m.intervalMs * 1000);
  const start: number[] = [];
  const failedShare: number[] = [];
  const lengthUs: number[] = [];
  for (let r = 0; r < rows; r++) {
    const s = (m.firstInterval + r) * intervalUs;
    start.push(s / 1000);
    lengthUs.push(Math.max(Math.min(intervalUs, endUs - s), 1));
    // Outcomes resolved in the interval: failures over all of them (arrivals resolve later when they queue).
    const failed = iv.rejected[r]! + iv.timedOut[r]!;
    const resolved = failed + iv.completed[r]!;
    failedShare.push(resolved > 0 ? r6(failed / resolved) : 0);
  }
  const backends: BackendSeries[] = [];
  for (let b = 0; b < B; b++) {
    const conc = scenario.backends[b]!.concurrency;
    const series: BackendSeries = {
      name: scenario.backends[b]!.name,
      utilization: [],
      meanQueue: [],
      maxQueue: [],
      meanInFlight: [],
      maxInFlight: [],
      requests: [],
      rejected: [],
    };
    for (let r = 0; r < rows; r++) {
      const at = r * B + b;
      const busy = bi.busyAreaUs[at]!;
      const queue = bi.queueAreaUs[at]!;
      series.utilization.push(r6(busy / (conc * lengthUs[r]!)));
      series.meanQueue.push(r3(queue / lengthUs[r]!));
      series.maxQueue.push(bi.maxQueue[at]!);
      series.meanInFlight.push(r3((busy + queue) / lengthUs[r]!));
      series.maxInFlight.push(bi.maxInFlight[at]!);
      series.requests.push(bi.picked[at]!);
      series.rejected.push(bi.rejected[at]!);
    }
    backends.push(series);
  }
  const warmupUs = Math.round(m.warmupMs * 1000);
  return {
    interval: m.intervalMs,
    warmupIntervals: Math.min(Math.ceil(warmupUs / intervalUs), rows),
    start,
    arrivals: Array.from(iv.arrivals),
    completed: Array.from(iv.completed),
    rejected: Array.from(iv.rejected),
    timedOut: Array.from(iv.timedOut),
    failedShare,
    p50: Array.from(iv.p50, r3),
    p90: Array.from(iv.p90, r3),
    p99: Array.from(iv.p99, r3),
    max: Array.from(iv.max, r3),
    retries: Array.from(iv.retries),
    proxyQueue: Array.from(iv.proxyQueueAreaUs, (a, r) => r3(a / lengthUs[r]!)),
    maxProxyQueue: Array.from(iv.maxProxyQueue),
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

const finiteOrNull = (ms: number): number | null => (Number.isFinite(ms) ? ms : null);

/** The report's `persistence`: limits in ms (null: none), the servers that set no cookie when there are any, `persist` when on, a stick table's size when set. */
function persistenceOfReport(p: Persistence): Report['persistence'] {
  return { maxIdle: finiteOrNull(p.maxIdleMs), maxLife: finiteOrNull(p.maxLifeMs), ...(p.withoutCookie.length === 0 ? {} : { withoutCookie: [...p.withoutCookie] }), ...(p.persist ? { persist: true as const } : {}), ...(Number.isFinite(p.tableSize) ? { tableSize: p.tableSize } : {}) };
}
