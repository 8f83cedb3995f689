/**
 * Reads a scenario file (YAML, or JSON), validates it and resolves it into a `Scenario`:
 * units in ms and per second, backend groups expanded, paths absolute. Every problem is
 * reported at once, one line each, as `FILE:LINE: path.to.field: what was expected`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { lineOf } from './yaml-document.ts';

export { lineOf };
import type { z } from 'zod';
import { isBalancerPath } from '../balancers/registry.ts';
import { checkBalancerOptions } from './balancer-options.ts';
import type { BackendSpec } from '../engine/backends.ts';
import { ENVOY_BACKOFF_DEFAULTS, HAPROXY_TURN_AROUND_MS, PROXY_DEFAULTS, type ProxyOptions, type Redispatch, type RetryBackoff } from '../engine/proxy-options.ts';
import type { ServerSetSpec } from '../engine/server-health.ts';
import type { ImportedBalancer } from '../config-import/types.ts';
import { resolveBalancerSection } from '../config-import/scenario.ts';
import { detectFile } from '../config-import/index.ts';
import { fileReadError, isLbsimError, LbsimError } from '../errors.ts';
import type { ServiceSpec } from '../random/distributions.ts';
import type { RatePoint } from '../traffic/rate-profile.ts';
import { prepareScenario, resolveTraceScenario, traceSpecOf, type TraceTrafficSpec } from '../traffic/prepare.ts';
import { expandNames, PROXY_KEYS, type ProxyFields, type ScenarioParsed, scenarioSchema } from './schema.ts';
import { applyServerKnobs, takeServerKnobs } from './server-knobs.ts';
import { parseYamlFile } from './yaml-document.ts';
import { type Persistence, persistenceOf } from '../balancers/persistence.ts';

export interface Slo {
  p99?: number;
  p999?: number;
  errors?: number;
  maxUtilization?: number;
}

export interface SyntheticTrafficSpec {
  kind: 'synthetic';
  rate: number | RatePoint[];
  service: ServiceSpec;
  clients: { count: number; skew: number };
  routes: { count: number; skew: number };
}

export type TrafficSpec = SyntheticTrafficSpec | TraceTrafficSpec;

/** A validated scenario with every unit resolved. */
export interface Scenario {
  name: string;
  description?: string;
  /** Absolute path of the file it came from, if any. */
  file?: string;
  /** Folder that relative paths in the scenario are resolved against. */
  baseDir: string;
  seed: number;
  /** Wall-clock epoch ms of simulated t = 0, for display only. */
  startEpochMs?: number;
  durationMs: number;
  warmupMs: number;
  /** Infinity when the scenario sets no timeout. */
  timeoutMs: number;
  intervalMs: number;
  traffic: TrafficSpec;
  /** `imported`: what `balancer.from` read from a proxy config, with its warnings (for the CLI to show). */
  balancer: { algorithm: string; options: Record<string, unknown>; imported?: ImportedBalancer };
  backends: BackendSpec[];
  /** Balancer-wide server-health knobs (backups, outlier detection); per-backend ones are in `backends`. */
  serverSet: ServerSetSpec;
  /** The proxy's own queueing and retries (src/engine/proxy.ts); PROXY_DEFAULTS when the scenario sets none. */
  proxy: ProxyOptions;
  /** Session persistence in front of the algorithm (src/balancers/persistence.ts); absent when the scenario sets none. */
  persistence?: Persistence;
  slo?: Slo;
}

/** Loads and validates a scenario file. Throws LbsimError (exit 2) on any problem. */
export async function loadScenario(file: string): Promise<Scenario> {
  const abs = resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    throw fileReadError(file, e);
  }
  // A trace given as a raw log is imported (once, cached) here, so runs replay a .lbt synchronously.
  let scenario: Scenario;
  try {
    scenario = parseScenario(text, { file, baseDir: dirname(abs), defaultName: basename(abs, extname(abs)) });
  } catch (e) {
    throw notAScenario(e, file, text);
  }
  return prepareLoadedScenario(scenario, file, text);
}

/**
 * The step of loading after parsing: a raw log the scenario replays is imported (its rows
 * parsed; cached, so later runs reuse it) and the replay resolved. `file` and `text` are
 * the scenario's, for its errors' `FILE:LINE: traffic.trace:`.
 */
