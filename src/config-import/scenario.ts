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
 * Backup servers get weight 0 (no traffic) unless the algorithm models backups itself
 * (haproxy/leastconn: then they keep their weight and the `backup` option lists them).
 */
import { isAbsolute, resolve } from 'node:path';
import { LbsimError } from '../errors.ts';
import { importBalancerConfig, simulatedWeight } from './index.ts';
import type { ImportedBalancer } from './types.ts';

const SELECTORS = ['backend', 'upstream', 'cluster'] as const;

export interface ResolvedBalancer {
  algorithm: string;
  options: Record<string, unknown>;
  imported?: ImportedBalancer;
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
  const knobs = balancerKnobs(imported);
  for (const b of backends) {
    const s = servers.get(b.name)!;
    // Backups keep their weight when the algorithm itself handles them (knobs.backup).
    b.weight = knobs.backup !== undefined && s.backup && !s.down ? s.weight : simulatedWeight(s);
  }
  if (backends.every((b) => b.weight === 0)) throw new LbsimError('SCENARIO_INVALID', `${scenarioFile}: balancer.from: every server of '${imported.name}' is down or a backup: no backend can be picked`);
  return { algorithm: imported.algorithm, options: { ...imported.options, ...knobs, ...options }, imported };
}

/**
 * Knobs an algorithm models itself, passed on as its options: today haproxy/leastconn's
 * `backup`, `allbackups` and `slowstart` (one value for all servers: HAProxy's is per
 * server, so differing values keep the largest, with a warning).
 */
function balancerKnobs(imported: ImportedBalancer): Record<string, unknown> {
  if (imported.algorithm !== 'haproxy/leastconn') return {};
  const knobs: Record<string, unknown> = {};
  const backups = imported.servers.filter((s) => s.backup && !s.down).map((s) => s.name);
  if (backups.length > 0) {
    knobs.backup = backups;
    if (imported.settings.allBackups) knobs.allbackups = true;
    imported.warnings.push(`${imported.file}: backup servers ${backups.join(', ')} simulated by haproxy/leastconn (first backup takes over when every active server is down${imported.settings.allBackups ? '; allbackups' : ''})`);
  }
  const slow = [...new Set(imported.servers.map((s) => s.slowStartMs ?? 0))];
  const longest = Math.max(0, ...slow);
  if (longest > 0) {
    knobs.slowstart = longest;
    imported.warnings.push(`${imported.file}: slowstart ${longest} ms simulated by haproxy/leastconn for every server${slow.length > 1 ? ` (servers differ: ${slow.join(', ')} ms; the longest is used)` : ''}`);
  }
  return knobs;
}
