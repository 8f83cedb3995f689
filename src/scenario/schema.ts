/**
 * The scenario file format, as a zod schema. Units are parsed here (durations to ms,
 * rates to per second), so everything past this file works in plain numbers.
 * Unknown keys are errors (a typo must not be silently ignored), except in `balancer`,
 * whose extra keys are the algorithm's options.
 */
import { z } from 'zod';
import { BUILTIN_BALANCERS, isBalancerPath } from '../balancers/registry.ts';
import { formatDuration, parseDuration, parseRate } from './units.ts';
import { TRACE_ONLY_FIELDS, traceFields } from '../traffic/trace-schema.ts';

const DURATION_HINT = 'a duration such as 250ms, 30s, 10m, 1h or a number of milliseconds';
const RATE_HINT = 'a rate such as 900/s, 54000/m or a number per second';

export const duration = z.union([z.number(), z.string()], { error: `expected ${DURATION_HINT}` }).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (!Number.isFinite(ms) || ms < 0) {
    ctx.addIssue({ code: 'custom', message: `expected ${DURATION_HINT}, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return ms;
});

export const positiveDuration = duration.refine((ms) => ms > 0, { message: 'expected a duration greater than zero' });

export const rate = z.union([z.number(), z.string()], { error: `expected ${RATE_HINT}` }).transform((v, ctx) => {
  const r = parseRate(v);
  if (!Number.isFinite(r) || r < 0) {
    ctx.addIssue({ code: 'custom', message: `expected ${RATE_HINT} (not negative), got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return r;
});

const positiveNumber = (what: string) => z.number({ error: `expected ${what}` }).positive({ message: `expected ${what} greater than 0` });

const service = z.discriminatedUnion(
  'distribution',
  [
    z.strictObject({ distribution: z.literal('constant'), mean: positiveDuration }),
    z.strictObject({ distribution: z.literal('exponential'), mean: positiveDuration }),
    z.strictObject({ distribution: z.literal('lognormal'), mean: positiveDuration, cv: positiveNumber('a coefficient of variation (stddev/mean)') }),
    z.strictObject({
      distribution: z.literal('pareto'),
      mean: positiveDuration,
      shape: z.number().gt(1, { message: 'expected a Pareto shape (alpha) above 1, or the mean is infinite' }).default(2.5),
    }),
  ],
  { error: 'expected distribution: constant, exponential, lognormal or pareto' },
);

const population = z.strictObject({
  count: z.number().int().positive({ message: 'expected a whole number of keys above 0' }),
  skew: z.number().min(0, { message: 'expected a Zipf skew >= 0 (0 = uniform)' }).default(0),
});

const ratePoint = z.strictObject({ at: duration, rate });

const synthetic = z
  .strictObject({
    rate: rate.optional(),
    profile: z.array(ratePoint).min(1, { message: 'expected at least one {at, rate} point' }).optional(),
    service,
    clients: population.optional(),
    routes: population.optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.rate === undefined) === (s.profile === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'expected exactly one of `rate` (constant) or `profile` (points over time)', path: ['rate'] });
    }
    if (s.rate === 0) ctx.addIssue({ code: 'custom', message: 'expected a rate above 0', path: ['rate'] });
    // Points are read in order (equal times make a step): a point before its predecessor is a typo, not something to sort away.
    s.profile?.forEach((p, i) => {
      const prev = s.profile![i - 1];
      if (prev !== undefined && p.at < prev.at) {
        ctx.addIssue({ code: 'custom', message: `must be after the previous point (at ${formatDuration(prev.at)}), or at it for a step: points go in time order`, path: ['profile', i, 'at'] });
      }
    });
  });

/**
 * Server health knobs (src/engine/server-health.ts; resolved by server-knobs.ts). In the
 * balancer section they apply to every backend; a backend's own value wins.
 */
