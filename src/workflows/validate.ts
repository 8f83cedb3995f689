/**
 * Static checks of a balancer configuration before anything runs: the mistakes that
 * cause incidents like 2024-04-15 (a weight typo sending most traffic to one backend)
 * and their cousins. Each finding names the file, line and field, as scenario errors do.
 *
 * Loads are estimated from the configuration alone: a backend's share of the traffic
 * follows its weight (weighted algorithms) or is even (round-robin, random); load-aware
 * algorithms (least connections, power of two) spread by capacity, so only the fleet's
 * total is checked for them. Each algorithm's module says which it is. Capacity of a backend = slots × speed / mean work.
 */
import { basename, dirname, extname, resolve } from 'node:path';
import type { BackendSpec } from '../engine/backends.ts';
import { isLbsimError } from '../errors.ts';
import { ZipfSampler } from '../random/distributions.ts';
import { BUILTIN_BALANCERS, loadBalancerModule } from '../balancers/registry.ts';
import type { BalancerModule } from '../balancers/types.ts';
import { probeBalancer, routeKeyNote } from '../simulation-setup.ts';
import { formatPath, lineOf, parseScenario, prepareLoadedScenario, type Scenario } from '../scenario/load.ts';
import { formatDuration } from '../scenario/units.ts';
import { parseYamlFile } from '../scenario/yaml-document.ts';
import { mmcBlocking, serviceQuantile, serviceTail } from './queueing.ts';
import { steadyShares } from './steady-shares.ts';
import { meanRate, peakRate } from './variants.ts';

export type Severity = 'error' | 'warning';

export interface Finding {
  severity: Severity;
  /** `backends[2].weight` */
  field: string;
  line: number | null;
  /** The file `line` is in when it is not the one validated (a server of an nginx `include`d file). */
  file?: string;
  message: string;
}

export interface ValidateOptions {
  /** A backend at or above this utilization at peak is a warning (1 and above is an error). @default 0.85 */
  highUtilization?: number;
  /** Rejection share at the mean rate (bounded queue) above which the queue is too small. @default 0.01 */
  maxRejection?: number;
  /** Share of requests whose service alone outlasts the timeout, above which it is a warning (above 50%: an error). @default 0.01 */
  maxTimeoutShare?: number;
  /** One backend getting more than this share of the traffic (with 3 or more backends) is a warning. @default 0.5 */
  maxShare?: number;
}

export const VALIDATE_DEFAULTS = { highUtilization: 0.85, maxRejection: 0.01, maxTimeoutShare: 0.01, maxShare: 0.5 } as const;

/**
 * The warning for session persistence over servers with a maxqueue (named, the first three)
 * and no redispatch, in a scenario or a proxy's config (validate-proxy.ts); `fix` ends it
 * with how redispatch is turned on there.
 */
export function pinnedQueueWarning(servers: readonly string[], fix: string): string {
  const names = servers.length > 3 ? `${servers.slice(0, 3).join(', ')} and ${servers.length - 3} more` : servers.join(', ');
  return `persistence pins clients to servers with a maxqueue (${names}): once such a server's queue is full, its pinned clients are answered 503 while other servers may be idle${fix}`;
}

export interface Validation {
  file: string;
  findings: Finding[];
  errors: number;
  warnings: number;
}

/**
 * Validates scenario text. Schema violations (including all weights zero) are findings of
 * severity error; YAML that does not parse throws (the file is unreadable, exit 2).
 */
export function validateText(text: string, file: string, options: ValidateOptions = {}): Validation {
  const parsed = parseForValidation(text, file);
  // A balancer file is not loaded here (validateScenarioFile does): its module is taken as saying nothing of its spread.
  return 'invalid' in parsed ? parsed.invalid : checkScenario(parsed.scenario, BUILTIN_BALANCERS.get(parsed.scenario.balancer.algorithm), text, file, options);
}

