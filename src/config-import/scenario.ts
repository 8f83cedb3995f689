/**
 * The scenario side of config import: `balancer: { from: FILE, backend|upstream|cluster:
 * NAME, ...more options }`. The imported algorithm and options are used, with the
 * scenario's own extra keys on top (e.g. `instances: 8`). The scenario's `backends` model
 * the machines (concurrency, queue, speed, outages); each must carry the name of a server
 * in the imported balancer (HAProxy: the server name; nginx and Envoy: address:port), and
 * takes its weight from the config. A server without a backend, or a backend without a
 * server, is an error naming both lists. maxconn / max_conns (and HAProxy maxqueue) become
 * the backend's `maxconn` (`maxqueue`) unless the scenario gives its own: they limit what
 * the proxy sends, while `concurrency` is what the server can serve at once. The proxy's
 * queue timeout, retries, redispatch and circuit breakers become the proxy knobs of the
 * balancer section (`proxy`, see proxyFieldsOf), which the scenario's own keys override.
 * Backups, health checks and slow start become server-health knobs (importedKnobs
 * below); the scenario's own knobs (balancer.health_check, a backend's backup, ...) win.
 */
import { isAbsolute, resolve } from 'node:path';
import { LbsimError } from '../errors.ts';
import { PASSIVE_CHECK_DEFAULTS } from '../engine/server-health-types.ts';
import { importBalancerConfig, simulatedWeight } from './index.ts';
import type { ProxyFields } from '../scenario/schema.ts';
import { type Persistence, persistenceOf } from '../balancers/persistence.ts';
import type { ImportedBalancer } from './types.ts';
import type { ImportedKnobs } from '../scenario/server-knobs.ts';

const SELECTORS = ['backend', 'upstream', 'cluster'] as const;

export interface ResolvedBalancer {
  algorithm: string;
  options: Record<string, unknown>;
  imported?: ImportedBalancer;
  /** What the import says about server health (backups, checks, slow start, outlier detection). */
  importedKnobs?: ImportedKnobs;
  /** The proxy knobs the imported file sets, in the balancer section's parsed form (ms). */
  proxy?: ProxyFields;
  /** The session persistence the imported file sets (HAProxy `cookie`, `stick on src`; nginx Plus `sticky cookie`). */
  persistence?: Persistence;
}

/**
 * Resolves a scenario's balancer section. Without `from` it is `{ algorithm, options }`
 * as before. With `from`, imports the file (relative to `baseDir`) and sets each
 * backend's weight in `backends` (mutated) from the config.
 */