const count = (what: string, min: number) => z.number({ error: `expected ${what}` }).int({ message: `expected a whole number of ${what}` }).min(min, { message: `expected ${what} >= ${min}` });
/** HAProxy `check inter rise fall` / Envoy health_checks (interval, healthy_threshold, unhealthy_threshold). */
export const healthCheck = z.strictObject({
  interval: positiveDuration.default(2000),
  rise: count('successes (rise)', 1).default(2),
  fall: count('failures (fall)', 1).default(3),
});
const percent = (what: string) => z.number({ error: `expected ${what} (0..100)` }).min(0, { message: `expected ${what} >= 0` }).max(100, { message: `expected ${what} <= 100` });
const enforcing = z.union([z.literal(0), z.literal(100)], { error: 'expected 0 or 100 (lbsim does not draw partial enforcement)' });
/** Envoy outlier_detection (names as in config.cluster.v3.OutlierDetection, durations in lbsim units). */
export const outlierDetection = z.strictObject({
  consecutive_5xx: count('failures', 1).default(5),
  interval: positiveDuration.default(10_000),
  base_ejection_time: positiveDuration.default(30_000),
  max_ejection_time: positiveDuration.default(300_000),
  max_ejection_percent: percent('a percentage of hosts').default(10),
  enforcing_consecutive_5xx: enforcing.default(100),
  enforcing_success_rate: enforcing.default(100),
  success_rate_minimum_hosts: count('hosts', 0).default(5),
  success_rate_request_volume: count('requests', 0).default(100),
  success_rate_stdev_factor: z.number().min(0).default(1900),
  always_eject_one_host: z.boolean().default(false),
});
/** Envoy slow_start_config. */
export const slowStartConfig = z.strictObject({
  slow_start_window: positiveDuration,
  aggression: z.number().gt(0, { message: 'expected an aggression > 0' }).default(1),
  min_weight_percent: percent('a minimum weight percentage').default(10),
});
const serverKnobs = {
  health_check: z.union([z.literal(false), healthCheck], { error: 'expected { interval, rise, fall } or false' }).optional(),
  max_fails: count('failures (max_fails)', 0).optional(),
  fail_timeout: positiveDuration.optional(),
  slowstart: duration.optional(),
};

const outage = z.strictObject({ from: duration, to: duration }).refine((o) => o.to > o.from, { message: 'expected `to` after `from`' });

const backend = z.strictObject({
  name: z.string({ error: 'expected a backend name' }).min(1),
  /** Expands to name-1..name-count. */
  count: z.number().int().positive({ message: 'expected a whole number of backends above 0' }).optional(),
  weight: z.number().min(0, { message: 'expected a weight >= 0' }).default(1),
  concurrency: z.number().int({ message: 'expected a whole number of slots' }).positive({ message: 'expected at least 1 slot' }).default(1),
  queue: z
    .union([z.number().int({ message: 'expected a whole number of requests' }).min(0, { message: 'expected a queue limit >= 0' }), z.literal('unbounded')], {
      error: 'expected a whole number of requests >= 0, or unbounded',
    })
    .default('unbounded')
    .transform((q) => (q === 'unbounded' ? Number.POSITIVE_INFINITY : q)),
  speed: positiveNumber('a speed').default(1),
  outages: z.array(outage).default([]),
  /** Used only when no primary backend is usable (HAProxy / nginx `backup`). */
  backup: z.boolean().optional(),
  /** Envoy priority level (LocalityLbEndpoints.priority): 0 is the highest; envoy/* algorithms fail over level by level. */
  /** Envoy locality (LocalityLbEndpoints.locality) as "region/zone/sub_zone", for `locality_weighted_lb`. */
  locality: z.string({ error: 'expected a locality name such as us-east-1/us-east-1a' }).optional(),
  priority: z.number({ error: 'expected a priority level (a whole number 0..127)' }).int({ message: 'expected a whole number (a priority level)' }).min(0, { message: 'expected a priority level >= 0' }).max(127, { message: 'expected a priority level <= 127' }).optional(),
  ...serverKnobs,
  /** Most requests the proxy sends it at once (HAProxy maxconn, nginx max_conns); the rest wait at the proxy (src/engine/proxy.ts). */
  maxconn: z.number().int({ message: 'expected a whole number of connections' }).positive({ message: 'expected a maxconn of at least 1' }).optional(),
  /** Most requests waiting for it at the proxy (HAProxy maxqueue). */
  maxqueue: z.number().int({ message: 'expected a whole number of requests' }).positive({ message: 'expected a maxqueue of at least 1 (leave it out for no limit)' }).optional(),
})
  .refine((b) => b.maxqueue === undefined || b.maxconn !== undefined, { message: 'maxqueue needs a maxconn (a server only queues at the proxy when it is full)', path: ['maxqueue'] })
  .refine((b) => b.backup !== true || (b.priority ?? 0) === 0, { message: 'a backend is either a backup (HAProxy, nginx) or on an Envoy priority level above 0, not both', path: ['priority'] });

const wholeAtLeast = (min: number, what: string) => z.number({ error: `expected ${what}` }).int({ message: `expected a whole number (${what})` }).min(min, { message: `expected ${what} >= ${min}` });

/**
 * The proxy's own knobs in the balancer section (src/engine/proxy.ts): they are read here
 * and taken out before the rest goes to the algorithm as its options.
 */
