/**
 * Files a command takes where a scenario is expected: an lbsim scenario, or a proxy
 * configuration (haproxy.cfg, nginx.conf, an Envoy cluster file), told apart by content
 * (src/config-import/index.ts detectFile). A configuration becomes a scenario through
 * src/workflows/proxy-scenario.ts. The importer's warnings go to stderr as
 * `FILE:LINE: what`.
 */
import { Command, InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import { isBalancerPath } from '../balancers/registry.ts';
import { detectFile, readConfigText } from '../config-import/index.ts';
import { LbsimError } from '../errors.ts';
import { loadScenario, type Scenario } from '../scenario/load.ts';
import { routeKeyNote } from '../simulation-setup.ts';
import { PROXY_SCENARIO_DEFAULTS, proxyScenario, type ProxyScenarioOptions } from '../workflows/proxy-scenario.ts';
import type { CliContext } from './context.ts';
import { parsePositiveInt } from './options.ts';

export interface ConfigFlags {
  backend?: string;
  scenario?: string;
  concurrency?: number;
  queue?: number | 'unbounded';
}

function parseQueue(value: string): number | 'unbounded' {
  if (value === 'unbounded') return value;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number >= 0 or unbounded');
  return n;
}

/** The flags that turn a proxy configuration into a scenario. */
export function addConfigOptions(command: Command): Command {
  return command
    .option('--backend <name>', 'proxy config: the HAProxy backend, nginx upstream or Envoy cluster (default: the only one); OLD,NEW when the two configs name it differently')
    .option('--scenario <file>', 'proxy config: a scenario whose traffic, timings, SLO and backend models are used')
    .option('--concurrency <n>', `proxy config without --scenario: slots per server (default ${PROXY_SCENARIO_DEFAULTS.concurrency})`, parsePositiveInt)
    .option('--queue <n>', 'proxy config without --scenario: queue limit per server, or unbounded (default)', parseQueue);
}

/**
 * `--backend NAME` for both sides, or `--backend OLD,NEW` when BEFORE and AFTER name it
 * differently (nginx `upstream api` → HAProxy `backend be_api`). Section names hold no
 * comma in any of the three proxies, so the comma is free to split on.
 */
export function backendsOf(backend: string | undefined): [string | undefined, string | undefined] {
  if (backend === undefined) return [undefined, undefined];
  const parts = backend.split(',').map((p) => p.trim());
  if (parts.length === 1) return [backend, backend];
  if (parts.length !== 2 || parts.some((p) => p === '')) throw new LbsimError('USAGE', `--backend: expected NAME, or OLD,NEW for BEFORE and AFTER; got '${backend}'`);
  return [parts[0], parts[1]];
}

/** Prints what the config importer did not understand or does not simulate, one line each. */
export function showImportWarnings(scenario: Scenario, ctx: CliContext): void {
  for (const w of scenario.balancer.imported?.warnings ?? []) ctx.info(w);
  const keys = routeKeyNote(scenario);
  if (keys !== undefined) ctx.info(`note: ${keys}`);
}

/**
 * Loads `file` as a scenario, or builds one from a proxy configuration with `traffic` (a
 * trace path) and the flags; a base scenario (`--scenario`) is loaded once by the caller.
 */
export async function loadScenarioOrConfig(file: string, flags: ConfigFlags, traffic: string | undefined, base: Scenario | undefined, ctx: CliContext): Promise<Scenario> {
  const text = readConfigText(file);
  const isScenario = detectFile(file, text) === 'scenario';
  const scenario = isScenario
    ? await loadScenario(file)
    : await proxyScenario(file, text, {
          ...(flags.backend === undefined ? {} : { backend: flags.backend }),
          ...(base === undefined ? {} : { base }),
          ...(traffic === undefined ? {} : { traffic }),
          ...(flags.concurrency === undefined ? {} : { concurrency: flags.concurrency }),
          ...(flags.queue === undefined ? {} : { queue: flags.queue }),
        } satisfies ProxyScenarioOptions);
  showImportWarnings(scenario, ctx);
  if (!isScenario && base === undefined) {
    const queue = flags.queue ?? PROXY_SCENARIO_DEFAULTS.queue;
    ctx.info(`note: ${file}: each server modelled with ${flags.concurrency ?? PROXY_SCENARIO_DEFAULTS.concurrency} slots and ${queue === 'unbounded' ? 'an unbounded queue' : `a queue of ${queue}`} (--concurrency, --queue, or --scenario for a model)`);
  }
  return scenario;
}

/**
 * The files a scenario reads: its own file, its trace (the log it names, not the cached
 * import), a balancer file (`algorithm: ./mine.js`) and a proxy config (`balancer.from`).
 * For commands to keep `--out` from replacing any of them (output.ts checkOutputNotInput).
 */
export function scenarioInputs(scenario: Scenario): string[] {
  const files: string[] = [];
  if (scenario.file !== undefined) files.push(scenario.file);
  if (scenario.traffic.kind === 'trace') files.push(scenario.traffic.source);
  const algorithm = scenario.balancer.algorithm;
  if (isBalancerPath(algorithm)) files.push(resolve(scenario.baseDir, algorithm));
  const imported = scenario.balancer.imported;
  if (imported !== undefined) files.push(resolve(scenario.baseDir, imported.file));
  return files;
}
