/**
 * The knobs of what a balancer knows about its servers (server-health.ts), as the engine
 * takes them: units resolved to ms, defaults applied by the scenario loader.
 */

/** Sub-kinds of the engine's Health events; also their rank among equal-time Health events. */
export const HealthTask = { Check: 0, PassiveRecovery: 1, OutlierSweep: 2, WeightTick: 3 } as const;

/** How a request sent to a backend failed. */
export const Failure = {
  /** The backend is in an outage: the connection is refused at once (nginx "error", Envoy a local-origin 503). */
  Refused: 0,
  /** The backend's queue is full: it answers 503 at once. */
  Rejected: 1,
  /** The answer came after the client timeout (nginx "timeout", Envoy 504). */
  TimedOut: 2,
} as const;
export type Failure = (typeof Failure)[keyof typeof Failure];

/**
 * Active health checks of one backend: HAProxy 2.6 `check inter <ms> rise <n> fall <n>`;
 * Envoy 1.28 `health_checks` (interval, healthy_threshold = rise, unhealthy_threshold = fall).
 */
export interface ActiveCheckSpec {
  /** Time between two checks. @default 2000 (HAProxy's `inter`) */
  interMs: number;
  /** Consecutive successes that bring a server marked down back up. @default 2 */
  rise: number;
  /** Consecutive failures that mark a server down. @default 3 */
  fall: number;
}

export const ACTIVE_CHECK_DEFAULTS: ActiveCheckSpec = { interMs: 2000, rise: 2, fall: 3 };

/** Passive checks of one backend: nginx 1.22 `max_fails` / `fail_timeout`. */
export interface PassiveCheckSpec {
  /** Failed attempts that make the server unavailable; 0 disables the accounting. @default 1 */
  maxFails: number;
  /** The window failures count in, and how long the server is then unavailable. @default 10000 */
  failTimeoutMs: number;
}

export const PASSIVE_CHECK_DEFAULTS: PassiveCheckSpec = { maxFails: 1, failTimeoutMs: 10_000 };

/** Slow start of one backend after it comes (back) up, as one of the proxies computes it. */
export type SlowStartSpec =
  /**
   * HAProxy 2.6 `slowstart <time>`: eweight steps up every second, and so does the
   * server's maxconn (srv_dynamic_maxconn) unless `maxconn` is false (nginx Plus
   * `slow_start`, which ramps the weight only). @default maxconn true
   */
  | { proxy: 'haproxy'; periodMs: number; maxconn?: boolean }
  /** Envoy 1.28 `slow_start_config`: weight × max(min_weight_percent, time_factor^(1/aggression)). */
  | { proxy: 'envoy'; windowMs: number; aggression: number; minWeightPercent: number };

export const ENVOY_SLOW_START_DEFAULTS = { aggression: 1, minWeightPercent: 10 } as const;

/** Envoy 1.28 outlier detection (config.cluster.v3.OutlierDetection), the fields lbsim models. */
export interface OutlierSpec {
  /** @default 5 */
  consecutive5xx: number;
  /** Time between ejection sweeps. @default 10000 */
  intervalMs: number;
  /** @default 30000 */
  baseEjectionMs: number;
  /** @default 300000 */
  maxEjectionMs: number;
  /** @default 10 */
  maxEjectionPercent: number;
  /** 0 or 100 (lbsim does not draw partial enforcement). @default 100 */
  enforcingConsecutive5xx: number;
  /** Eject one host even when max_ejection_percent allows none. @default false */
  alwaysEjectOneHost: boolean;
  /** 0 or 100. @default 100 */
  enforcingSuccessRate: number;
  /** @default 5 */
  successRateMinimumHosts: number;
  /** @default 100 */
  successRateRequestVolume: number;
  /** Envoy's success_rate_stdev_factor / 1000. @default 1.9 */
  successRateStdevFactor: number;
}

export const OUTLIER_DEFAULTS: OutlierSpec = {
  consecutive5xx: 5,
  intervalMs: 10_000,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  maxEjectionPercent: 10,
  enforcingConsecutive5xx: 100,
  alwaysEjectOneHost: false,
  enforcingSuccessRate: 100,
  successRateMinimumHosts: 5,
  successRateRequestVolume: 100,
  successRateStdevFactor: 1.9,
};