export const PROXY_FIELDS = {
  proxy_queue: z.boolean({ error: 'expected true (requests wait at the proxy when every server is full, HAProxy) or false (they fail at once, nginx)' }).optional(),
  timeout_queue: positiveDuration.optional(),
  max_requests: wholeAtLeast(1, 'a number of requests').optional(),
  max_pending_requests: wholeAtLeast(0, 'a number of requests').optional(),
  retries: wholeAtLeast(0, 'a number of retries').max(100, { message: 'expected at most 100 retries' }).optional(),
  retry_on: z
    .array(
      // YAML reads a bare 503 as a number.
      z.union([z.enum(['refused', '503', 'timeout']), z.literal(503).transform(() => '503' as const)], { error: 'expected refused (backend down), 503 (backend queue full) or timeout (per_try_timeout)' }),
    )
    .min(1, { message: 'expected at least one of refused, 503, timeout' })
    .optional(),
  redispatch: z.union([z.boolean(), z.enum(['never', 'last', 'always']), z.number().int()], { error: 'expected never, last (HAProxy option redispatch), always, true (= last) / false (= never), or a whole number (HAProxy option redispatch <interval>)' }).optional(),
  per_try_timeout: positiveDuration.optional(),
  /** HAProxy `timeout connect`: haproxy/* wait MIN(1 s, it) before retrying after a connection failure. */
  timeout_connect: positiveDuration.optional(),
  /** Envoy `retry_back_off` (the default for envoy/*: 25 ms, max 10 × base), or none (retry at once). */
  retry_backoff: z
    .union(
      [
        z.literal('none'),
        z
          .strictObject({ base_interval: positiveDuration, max_interval: positiveDuration.optional() })
          .refine((b) => b.max_interval === undefined || b.max_interval >= b.base_interval, { message: 'expected max_interval >= base_interval (Envoy retry_back_off)', path: ['max_interval'] }),
      ],
      { error: "expected none, or { base_interval: 25ms, max_interval: 250ms } (Envoy's retry_back_off)" },
    )
    .optional(),
  /** Envoy retry_host_predicate envoy.retry_host_predicates.previous_hosts: retries avoid hosts already tried. */
  retry_host_predicate: z.literal('previous_hosts', { error: 'expected previous_hosts (Envoy envoy.retry_host_predicates.previous_hosts)' }).optional(),
  /** Envoy host_selection_retry_max_attempts: re-picks per retry under the predicate. @default 1 */
  host_selection_retry_max_attempts: wholeAtLeast(1, 'a number of host selection attempts').max(63, { message: 'expected at most 63 host selection attempts' }).optional(),
  max_retries: wholeAtLeast(0, 'a number of concurrent retries').optional(),
  retry_budget: z
    .strictObject({
      budget_percent: z.number({ error: 'expected a percentage' }).min(0).max(100, { message: 'expected a percentage 0..100' }).default(20),
      min_retry_concurrency: wholeAtLeast(0, 'a number of retries').default(3),
    })
    .optional(),
} as const;
export const PROXY_KEYS = Object.keys(PROXY_FIELDS) as readonly (keyof typeof PROXY_FIELDS)[];
/** The proxy knobs as parsed (durations in ms), each optional. */
export type ProxyFields = { [K in keyof typeof PROXY_FIELDS]?: Exclude<z.output<(typeof PROXY_FIELDS)[K]>, undefined> };