export async function prepareLoadedScenario(scenario: Scenario, file: string, text: string): Promise<Scenario> {
  try {
    return await prepareScenario(scenario);
  } catch (e) {
    // A raw log imported on load: its own errors name the log's line; this names the scenario's.
    if (scenario.traffic.kind !== 'trace') throw e;
    const lines = new LineCounter();
    throw atTraceField(e, file, parseDocument(text, { lineCounter: lines }), lines);
  }
}

/**
 * An HAProxy or nginx configuration given where a scenario belongs fails as YAML or as a
 * scenario; say what it is and where it goes instead of quoting YAML tokens. (Envoy files
 * are YAML and are told apart from a broken scenario only by their extension, so they get
 * the scenario's own messages.)
 */
function notAScenario(e: unknown, file: string, text: string): unknown {
  if (!isLbsimError(e) || (e.code !== 'PARSE_ERROR' && e.code !== 'SCENARIO_INVALID')) return e;
  const kind = detectFile(file, text);
  if (kind !== 'haproxy' && kind !== 'nginx') return e;
  return new LbsimError('USAGE', `${file}: this is ${kind === 'haproxy' ? 'an HAProxy' : 'an nginx'} configuration, not a scenario: import it in a scenario (balancer: { from: ${file} }), or give it to lbsim diff or validate`, { cause: e });
}

/** A trace that is missing, unreadable or not a trace is reported at the scenario's `traffic.trace` line, as every other scenario problem is. */
function atTraceField(e: unknown, file: string, doc: Document, lines: LineCounter): unknown {
  if (!isLbsimError(e) || !['FILE_NOT_FOUND', 'FILE_UNREADABLE', 'TRACE_INVALID', 'PARSE_ERROR'].includes(e.code)) return e;
  const line = lineOf(doc, lines, ['traffic', 'trace']);
  return new LbsimError(e.code, `${file}${line ? `:${line}` : ''}: traffic.trace: ${e.message}`, { cause: e });
}

export interface ParseOptions {
  /** Name shown in error messages. @default '<scenario>' */
  file?: string;
  /** Folder relative paths resolve against. @default process.cwd() */
  baseDir?: string;
  /** Name when the scenario has none. @default 'scenario' */
  defaultName?: string;
}

/** Parses scenario text (YAML or JSON). */
export function parseScenario(text: string, options: ParseOptions = {}): Scenario {
  const file = options.file ?? '<scenario>';
  const { doc, lines } = parseYamlFile(text, file);
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new LbsimError('SCENARIO_INVALID', `${file}: expected a mapping of scenario fields (name, duration, traffic, balancer, backends, ...)`);
  }
  const result = scenarioSchema.safeParse(raw);
  if (!result.success) throw new LbsimError('SCENARIO_INVALID', formatIssues(file, doc, lines, result.error.issues));
  let scenario: Scenario;
  try {
    scenario = resolveScenario(result.data, file === '<scenario>' ? undefined : resolve(file), options.baseDir ?? process.cwd(), options.defaultName ?? 'scenario');
  } catch (e) {
    // Resolving a .lbt replay reads the trace's header.
    throw result.data.traffic.trace === undefined ? e : atTraceField(e, file, doc, lines);
  }
  checkBalancerFile(scenario, file, doc, lines);
  checkBalancerOptions(scenario, file, doc, (path) => lineOf(doc, lines, path));
  checkWithoutCookie(scenario, file, lineOf(doc, lines, ['balancer', 'persistence', 'without_cookie']));
  return scenario;
}

/** balancer.persistence.without_cookie names backends: one that is not is an error at its line. */
function checkWithoutCookie(scenario: Scenario, file: string, line: number | undefined): void {
  const names = new Set(scenario.backends.map((b) => b.name));
  const unknown = (scenario.persistence?.withoutCookie ?? []).filter((n) => !names.has(n));
  if (unknown.length === 0) return;
  throw new LbsimError('SCENARIO_INVALID', `${file}${line ? `:${line}` : ''}: balancer.persistence.without_cookie: ${unknown.map((n) => `'${n}'`).join(', ')} ${unknown.length === 1 ? 'is not a backend' : 'are not backends'}; expected names of backends (${[...names].slice(0, 8).join(', ')}${names.size > 8 ? ', ...' : ''})`);
}

/**
 * A balancer file (`algorithm: ./my-balancer.js`) that does not exist is reported at the
 * scenario's `balancer.algorithm` line, as every other scenario problem is, and by
 * `validate` too (the module itself is loaded when the run starts).
 */
