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
 *   timeout, report interval, seed and SLO. A server that takes the first backend's model
 *   is named in a note (stderr), and when no server has a namesake in a base whose
 *   backends differ, it is an error: the base then models other machines, and which of
 *   its models fits which server is a guess (the first would silently model them all);
 * - otherwise `--concurrency` (@default 8 slots) and `--queue` (@default unbounded), speed
 *   1, no outages, and the scenario defaults for the rest. A trace carries each request's
 *   service time, so no service model is needed.
 */
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
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
  const fallbacks = imported.servers.filter((s) => !base.backends.some((b) => b.name === s.name)).map((s) => s.name);
  // The base as the user would name it: relative to the working directory when inside it.
  const rel = base.file === undefined ? undefined : relative(process.cwd(), base.file);
  const baseFile = base.file === undefined ? `--scenario (${base.name})` : rel !== undefined && !rel.startsWith('..') && !isAbsolute(rel) ? rel : base.file;
  const first = base.backends[0]!;
  if (fallbacks.length === imported.servers.length && base.backends.some((b) => machineKey(b) !== machineKey(first))) {
    throw new LbsimError(
      'USAGE',
      `${baseFile}: none of its backends (${base.backends.map((b) => b.name).join(', ')}) is a server of ${file} ${SECTION_WORD[kind]} '${imported.name}' (${fallbacks.join(', ')}), and they differ, so which models which server would be a guess: name the base's backends as the config names its servers (${kind === 'haproxy' ? 'the server names' : 'address:port'}), or give a base with one backend to model every server`,
    );
  }
  const backends: BackendSpec[] = imported.servers.map((s) => {
    // The model's machine (concurrency, queue, speed, outages); backups, priorities, localities, checks, slow start and maxconn come from the config.
    const { backup: _b, priority: _l, locality: _z, check: _c, passive: _p, slowStart: _s, maxconn: _m, maxqueue: _q, ...model } = base.backends.find((b) => b.name === s.name) ?? first;
    return { ...model, name: s.name, weight: 1 };
  });
  const { algorithm, options: balancerOptions, imported: again, importedKnobs, proxy, persistence } = resolveBalancerSection(section, backends, dirname(abs), file);
  if (fallbacks.length > 0 && again !== undefined) {
    // With the importer's warnings, so `diff` prints it on stderr (src/cli/inputs.ts).
    again.warnings.push(`note: ${baseFile}: no backend named ${fallbacks.join(', ')}: ${fallbacks.length === 1 ? 'that server is' : 'those servers are'} modelled on its first backend '${first.name}' (${first.concurrency} slot${first.concurrency === 1 ? '' : 's'}, queue ${Number.isFinite(first.queue) ? first.queue : 'unbounded'}, speed ${first.speed})`);
  }
  const serverSet = applyServerKnobs(backends, [], {}, importedKnobs, file);
  // The config is the balancer under test: its persistence (HAProxy cookie, stick on src) or none, not the base's.
  const { persistence: _base, ...rest } = base;
  const scenario: Scenario = { ...rest, name: label, file: abs, balancer: { algorithm, options: balancerOptions, ...(again === undefined ? {} : { imported: again }) }, backends, serverSet, proxy: proxyOptions(proxy ?? {}, algorithm), ...(persistence === undefined ? {} : { persistence }) };
  return named(options.traffic === undefined ? scenario : await withTraceTraffic(scenario, options.traffic), abs, file);
}

/** What a backend's model is made of here (its machine, not its name or the config's knobs), to tell differing models apart. */
function machineKey(b: BackendSpec): string {
  return JSON.stringify([b.concurrency, b.queue, b.speed, b.outages]);
}

/** The importer's warnings name the file as the user gave it, not its absolute path. */
function named(scenario: Scenario, abs: string, file: string): Scenario {
  const imported = scenario.balancer.imported;
  if (imported !== undefined) imported.warnings = imported.warnings.map((w) => (w.startsWith(abs) ? file + w.slice(abs.length) : w));
  return scenario;
}