const slo = z.strictObject({
  p99: positiveDuration.optional(),
  p999: positiveDuration.optional(),
  /** Largest acceptable share of failed requests (rejected + timed out), 0..1 or "1%". */
  errors: z
    .union([z.number(), z.string()])
    .transform((v, ctx) => {
      const x = typeof v === 'string' && v.trim().endsWith('%') ? Number(v.trim().slice(0, -1)) / 100 : Number(v);
      if (!Number.isFinite(x) || x < 0 || x > 1) {
        ctx.addIssue({ code: 'custom', message: `expected an error share such as 0.01 or "1%", got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return x;
    })
    .optional(),
  maxUtilization: z.number().gt(0).max(1, { message: 'expected a utilization between 0 and 1' }).optional(),
});

export const scenarioSchema = z
  .strictObject({
    name: z.string().optional(),
    description: z.string().optional(),
    seed: z.number().int().min(0, { message: 'expected a whole number >= 0' }).default(1),
    /** Wall-clock time of simulated t = 0, for display (ISO-8601). */
    start: z.iso.datetime({ offset: true, message: 'expected an ISO-8601 date-time such as 2024-04-15T08:00:00Z' }).optional(),
    duration: positiveDuration.optional(),
    warmup: duration.default(0),
    timeout: positiveDuration.optional(),
    traffic: z.strictObject({ synthetic: synthetic.optional(), ...traceFields }, { error: 'expected traffic: { synthetic: {...} } or traffic: { trace: FILE }' }),
    balancer: z.looseObject({
      algorithm: z
        .string({ error: 'expected an algorithm name or a path to a balancer file' })
        .min(1)
        .refine((a) => isBalancerPath(a) || BUILTIN_BALANCERS.has(a), {
          error: (issue) =>
            `unknown algorithm '${String(issue.input)}'; expected one of ${[...BUILTIN_BALANCERS.keys()].join(', ')} or a path to a balancer file (./my-balancer.js)`,
        })
        .optional(),
      /** A proxy config to import the balancer from (src/config-import): haproxy.cfg, nginx.conf, Envoy cluster YAML. */
      from: z.string({ error: 'expected the path of an haproxy.cfg, nginx.conf or Envoy cluster file' }).min(1).optional(),
      ...serverKnobs,
      outlier_detection: outlierDetection.optional(),
      slow_start_config: slowStartConfig.optional(),
      allbackups: z.boolean().optional(),
      /** Backup servers by name (as haproxy/leastconn's former option); a backend's `backup: true` does the same. */
      backup: z.array(z.string()).optional(),
      /** Session persistence in front of the algorithm (src/balancers/persistence.ts): HAProxy cookie persistence, nginx Plus sticky cookie. */
      persistence: z
        .strictObject(
          {
            by: z.literal('client', { error: 'expected client (the client key stands for the browser holding the cookie)' }).default('client'),
            max_idle: positiveDuration.optional(),
            max_life: positiveDuration.optional(),
            /** Servers that set no cookie (HAProxy servers without a `cookie` value), by backend name. */
            without_cookie: z.array(z.string()).optional(),
            /** HAProxy `option persist`: a client is sent to its server while that is down. */
            persist: z.boolean().optional(),
            /** HAProxy `stick-table ... size N`: most clients held; the oldest are trashed for new ones. */
            table_size: z.number({ error: 'expected a whole number of clients above 0' }).int({ message: 'expected a whole number of clients above 0' }).positive({ message: 'expected a whole number of clients above 0' }).optional(),
          },
          { error: "expected { by: client, max_idle: 30m, max_life: 8h, without_cookie: [names], persist: true, table_size: 200000 } (each optional): HAProxy's cookie or stick-table persistence" },
        )
        .optional(),
      ...PROXY_FIELDS,
    }).refine((b) => (b.algorithm === undefined) !== (b.from === undefined), {
      message: 'expected exactly one of `algorithm` or `from` (a proxy config file to import)',
      path: ['algorithm'],
    }),
    backends: z.array(backend, { error: 'expected a list of backends' }).min(1, { message: 'expected at least one backend' }),
    report: z.strictObject({ interval: positiveDuration.default(1000) }).default({ interval: 1000 }),
    slo: slo.optional(),
  })
  .superRefine((s, ctx) => {
    const t = s.traffic;
    if ((t.synthetic === undefined) === (t.trace === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'expected exactly one of `synthetic: {...}` or `trace: FILE`', path: ['traffic'] });
    }
    if (t.synthetic !== undefined) {
      for (const k of TRACE_ONLY_FIELDS) if (t[k] !== undefined) ctx.addIssue({ code: 'custom', message: `only for trace replay (traffic.trace)`, path: ['traffic', k] });
    }
    if (s.duration === undefined) {
      // A trace replay runs as long as its (windowed, sped-up) trace unless a duration cuts it.
      if (t.trace === undefined) ctx.addIssue({ code: 'custom', message: 'expected a duration for synthetic traffic (e.g. 10m)', path: ['duration'] });
    } else if (s.warmup >= s.duration) ctx.addIssue({ code: 'custom', message: 'expected warmup shorter than duration', path: ['warmup'] });
    if (s.backends.length > 0 && s.backends.every((b) => b.weight === 0)) {
      ctx.addIssue({ code: 'custom', message: 'all weights are zero: no backend can ever be picked', path: ['backends'] });
    }
    const seen = new Set<string>();
    s.backends.forEach((b, i) => {
      for (const name of expandNames(b.name, b.count)) {
        if (seen.has(name)) ctx.addIssue({ code: 'custom', message: `duplicate backend name '${name}'`, path: ['backends', i, 'name'] });
        seen.add(name);
      }
    });
  });

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioParsed = z.output<typeof scenarioSchema>;

/** `web` with count 3 is web-1, web-2, web-3; without a count, the name itself. */
export function expandNames(name: string, count: number | undefined): string[] {
  if (count === undefined) return [name];
  return Array.from({ length: count }, (_, i) => `${name}-${i + 1}`);
}