function checkBalancerFile(scenario: Scenario, file: string, doc: Document, lines: LineCounter): void {
  const algorithm = scenario.balancer.algorithm;
  if (!isBalancerPath(algorithm)) return;
  const path = isAbsolute(algorithm) ? algorithm : resolve(scenario.baseDir, algorithm);
  if (existsSync(path)) return;
  const line = lineOf(doc, lines, ['balancer', 'algorithm']);
  throw new LbsimError('FILE_NOT_FOUND', `${file}${line ? `:${line}` : ''}: balancer.algorithm: ${path}: balancer file not found`);
}

function resolveScenario(s: ScenarioParsed, file: string | undefined, baseDir: string, defaultName: string): Scenario {
  const syn = s.traffic.synthetic;
  const backends: BackendSpec[] = [];
  const groupOf: number[] = [];
  s.backends.forEach((b, g) => {
    for (const name of expandNames(b.name, b.count)) {
      backends.push({
        name,
        weight: b.weight,
        concurrency: b.concurrency,
        queue: b.queue,
        speed: b.speed,
        outages: b.outages,
        ...(b.maxconn === undefined ? {} : { maxconn: b.maxconn }),
        ...(b.maxqueue === undefined ? {} : { maxqueue: b.maxqueue }),
      });
      groupOf.push(g);
    }
  });
  // Health checks, slow start and backups are the engine's, not the algorithm's options (server-knobs.ts).
  const { knobs, rest } = takeServerKnobs(s.balancer);
  // `balancer.from` imports algorithm, options and weights from a proxy config (src/config-import/scenario.ts).
  // The proxy layer's knobs (maxconn queues, retries) are the engine's too (src/engine/proxy.ts).
  const section: Record<string, unknown> = {};
  const proxyFields: Record<string, unknown> = {};
  let persistence: Persistence | undefined;
  for (const [k, v] of Object.entries(rest)) {
    if (k === 'persistence') {
      const p = v as { max_idle?: number; max_life?: number; without_cookie?: string[]; persist?: boolean; table_size?: number } | undefined;
      if (p !== undefined) persistence = persistenceOf({ maxIdleMs: p.max_idle, maxLifeMs: p.max_life, withoutCookie: p.without_cookie, persist: p.persist, tableSize: p.table_size });
    } else if (!(PROXY_KEYS as readonly string[]).includes(k)) section[k] = v;
    else if (v !== undefined) proxyFields[k] = v;
  }
  // An imported config's proxy knobs (and backends' maxconn) come first; the scenario's own override them.
  const { algorithm, options, imported, importedKnobs, proxy: importedProxy, persistence: importedPersistence } = resolveBalancerSection(section, backends, baseDir, file ?? '<scenario>');
  // An imported config's session persistence, unless the scenario sets its own.
  persistence ??= importedPersistence;
  const serverSet = applyServerKnobs(
    backends,
    groupOf.map((g) => s.backends[g]!),
    knobs,
    importedKnobs,
    file ?? '<scenario>',
  );
  const scenario: Scenario = {
    name: s.name ?? defaultName,
    ...(s.description === undefined ? {} : { description: s.description }),
    ...(file === undefined ? {} : { file }),
    baseDir,
    seed: s.seed,
    ...(s.start === undefined ? {} : { startEpochMs: Date.parse(s.start) }),
    // Trace replays without a duration take it from the trace (resolveTraceScenario).
    durationMs: s.duration ?? Number.NaN,
    warmupMs: s.warmup,
    timeoutMs: s.timeout ?? Number.POSITIVE_INFINITY,
    intervalMs: s.report.interval,
    traffic: syn === undefined ? traceSpecOf(s.traffic, s.duration, baseDir, file ?? '<scenario>') : {
      kind: 'synthetic',
      rate: syn.profile ?? syn.rate!,
      service: syn.service as ServiceSpec,
      clients: syn.clients ?? { count: 1, skew: 0 },
      routes: syn.routes ?? { count: 1, skew: 0 },
    },
    balancer: { algorithm, options, ...(imported === undefined ? {} : { imported }) },
    backends,
    serverSet,
    proxy: proxyOptions({ ...importedProxy, ...(proxyFields as ProxyFields) }, algorithm),
    ...(persistence === undefined ? {} : { persistence }),
    ...(s.slo === undefined ? {} : { slo: s.slo }),
  };
  return resolveTraceScenario(scenario);
}