/** The scenario parsed as `run` parses it, or its schema violations as findings (YAML that does not parse throws). */
function parseForValidation(text: string, file: string): { scenario: Scenario } | { invalid: Validation } {
  const abs = resolve(file);
  try {
    // Paths in the scenario (trace, balancer file, proxy config) are relative to it, as for `lbsim run`.
    return { scenario: parseScenario(text, { file, baseDir: dirname(abs), defaultName: basename(abs, extname(abs)) }) };
  } catch (e) {
    if (isLbsimError(e) && e.code === 'SCENARIO_INVALID') return { invalid: summarize(file, schemaFindings(file, e.message)) };
    throw e;
  }
}

/**
 * The static checks of a parsed scenario; `text` gives their lines. What the algorithm
 * does with weights, load and keys comes from its module (BalancerModule.ignoresWeights,
 * followsLoad, hashesWhole), a user's as a built-in's.
 */
function checkScenario(scenario: Scenario, module: BalancerModule | undefined, text: string, file: string, options: ValidateOptions): Validation {
  const o = { ...VALIDATE_DEFAULTS, ...options };
  const { doc, lines } = parseYamlFile(text, file);
  const at = (path: (string | number)[]) => ({ field: formatPath(path), line: lineOf(doc, lines, path) ?? null });
  // Backend i of the resolved scenario comes from entry origin[i] of the file's list (groups expand).
  const raw = doc.toJS() as { backends?: { count?: number }[]; balancer?: Record<string, unknown> };
  const origin: number[] = [];
  (raw.backends ?? []).forEach((b, i) => {
    for (let k = 0; k < (b?.count ?? 1); k++) origin.push(i);
  });
  const findings: Finding[] = [];
  const add = (severity: Severity, path: (string | number)[], message: string) => findings.push({ severity, ...at(path), message });
  const bpath = (i: number, field: string) => ['backends', origin[i] ?? i, field];
  const who = (i: number) => scenario.backends[i]!.name;

  const algorithm = scenario.balancer.algorithm;
  const weighted = module?.ignoresWeights !== true;
  const loadAware = module?.followsLoad?.(scenario.balancer.options) === true;
  const bs = scenario.backends;
  const trafficPath = scenario.traffic.kind === 'synthetic' ? ['traffic', 'synthetic', Array.isArray(scenario.traffic.rate) ? 'profile' : 'rate'] : ['traffic'];
  const service = scenario.traffic.kind === 'synthetic' ? scenario.traffic.service : undefined;
  const workMs = service?.mean;
  const peak = peakRate(scenario);
  const avg = meanRate(scenario);

  // Backends that can never be picked.
  const alwaysDown = (b: BackendSpec) => b.outages.some((w) => w.from <= 0 && w.to >= scenario.durationMs);
  const pickable = bs.map((b) => b.weight > 0 && !alwaysDown(b));
  bs.forEach((b, i) => {
    if (b.weight === 0) add('warning', bpath(i, 'weight'), `${who(i)} has weight 0: it is drained and never picked`);
    else if (alwaysDown(b)) add('warning', bpath(i, 'outages'), `${who(i)} is down for the whole run: it is never picked`);
  });
  if (!pickable.some(Boolean)) add('error', ['backends'], 'no backend can ever be picked: every request will be rejected');
  // Who carries the traffic while every server is up: not backups, lower Envoy priority levels or unweighted localities.
  const { steady, share, unweighted, byLocality } = steadyShares(bs, pickable, weighted, scenario.balancer.options, algorithm);
  if (pickable.some(Boolean) && !steady.some(Boolean)) {
    add('error', ['balancer', 'locality_weights'], `no locality has a weight: with locality_weighted_lb, ${algorithm} builds an empty ${algorithm === 'envoy/maglev' ? 'table' : 'ring'} and every request fails (Envoy's locality weights all 0)`);
  } else for (const n of unweighted) {
    const names = bs.filter((b, i) => pickable[i] && (b.locality ?? '') === n).map((b) => b.name);
    add('warning', ['balancer', 'locality_weights'], `locality ${n === '' ? '(none)' : `'${n}'`} has no weight: with locality_weighted_lb, ${names.join(', ')} take${names.length === 1 ? 's' : ''} no traffic while a weighted locality has a healthy host (Envoy's locality weight 0)`);
  }

  // A hash of the whole request target over a trace that kept only paths.
  const keys = routeKeyNote(scenario);
  if (keys !== undefined) add('warning', ['traffic', 'trace'], keys);

  // Proxy knobs of another proxy than the algorithm's (src/scenario/load.ts proxyOptions): they change nothing.
  if (raw.balancer?.timeout_connect !== undefined && !algorithm.startsWith('haproxy/')) {
    add('warning', ['balancer', 'timeout_connect'], `timeout_connect is HAProxy's turn-around before a retry: only haproxy/* algorithms use it, ${algorithm} ignores it (give retry_backoff for a wait between retries)`);
  }

  // Pinned clients of a server whose proxy queue is full: HAProxy answers them 503 unless
  // `option redispatch` balances them afresh (srv_redispatch_connect, SRV_STATUS_FULL).
  if (scenario.persistence !== undefined && scenario.proxy.queue && scenario.proxy.redispatch === 'never') {
    const capped = bs.filter((b) => b.maxqueue !== undefined && Number.isFinite(b.maxqueue)).map((b) => b.name);
    if (capped.length > 0) add('warning', ['balancer', 'persistence'], pinnedQueueWarning(capped, ', as HAProxy does without option redispatch (redispatch: true balances them afresh)'));
  }

  // A stick table smaller than the synthetic clients: the oldest are trashed as new ones
  // come, and each comes back unpinned (stktable_trash_oldest; stick-table-limit.ts).
  const tableSize = scenario.persistence?.tableSize ?? Number.POSITIVE_INFINITY;
  if (Number.isFinite(tableSize) && scenario.traffic.kind === 'synthetic' && scenario.traffic.clients !== undefined && scenario.traffic.clients.count > tableSize) {
    add('warning', ['balancer', 'persistence', 'table_size'], `the stick table holds ${tableSize} clients and the traffic has ${scenario.traffic.clients.count}: clients are trashed to make room for others, and a trashed client is balanced afresh when it comes back (unless max_idle drops clients first)`);
  }

  // Weights the algorithm ignores.
  const weights = new Set(bs.filter((_, i) => steady[i]).map((b) => b.weight));
  if (!weighted && weights.size > 1) {
    add('warning', ['balancer', 'algorithm'], `backends have different weights, but ${algorithm} ignores weights (only weight 0 counts); use weighted-round-robin or weighted-least-connections`);
  }

  // Expected shares (steadyShares): by weight for weighted algorithms, even otherwise.
  const totalWeight = bs.reduce((s, b, i) => s + (steady[i] ? (weighted ? b.weight : 1) : 0), 0);
  const nSteady = steady.filter(Boolean).length;
  if (weighted && nSteady >= 3) {
    const top = share.indexOf(Math.max(...share));
    const others = bs.filter((_, i) => steady[i] && i !== top).map((b) => b.weight).sort((a, b) => a - b);
    const median = others[Math.floor(others.length / 2)]!;
    const ratio = bs[top]!.weight / median;
    if (share[top]! > o.maxShare || ratio >= 10) {
      add(
        'warning',
        bpath(top, 'weight'),
        `${who(top)} gets ${pct(share[top]!)} of the traffic (weight ${bs[top]!.weight}, the others' median is ${median})${ratio >= 10 ? `: ${ratio.toFixed(0)}× its peers — a typo?` : ''}`,
      );
    }
  }

  // Capacity against the traffic.
  const capacity = (b: BackendSpec) => (workMs === undefined ? Number.NaN : (b.concurrency * b.speed * 1000) / workMs);
  if (peak !== undefined && workMs !== undefined) {
    const fleet = bs.reduce((s, b, i) => s + (steady[i] ? capacity(b) : 0), 0);
    if (fleet > 0) {
      const rho = peak / fleet;
      if (rho >= 1) add('error', trafficPath, `peak traffic ${rate(peak)} exceeds the fleet's capacity ${rate(fleet)} (slots × speed / mean work ${formatDuration(workMs)}): utilization ${rho.toFixed(2)}`);
      else if (rho >= o.highUtilization) add('warning', trafficPath, `peak traffic ${rate(peak)} runs the fleet (capacity ${rate(fleet)}) at utilization ${rho.toFixed(2)}`);
    }
    if (!loadAware) {
      bs.forEach((b, i) => {
        if (!steady[i]) return;
        const load = peak * share[i]!;
        const rho = load / capacity(b);
        const field = weighted && weights.size > 1 ? 'weight' : 'concurrency';
        const basis = byLocality ? `its locality's weight, then ${weighted ? `its own` : 'an even split'}` : weighted && weights.size > 1 ? `weight ${b.weight} of ${totalWeight}` : `an even split`;
        if (rho >= 1) add('error', bpath(i, field), `${who(i)} gets ${pct(share[i]!)} of the traffic (${basis}): ${rate(load)} at peak against a capacity of ${rate(capacity(b))} — overloaded (utilization ${rho.toFixed(2)})`);
        else if (rho >= o.highUtilization) add('warning', bpath(i, field), `${who(i)} runs at utilization ${rho.toFixed(2)} at peak (${rate(load)} of ${rate(capacity(b))})`);
      });
    }
  }

  // Session persistence pins whole clients, and a hash sends each client or path to one
  // server: the heaviest one's traffic lands on one server.
  const hashed = module?.hashesWhole?.(scenario.balancer.options);
  const whole =
    scenario.persistence !== undefined
      ? { by: 'persistence pins', what: 'client', path: ['balancer', 'persistence'], bound: '', keys: scenario.traffic.kind === 'synthetic' ? scenario.traffic.clients : undefined }
      : hashed === undefined
        ? undefined
        : {
            by: `${algorithm} hashes by ${hashed.key === 'client' ? 'client' : 'path'} and sends`,
            what: hashed.key === 'client' ? 'client' : 'path',
            path: ['balancer', hashed.field],
            bound: hashed.bound,
            keys: scenario.traffic.kind === 'synthetic' ? (hashed.key === 'client' ? scenario.traffic.clients : scenario.traffic.routes) : undefined,
          };
  if (whole !== undefined && whole.keys !== undefined) {
    const { count, skew } = whole.keys;
    const plural = (n: number) => `${n} ${whole.what}${n === 1 ? '' : 's'}`;
    const steadyCount = steady.filter(Boolean).length;
    const each = count === 1 ? `every request (one ${whole.what})` : `each of the ${plural(count)}`;
    if (count < steadyCount) add('warning', whole.path, `${whole.by} ${each} to one server: at most ${count} of the ${steadyCount} backends ${count === 1 ? 'gets' : 'get'} traffic`);
    const heaviest = new ZipfSampler(count, skew).probabilityOf(0);
    if (peak !== undefined && workMs !== undefined) {
      const load = peak * heaviest;
      const largest = Math.max(...bs.filter((_, i) => steady[i]).map(capacity));
      if (load >= largest) add('error', whole.path, `${whole.by} the heaviest ${whole.what} (${pct(heaviest)} of the traffic: ${plural(count)}, skew ${skew}) to one server: ${rate(load)} at peak, more than the largest backend's capacity ${rate(largest)}${whole.bound}`);
      else if (load >= o.highUtilization * largest) add('warning', whole.path, `${whole.by} the heaviest ${whole.what} (${pct(heaviest)} of the traffic) to one server: ${rate(load)} at peak, utilization ${(load / largest).toFixed(2)} even on the largest backend${whole.bound}`);
    }
  }

  // Queue limits that reject at normal load (M/M/c/K estimate at the mean rate).
  if (avg !== undefined && workMs !== undefined) {
    bs.forEach((b, i) => {
      if (!steady[i] || !Number.isFinite(b.queue)) return;
      const lambda = loadAware ? (avg * capacity(b)) / bs.reduce((s, x, j) => s + (steady[j] ? capacity(x) : 0), 0) : avg * share[i]!;
      const a = (lambda * workMs) / (1000 * b.speed);
      if (a >= b.concurrency) return; // overloaded: reported above
      const p = mmcBlocking(b.concurrency, b.queue, a);
      if (p > o.maxRejection) add('warning', bpath(i, 'queue'), `queue limit ${b.queue} rejects about ${pct(p)} of ${who(i)}'s requests at the mean rate ${rate(lambda)} (M/M/c/K estimate)`);
    });
  }

  // Timeouts shorter than the work itself.
  if (Number.isFinite(scenario.timeoutMs) && service !== undefined) {
    const slowest = Math.min(...bs.filter((_, i) => steady[i]).map((b) => b.speed));
    if (Number.isFinite(slowest)) {
      const late = serviceTail(service, scenario.timeoutMs * slowest);
      const median = serviceQuantile(service, 0.5) / slowest;
      if (late > 0.5) add('error', ['timeout'], `timeout ${formatDuration(scenario.timeoutMs)} is shorter than typical work (median service ${formatDuration(median)}): ${pct(late)} of requests time out with no queueing at all`);
      else if (late > o.maxTimeoutShare) add('warning', ['timeout'], `${pct(late)} of requests outlast the timeout ${formatDuration(scenario.timeoutMs)} on service alone, before any queueing`);
    }
  }

  // An SLO no fleet can meet.
  if (scenario.slo?.p99 !== undefined && service !== undefined) {
    const fastest = Math.max(...bs.map((b) => b.speed));
    const floor = serviceQuantile(service, 0.99) / fastest;
    if (floor > scenario.slo.p99) add('warning', ['slo', 'p99'], `p99 ${formatDuration(scenario.slo.p99)} is below the service time's own p99 (${formatDuration(floor)}): unreachable even with no queueing`);
  }

  findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return summarize(file, findings);
}