export function resolveBalancerSection(section: Record<string, unknown>, backends: { name: string; weight: number; maxconn?: number; maxqueue?: number; outages?: { from: number; to: number }[] }[], baseDir: string, scenarioFile: string): ResolvedBalancer {
  const { algorithm, from, ...rest } = section;
  if (from === undefined) return { algorithm: String(algorithm), options: rest };
  if (typeof from !== 'string' || from === '') throw new LbsimError('SCENARIO_INVALID', `${scenarioFile}: balancer.from: expected the path of an haproxy.cfg, nginx.conf or Envoy cluster file`);
  if (algorithm !== undefined) throw new LbsimError('SCENARIO_INVALID', `${scenarioFile}: balancer.algorithm: give either algorithm or from (the algorithm comes from the imported file)`);
  const selector: Record<string, string> = {};
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) {
    if ((SELECTORS as readonly string[]).includes(k)) selector[k] = String(v);
    else options[k] = v;
  }
  const file = isAbsolute(from) ? from : resolve(baseDir, from);
  const imported = importBalancerConfig(file, selector);
  const servers = new Map(imported.servers.map((s) => [s.name, s]));
  const missing = backends.filter((b) => !servers.has(b.name)).map((b) => b.name);
  const unused = imported.servers.filter((s) => !backends.some((b) => b.name === s.name)).map((s) => s.name);
  if (missing.length > 0 || unused.length > 0) {
    throw new LbsimError(
      'SCENARIO_INVALID',
      `${scenarioFile}: backends: must name the servers of ${from} '${imported.name}' (${imported.servers.map((s) => s.name).join(', ')})` +
        `${missing.length > 0 ? `; not in the config: ${missing.join(', ')}` : ''}${unused.length > 0 ? `; no backend for: ${unused.join(', ')}` : ''}`,
    );
  }
  for (const b of backends) {
    const s = servers.get(b.name)!;
    if (imported.kind === 'nginx' && s.down) {
      // nginx keeps a `down` peer in ip_hash's and hash's total weight and skips it when
      // picked (ngx_http_upstream_get_ip_hash_peer: peer->down), so no other client moves:
      // its configured weight, out of service for the whole run (known to the balancer at
      // once: importedKnobs gives it no checks).
      b.weight = s.weight;
      b.outages = [...(b.outages ?? []), { from: 0, to: Number.POSITIVE_INFINITY }];
    } else b.weight = simulatedWeight(s);
    // maxconn 0 (HAProxy, nginx) and maxqueue 0 (HAProxy) mean no limit.
    if (b.maxconn === undefined && s.maxconn !== undefined && s.maxconn > 0) {
      b.maxconn = s.maxconn;
      if (b.maxqueue === undefined && s.maxqueue !== undefined && s.maxqueue > 0) b.maxqueue = s.maxqueue;
    }
  }
  if (backends.every((b) => b.weight === 0 || servers.get(b.name)!.down === true)) throw new LbsimError('SCENARIO_INVALID', `${scenarioFile}: balancer.from: every server of '${imported.name}' is down: no backend can be picked`);
  const pinned = imported.settings.persistence;
  return {
    algorithm: imported.algorithm,
    options: { ...imported.options, ...options },
    imported,
    importedKnobs: importedKnobs(imported),
    proxy: proxyFieldsOf(imported),
    ...(pinned === undefined ? {} : { persistence: persistenceOf(pinned) }),
  };
}

/**
 * The proxy knobs a config sets, with its proxy's defaults for what it leaves out:
 * - HAProxy 2.6: `retries` (default 3), `option redispatch` (the last retry; else the same
 *   server), `retry-on` (default conn-failure; `none` → no retries), `timeout queue`, which
 *   falls back to `timeout connect` when unset (configuration manual, "timeout queue");
 *   `timeout connect` also sets the turn-around before a retry (MIN(1 s, it)); `timeout
 *   server` → per_try_timeout (a 504, the server working on; retried only under retry-on
 *   response-timeout).
 * - nginx 1.22: no proxy queue; `proxy_next_upstream` (default `error timeout`): error →
 *   refused, http_503 → 503, timeout → timeout; `off` → no retries; every retry to the
 *   next peer; `proxy_next_upstream_tries` N → N − 1 retries (0, the default: each peer
 *   once, so servers − 1).
 * - Envoy 1.28: a DEFAULT circuit-breaker thresholds entry → max_requests,
 *   max_pending_requests (1024 each when unset), max_retries (3) and retry_budget
 *   (20 %, 3). The number of retries is the route's retry_policy, not the cluster's.
 */