/**
 * The proxy knobs of the balancer section, with the defaults of the proxy the algorithm
 * follows: nginx has no queue at the proxy (a request that finds every peer at max_conns
 * fails at once); HAProxy retries the same server unless `option redispatch`; the others
 * send a retry through the balancer.
 */
export function proxyOptions(b: ProxyFields, algorithm: string): ProxyOptions {
  const d = PROXY_DEFAULTS;
  const r = b.redispatch;
  const redispatch: Redispatch = r === undefined ? (algorithm.startsWith('haproxy/') ? 'never' : d.redispatch) : r === true || typeof r === 'number' ? 'last' : r === false ? 'never' : r;
  return {
    queue: b.proxy_queue ?? !algorithm.startsWith('nginx/'),
    timeoutQueueMs: b.timeout_queue ?? d.timeoutQueueMs,
    maxRequests: b.max_requests ?? d.maxRequests,
    maxPending: b.max_pending_requests ?? d.maxPending,
    retries: b.retries ?? d.retries,
    retryOn: b.retry_on ?? d.retryOn,
    redispatch,
    redispatchAfter: typeof r === 'number' ? r : d.redispatchAfter,
    perTryTimeoutMs: b.per_try_timeout ?? d.perTryTimeoutMs,
    maxRetries: b.max_retries ?? d.maxRetries,
    budget: b.retry_budget === undefined ? d.budget : { percent: b.retry_budget.budget_percent, minConcurrency: b.retry_budget.min_retry_concurrency },
    backoff: retryBackoff(b, algorithm),
    roundRobinKind: HAPROXY_RR_KIND.has(algorithm),
    holdServer: algorithm.startsWith('haproxy/'),
    // Envoy: host_selection_retry_max_attempts defaults to 1 (one more pick).
    previousHosts: b.retry_host_predicate === 'previous_hosts' ? { maxAttempts: b.host_selection_retry_max_attempts ?? 1 } : d.previousHosts,
    excludeTried: algorithm.startsWith('nginx/'),
  };
}

/** HAProxy's balance algorithms of the round-robin kind (BE_LB_KIND_RR): option redispatch redispatches every retry, which then does not wait. */
const HAPROXY_RR_KIND = new Set(['haproxy/roundrobin', 'haproxy/static-rr', 'haproxy/random']);

/**
 * The wait before a retry: `retry_backoff` when given; else the proxy the algorithm
 * follows — HAProxy's turn-around of MIN(1 s, timeout_connect), Envoy's back-off from
 * 25 ms — and at once for nginx (and the generic algorithms).
 */
function retryBackoff(b: ProxyFields, algorithm: string): RetryBackoff {
  const bo = b.retry_backoff;
  if (bo === 'none') return { kind: 'none' };
  if (bo !== undefined) {
    // Envoy: intervals under 1 ms are rounded up to 1 ms; max_interval defaults to 10 × base_interval.
    const baseMs = Math.max(1, Math.round(bo.base_interval));
    return { kind: 'envoy', baseMs, maxMs: Math.max(baseMs, Math.round(bo.max_interval ?? 10 * baseMs)) };
  }
  if (algorithm.startsWith('haproxy/')) return { kind: 'haproxy', turnAroundMs: Math.min(HAPROXY_TURN_AROUND_MS, b.timeout_connect ?? HAPROXY_TURN_AROUND_MS) };
  if (algorithm.startsWith('envoy/')) return { kind: 'envoy', ...ENVOY_BACKOFF_DEFAULTS };
  return { kind: 'none' };
}

/** `backends[2].queue` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out === '' ? '' : '.'}${String(p)}`;
  return out || '(top level)';
}

function formatIssues(file: string, doc: Document, lines: LineCounter, issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      let path = issue.path as PropertyKey[];
      let message = issue.message;
      if (issue.code === 'unrecognized_keys') {
        message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
        path = [...path, issue.keys[0]!];
      } else if (issue.code === 'invalid_type' && /received undefined/.test(message)) {
        message = `missing; ${message.replace(/^Invalid input: /, '').replace(/, received undefined/, '')}`;
      }
      const line = lineOf(doc, lines, path);
      return `${file}${line ? `:${line}` : ''}: ${formatPath(path)}: ${message.replace(/^Invalid input: /, '')}`;
    })
    .join('\n');
}