/**
 * `validate` of a scenario file: first what `run` rejects before it simulates, rejected
 * the same way (thrown, exit 2, the same message): the scenario loaded as run loads it —
 * a raw log it replays imported, every row parsed (the import is cached, so the run that
 * follows reuses it) — a balancer file loaded as a module (a syntax error, a missing
 * import, a missing default export), and the balancer created (a user's create() may
 * refuse its options). Then validateText's static checks. A scenario that
 * breaks the schema gets those as findings, as validateText gives them.
 */
export async function validateScenarioFile(file: string, text: string, options: ValidateOptions = {}): Promise<Validation> {
  const parsed = parseForValidation(text, file);
  if ('invalid' in parsed) return parsed.invalid;
  const prepared = await prepareLoadedScenario(parsed.scenario, file, text);
  const module = await loadBalancerModule(prepared.balancer.algorithm, prepared.baseDir);
  // The engine built as run builds it, over no traffic: the balancer's create() runs (a user's may refuse its options).
  probeBalancer(prepared, module, prepared.seed);
  return checkScenario(parsed.scenario, module, text, file, options);
}

function schemaFindings(file: string, message: string): Finding[] {
  // Messages are `FILE:LINE: path: text`, one per line (see scenario/load.ts).
  return message.split('\n').map((l) => {
    const m = new RegExp(`^${escapeRe(file)}(?::(\\d+))?: ([^:]+): (.*)$`).exec(l);
    return m ? { severity: 'error' as const, field: m[2]!, line: m[1] === undefined ? null : Number(m[1]), message: m[3]! } : { severity: 'error' as const, field: '(top level)', line: null, message: l };
  });
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function summarize(file: string, findings: Finding[]): Validation {
  return { file, findings, errors: findings.filter((f) => f.severity === 'error').length, warnings: findings.filter((f) => f.severity === 'warning').length };
}

const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
const rate = (x: number) => `${x >= 100 ? x.toFixed(0) : x.toFixed(1)}/s`;

export function formatValidation(v: Validation): string {
  const lines = v.findings.map((f) => `${f.file ?? v.file}${f.line === null ? '' : `:${f.line}`}: ${f.field}: ${f.severity}: ${f.message}`);
  lines.push(v.findings.length === 0 ? `${v.file}: ok` : `${v.file}: ${v.errors} error${v.errors === 1 ? '' : 's'}, ${v.warnings} warning${v.warnings === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}