function proxyFieldsOf(imp: ImportedBalancer): ProxyFields {
  const s = imp.settings;
  if (imp.kind === 'haproxy') {
    const timeout = s.queueTimeoutMs ?? s.connectTimeoutMs;
    const retryOn = s.retryOn ?? ['refused'];
    return {
      retries: retryOn.length === 0 ? 0 : (s.retries ?? 3),
      redispatch: s.redispatch === true ? 'last' : typeof s.redispatch === 'number' ? s.redispatch : 'never',
      ...(retryOn.length === 0 ? {} : { retry_on: retryOn }),
      ...(timeout === undefined ? {} : { timeout_queue: timeout }),
      ...(s.connectTimeoutMs === undefined ? {} : { timeout_connect: s.connectTimeoutMs }),
      ...(s.serverTimeoutMs === undefined ? {} : { per_try_timeout: s.serverTimeoutMs }),
    };
  }
  if (imp.kind === 'nginx') {
    const conditions = s.nextUpstream ?? ['error', 'timeout'];
    const retryOn: ('refused' | '503' | 'timeout')[] = [];
    if (conditions.includes('error')) retryOn.push('refused');
    if (conditions.includes('http_503')) retryOn.push('503');
    if (conditions.includes('timeout')) retryOn.push('timeout');
    const tries = s.nextUpstreamTries ?? 0;
    const retries = conditions.includes('off') || retryOn.length === 0 ? 0 : Math.max(0, (tries > 0 ? tries : imp.servers.length) - 1);
    return { proxy_queue: false, retries, redispatch: 'always', ...(retryOn.length > 0 ? { retry_on: retryOn } : {}) };
  }
  const cb = s.circuitBreakers;
  if (cb === undefined) return {};
  const budget = s.retryBudget;
  return {
    max_requests: cb.max_requests ?? 1024,
    max_pending_requests: cb.max_pending_requests ?? 1024,
    max_retries: cb.max_retries ?? 3,
    ...(budget === undefined ? {} : { retry_budget: { budget_percent: budget.budgetPercent ?? 20, min_retry_concurrency: budget.minRetryConcurrency ?? 3 } }),
  };
}


/**
 * Backups, health checks and slow start from the config, as server-health knobs
 * (src/engine/server-health.ts) for every algorithm:
 * - HAProxy: per server `backup`, `check inter rise fall` (a server without `check` is
 *   learned about at once, lbsim's default), `slowstart` (weight and maxconn ramp);
 *   `option allbackups`.
 * - nginx: `backup` (nginx uses every backup peer: allbackups), `max_fails` /
 *   `fail_timeout` (on by default in nginx: 1 / 10s; max_fails=0 turns them off),
 *   nginx Plus `slow_start` as HAProxy's weight ramp (not max_conns).
 * - Envoy: health_checks[0] for every endpoint, outlier_detection, slow_start_config;
 *   each endpoint's locality priority (the envoy/* algorithms' priority levels).
 */
function importedKnobs(imported: ImportedBalancer): ImportedKnobs {
  const st = imported.settings;
  const servers: ImportedKnobs['servers'] = new Map();
  for (const s of imported.servers) {
    const k: NonNullable<ReturnType<ImportedKnobs['servers']['get']>> = {};
    if (s.backup) k.backup = true;
    if (s.priority !== undefined) k.priority = s.priority;
    if (s.locality !== undefined) k.locality = s.locality;
    const check = s.check ?? st.activeCheck;
    if (check !== undefined) k.check = check;
    // A down nginx peer is never tried: no passive checks, so the balancer knows it down from the start.
    if (imported.kind === 'nginx' && (s.maxFails ?? 0) > 0 && !s.down) k.passive = { maxFails: s.maxFails!, failTimeoutMs: s.failTimeoutMs ?? PASSIVE_CHECK_DEFAULTS.failTimeoutMs };
    // nginx Plus slow_start ramps the weight only; HAProxy's slowstart ramps maxconn too.
    if (s.slowStartMs !== undefined && s.slowStartMs > 0) k.slowStart = { proxy: 'haproxy', periodMs: s.slowStartMs, ...(imported.kind === 'nginx' ? { maxconn: false } : {}) };
    else if (st.slowStart !== undefined) k.slowStart = { proxy: 'envoy', ...st.slowStart };
    servers.set(s.name, k);
  }
  const allBackups = imported.kind === 'nginx' ? true : st.allBackups;
  return { servers, ...(allBackups === undefined ? {} : { allBackups }), ...(st.outlier === undefined ? {} : { outlier: st.outlier }) };
}
