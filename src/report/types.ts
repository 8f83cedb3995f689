/**
 * The JSON report: the contract later tools and checks rely on. Field names listed in
 * the README are stable; fields may be added. Times are ms from simulated t = 0; latency
 * is in ms with microsecond resolution; shares are fractions 0..1.
 */
import type { LatencySummary } from '../metrics/histogram.ts';

export const REPORT_SCHEMA_VERSION = 1;

export interface BackendReport {
  name: string;
  weight: number;
  concurrency: number;
  /** Requests the balancer picked this backend for (accepted or rejected by it). */
  requests: number;
  share: number;
  completed: number;
  rejected: number;
  timedOut: number;
  /** Busy slots / concurrency, time-averaged over the measured period. */
  utilization: number;
  meanQueue: number;
  maxQueue: number;
  maxInFlight: number;
  latency: LatencySummary;
  /** The proxy's limit on requests open on this backend (maxconn / max_conns), or null for none. */
  maxconn: number | null;
  /** Requests sent here after waiting in a proxy queue (src/engine/proxy.ts), and how long they waited there (ms). */
  proxyQueued: number;
  proxyWait: { mean: number; max: number };
  /** What the balancer knew of this backend; present only when the scenario uses server-health knobs (checks, backups, slow start). */
  health?: BackendHealthReport;
  /** Its Envoy priority level; present only when the scenario has levels (a backend's `priority` above 0). */
  priority?: number;
  /** Its Envoy locality ("" for none); present only when some backend has one. */
  locality?: string;
}

/** Server health of one backend over the measured period (src/engine/server-health.ts). */
export interface BackendHealthReport {
  /** Requests the balancer sent while the backend was in an outage (refused; part of `rejected`). */
  sentWhileDown: number;
  /** Times a detection marked it down: active checks, nginx max_fails, Envoy outlier ejection. */
  markedDown: number;
  /** Envoy outlier-detection ejections (also in markedDown). */
  ejections: number;
}

export interface OverloadRange {
  backend: string;
  from: number;
  to: number;
  /** 'rejecting' when the backend refused requests in the range, else 'saturated' (all slots busy, a queue waiting). */
  kind: 'saturated' | 'rejecting';
  rejected: number;
  maxQueue: number;
}

export interface BackendSeries {
  name: string;
  utilization: number[];
  meanQueue: number[];
  maxQueue: number[];
  meanInFlight: number[];
  maxInFlight: number[];
  requests: number[];
  rejected: number[];
}

export interface TimeSeries {
  interval: number;
  /** Intervals that start before warm-up ends (their requests are not in the totals). */
  warmupIntervals: number;
  start: number[];
  arrivals: number[];
  completed: number[];
  rejected: number[];
  timedOut: number[];
  /** (rejected + timedOut) / (completed + rejected + timedOut): failures among the outcomes resolved in the interval. */
  failedShare: number[];
  /** Latency of requests completed within the timeout, in the interval they completed. */
  p50: number[];
  p90: number[];
  p99: number[];
  max: number[];
  /** Retries started in the interval. */
  retries: number[];
  /** Requests waiting at the proxy (all its queues): time-weighted mean and maximum. */
  proxyQueue: number[];
  maxProxyQueue: number[];
  backends: BackendSeries[];
}

export interface Report {
  schema: number;
  scenario: string;
  seed: number;
  algorithm: string;
  /** The algorithm's options as the run took them (a scenario's, or an imported config's: `hash_key`, `hash_balance_factor`, ...); absent when there are none. */
  options?: Record<string, unknown>;
  /**
   * Session persistence in front of the algorithm (balancer.persistence), ms, null for no
   * limit; `withoutCookie`, the servers that set no cookie, when there are any; `persist`
   * (HAProxy `option persist`) when on; `tableSize`, a stick table's size, when set.
   * Absent without it.
   */
  persistence?: { maxIdle: number | null; maxLife: number | null; withoutCookie?: string[]; persist?: true; tableSize?: number };
  /** ISO-8601 wall-clock time of t = 0 when the scenario sets `start`. */
  start: string | null;
  duration: number;
  warmup: number;
  timeout: number | null;
  /** When the last event happened (the run drains its queues, or stops at duration + timeout). */
  simulatedUntil: number;
  requests: {
    total: number;
    completed: number;
    rejected: number;
    timedOut: number;
    /** Rejected because no backend could be picked (all down or drained). Included in `rejected`. */
    rejectedNoBackend: number;
    failedShare: number;
    /**
     * Rejected by the proxy's own limits (src/engine/proxy.ts): every server at maxconn and
     * no queue (nginx 502), a server queue at maxqueue, an Envoy circuit breaker, or a wait
     * past timeout_queue. Included in `rejected`.
     */
    rejectedByProxy: number;
    /** Rejected after waiting timeout_queue at the proxy (HAProxy's 503). Included in `rejectedByProxy`. */
    queueTimeouts: number;
    /** Requests that waited in a proxy queue (each visit counted). */
    proxyQueued: number;
    /** Attempts after the first (retries); `total + retries` attempts in all. */
    retries: number;
    /** (total + retries) / total: how much a retry storm multiplies the load offered. */
    attemptsPerRequest: number;
    /** Retries the policy wanted that the retry budget or max_retries refused. */
    retryOverflow: number;
  };
  latency: LatencySummary;
  backends: BackendReport[];
  imbalance: {
    /** Largest backend share over the mean share (1 = perfectly even). */
    maxOverMean: number;
    /** Jain's fairness index of requests per backend: 1 = even, 1/n = all on one. */
    jain: number;
  };
  overload: OverloadRange[];
  timeseries: TimeSeries;
  /** The scenario's service-level objectives (latency ms, shares 0..1), or null when it sets none. */
  slo: ReportSlo | null;
  /** Overall latency (ms) at fixed percentiles, from the same histogram as `latency`: the distribution's shape for plots. */
  latencyPercentiles: LatencyPercentile[];
}

export interface ReportSlo {
  p99?: number;
  p999?: number;
  errors?: number;
  maxUtilization?: number;
}

export interface LatencyPercentile {
  /** Percentile, 0..100. */
  p: number;
  ms: number;
}
