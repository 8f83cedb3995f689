/**
 * A scenario made from a proxy configuration file, so `lbsim diff old.cfg new.cfg
 * --traffic week.lbt` needs no scenario: the balancer and the servers come from the
 * config, exactly as `balancer: { from: FILE, backend: NAME }` would import them (same
 * algorithm, options, weights, warnings); the traffic from a recorded trace or a base
 * scenario; the machines behind the servers from flags or the base scenario.
 *
 * The servers' model, in order of precedence:
 * - `--scenario base.yaml`: its backend of the same name (HAProxy server name; nginx and
 *   Envoy address:port), or else its first backend, gives concurrency, queue, speed and
 *   outages; the base also gives the traffic (unless `--traffic`), duration, warm-up,
 *   timeout, report interval, seed and SLO;
 * - otherwise `--concurrency` (@default 8 slots) and `--queue` (@default unbounded), speed
 *   1, no outages, and the scenario defaults for the rest. A trace carries each request's
 *   service time, so no service model is needed.
 */
import { basename, dirname, resolve } from 'node:path';
import { SECTION_WORD, classifyFile, importBalancerText, selectBalancer } from '../config-import/index.ts';
import { resolveBalancerSection } from '../config-import/scenario.ts';
import { applyServerKnobs } from '../scenario/server-knobs.ts';
import type { BackendSpec } from '../engine/backends.ts';
import { LbsimError } from '../errors.ts';
import { parseScenario, proxyOptions, type Scenario } from '../scenario/load.ts';
import { prepareScenario, withTraceTraffic } from '../traffic/prepare.ts';

export interface ProxyScenarioOptions {
  /** The backend (HAProxy), upstream (nginx) or cluster (Envoy). @default the file's only one */
  backend?: string;
  /** A scenario whose traffic, timings, SLO and backend models are used. @default none */
  base?: Scenario;
  /** A recorded trace (.lbt or access log) as the traffic. @default the base scenario's traffic */
  traffic?: string;
  /** FCFS slots of each server, without a base. @default 8 */
  concurrency?: number;
  /** Queue limit of each server, without a base. @default 'unbounded' */
  queue?: number | 'unbounded';
}

export const PROXY_SCENARIO_DEFAULTS = { concurrency: 8, queue: 'unbounded' } as const;

/**
 * Builds the scenario for proxy config `file` (whose text is `text`). Throws LbsimError:
 * USAGE without traffic or with several backends and no name; the importer's errors.
 */
export async function proxyScenario(file: string, text: string, options: ProxyScenarioOptions = {}): Promise<Scenario> {
  const kind = classifyFile(file, text);
  if (kind === 'scenario') throw new Error(`proxyScenario on a scenario file: ${file}`);
  if (options.base === undefined && options.traffic === undefined) {
    throw new LbsimError('USAGE', `${file} is ${kind === 'haproxy' ? 'an HAProxy' : kind === 'nginx' ? 'an nginx' : 'an Envoy'} configuration: give the traffic to replay through it with --traffic FILE (.lbt or an access log), or a base scenario with --scenario FILE`);
  }
  const imported = importBalancerText(text, file, selectBalancer(text, file, kind, options.backend), kind);
  const abs = resolve(file);
  const section = { from: abs, [SECTION_WORD[kind]]: imported.name };
  const label = `${basename(file)} ${imported.name}`;
  const base = options.base;
  if (base === undefined) {
    const json = JSON.stringify({
      name: label,
      traffic: { trace: resolve(options.traffic!) },
      balancer: section,
      backends: imported.servers.map((s) => ({
        name: s.name,
        concurrency: options.concurrency ?? PROXY_SCENARIO_DEFAULTS.concurrency,
        queue: options.queue ?? PROXY_SCENARIO_DEFAULTS.queue,
      })),
    });
    return named(await prepareScenario(parseScenario(json, { file, baseDir: dirname(abs) })), abs, file);
  }
  const backends: BackendSpec[] = imported.servers.map((s) => {
    // The model's machine (concurrency, queue, speed, outages); backups, checks, slow start and maxconn come from the config.
    const { backup: _b, check: _c, passive: _p, slowStart: _s, maxconn: _m, maxqueue: _q, ...model } = base.backends.find((b) => b.name === s.name) ?? base.backends[0]!;
    return { ...model, name: s.name, weight: 1 };
  });
  const { algorithm, options: balancerOptions, imported: again, importedKnobs, proxy } = resolveBalancerSection(section, backends, dirname(abs), file);
  const serverSet = applyServerKnobs(backends, [], {}, importedKnobs, file);
  const scenario: Scenario = { ...base, name: label, file: abs, balancer: { algorithm, options: balancerOptions, ...(again === undefined ? {} : { imported: again }) }, backends, serverSet, proxy: proxyOptions(proxy ?? {}, algorithm) };
  return named(options.traffic === undefined ? scenario : await withTraceTraffic(scenario, options.traffic), abs, file);
}

/** The importer's warnings name the file as the user gave it, not its absolute path. */
function named(scenario: Scenario, abs: string, file: string): Scenario {
  const imported = scenario.balancer.imported;
  if (imported !== undefined) imported.warnings = imported.warnings.map((w) => (w.startsWith(abs) ? file + w.slice(abs.length) : w));
  return scenario;
}
