/**
 * The few figures of a report that workflows compare and hold against an SLO (the check
 * itself: src/report/slo.ts), and the --slo flag. One place, so compare, diff and capacity
 * judge runs alike.
 */
import type { Report } from '../report/types.ts';
import type { Slo } from '../scenario/load.ts';

export interface RunMetrics {
  /** Requests counted (after warm-up): equal across alternatives run on the same seed. */
  requests: number;
  /** ms, over completed requests. */
  p50: number;
  p99: number;
  p999: number;
  mean: number;
  /** (rejected + timed out) / total, 0..1. */
  errors: number;
  /** Largest per-backend peak queue. */
  maxQueue: number;
  /** Most requests waiting at the proxy (all its queues) at any time; 0 without the proxy layer. */
  maxProxyQueue: number;
  /** Largest share over the mean share (1 = even). */
  imbalance: number;
  /** Busiest backend's time-averaged utilization, 0..1. */
  maxUtilization: number;
}

export type MetricName = keyof RunMetrics;

export function runMetrics(r: Report): RunMetrics {
  let maxQueue = 0;
  let maxUtilization = 0;
  for (const b of r.backends) {
    if (b.maxQueue > maxQueue) maxQueue = b.maxQueue;
    if (b.utilization > maxUtilization) maxUtilization = b.utilization;
  }
  return {
    requests: r.requests.total,
    p50: r.latency.p50,
    p99: r.latency.p99,
    p999: r.latency.p999,
    mean: r.latency.mean,
    errors: r.requests.failedShare,
    maxQueue,
    maxProxyQueue: r.timeseries.maxProxyQueue.reduce((a, x) => (x > a ? x : a), 0),
    imbalance: r.imbalance.maxOverMean,
    maxUtilization,
  };
}

/** Parses `--slo p99=250ms,errors=1%,p999=1s,maxUtilization=0.85`. Returns an error message on failure. */
export function parseSloFlag(text: string, parseDuration: (v: string) => number): Slo | string {
  const slo: Slo = {};
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^([A-Za-z0-9]+)\s*[=:]\s*(.+)$/.exec(part);
    if (!m) return `expected field=value pairs such as p99=250ms,errors=1%, got '${part}'`;
    const [, key, raw] = m as unknown as [string, string, string];
    if (key === 'p99' || key === 'p999') {
      const ms = parseDuration(raw);
      if (!Number.isFinite(ms) || ms <= 0) return `${key}: expected a duration such as 250ms, got '${raw}'`;
      slo[key] = ms;
    } else if (key === 'errors' || key === 'maxUtilization') {
      const x = raw.trim().endsWith('%') ? Number(raw.trim().slice(0, -1)) / 100 : Number(raw);
      if (!Number.isFinite(x) || x < 0 || x > 1) return `${key}: expected a share such as 0.01 or 1%, got '${raw}'`;
      slo[key] = x;
    } else return `unknown SLO field '${key}'; expected p99, p999, errors or maxUtilization`;
  }
  if (Object.keys(slo).length === 0) return 'expected at least one SLO field, such as p99=250ms';
  return slo;
}
