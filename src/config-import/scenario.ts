/**
 * The scenario side of config import: `balancer: { from: FILE, backend|upstream|cluster:
 * NAME, ...more options }`. The imported algorithm and options are used, with the
 * scenario's own extra keys on top (e.g. `instances: 8`). The scenario's `backends` model
 * the machines (concurrency, queue, speed, outages); each must carry the name of a server
 * in the imported balancer (HAProxy: the server name; nginx and Envoy: address:port), and
 * takes its weight from the config. A server without a backend, or a backend without a
 * server, is an error naming both lists. maxconn / max_conns is NOT mapped to a backend's
 * concurrency: it limits what the proxy sends, while concurrency is what the server can
 * serve at once; the two differ, and the proxy-side queue it implies is not simulated yet.
 * Backups, health checks and slow start become server-health knobs (importedKnobs
 * below); the scenario's own knobs (balancer.health_check, a backend's backup, ...) win.
 */
import { isAbsolute, resolve } from 'node:path';
import { LbsimError } from '../errors.ts';
import { PASSIVE_CHECK_DEFAULTS } from '../engine/server-health-types.ts';
import { importBalancerConfig, simulatedWeight } from './index.ts';
import type { ImportedBalancer } from './types.ts';
import type { ImportedKnobs } from '../scenario/server-knobs.ts';

const SELECTORS = ['backend', 'upstream', 'cluster'] as const;

export interface ResolvedBalancer {
  algorithm: string;
  options: Record<string, unknown>;
  imported?: ImportedBalancer;
  /** What the import says about server health (backups, checks, slow start, outlier detection). */
  importedKnobs?: ImportedKnobs;
}

/**
 * Resolves a scenario's balancer section. Without `from` it is `{ algorithm, options }`
 * as before. With `from`, imports the file (relative to `baseDir`) and sets each
 * backend's weight in `backends` (mutated) from the config.
 */
export function resolveBalancerSection(section: Record<string, unknown>, backends: { name: string; weight: number }[], baseDir: string, scenarioFile: string): ResolvedBalancer {
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
  for (const b of backends) b.weight = simulatedWeight(servers.get(b.name)!);
  if (backends.every((b) => b.weight === 0)) throw new LbsimError('SCENARIO_INVALID', `${scenarioFile}: balancer.from: every server of '${imported.name}' is down: no backend can be picked`);
  return { algorithm: imported.algorithm, options: { ...imported.options, ...options }, imported, importedKnobs: importedKnobs(imported) };
}

/**
 * Backups, health checks and slow start from the config, as server-health knobs
 * (src/engine/server-health.ts) for every algorithm:
 * - HAProxy: per server `backup`, `check inter rise fall` (a server without `check` is
 *   learned about at once, lbsim's default), `slowstart`; `option allbackups`.
 * - nginx: `backup` (nginx uses every backup peer: allbackups), `max_fails` /
 *   `fail_timeout` (on by default in nginx: 1 / 10s; max_fails=0 turns them off),
 *   nginx Plus `slow_start` as HAProxy's ramp.
 * - Envoy: health_checks[0] for every endpoint, outlier_detection, slow_start_config.
 */
function importedKnobs(imported: ImportedBalancer): ImportedKnobs {
  const st = imported.settings;
  const servers: ImportedKnobs['servers'] = new Map();
  for (const s of imported.servers) {
    const k: NonNullable<ReturnType<ImportedKnobs['servers']['get']>> = {};
    if (s.backup) k.backup = true;
    const check = s.check ?? st.activeCheck;
    if (check !== undefined) k.check = check;
    if (imported.kind === 'nginx' && (s.maxFails ?? 0) > 0) k.passive = { maxFails: s.maxFails!, failTimeoutMs: s.failTimeoutMs ?? PASSIVE_CHECK_DEFAULTS.failTimeoutMs };
    if (s.slowStartMs !== undefined && s.slowStartMs > 0) k.slowStart = { proxy: 'haproxy', periodMs: s.slowStartMs };
    else if (st.slowStart !== undefined) k.slowStart = { proxy: 'envoy', ...st.slowStart };
    servers.set(s.name, k);
  }
  const allBackups = imported.kind === 'nginx' ? true : st.allBackups;
  return { servers, ...(allBackups === undefined ? {} : { allBackups }), ...(st.outlier === undefined ? {} : { outlier: st.outlier }) };
}
