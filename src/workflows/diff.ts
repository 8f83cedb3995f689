/**
 * Diff: the config-change test. BEFORE and AFTER run on the same traffic — replication r
 * uses seed base + r for both (common random numbers) — and the verdict asks two things:
 * does AFTER meet its SLO, and is it significantly worse than BEFORE?
 *
 * "Significantly worse" must not cry wolf, so a metric regresses only when both hold:
 *  - the estimated change is larger than a practical threshold (latency: +10% relative;
 *    error share: +0.1 percentage points, or +10% of BEFORE's share if that is larger), and
 *  - the 95% confidence interval of the change excludes zero (Student t over the paired
 *    per-replication differences; Welch's t when the runs are independent).
 * Paired differences cancel the traffic's own noise: on identical configs they are zero,
 * and a real change shows up with a tight interval even from a few replications.
 * One replication a side has no interval: its changes are shown untested and the verdict
 * is AFTER's SLO alone (`verdict.regressionTested` false). When every replication of each
 * side gives the same value (a fixed trace through a deterministic balancer: nothing draws
 * on the seed), the change is exact for that traffic: no interval is shown (a zero-width
 * one would be fake precision), and the threshold alone decides (`change.exact`).
 */
import type { ClusterOptions } from '../cluster/options.ts';
import type { ProxyKind } from '../config-import/types.ts';
import { LbsimError } from '../errors.ts';
import { runMany } from '../parallel/run-many.ts';
import type { OverloadRange, Report } from '../report/types.ts';
import type { Scenario } from '../scenario/load.ts';
import { checkSlo, type SloCheck } from '../report/slo.ts';
import { type MetricName, runMetrics } from './run-metrics.ts';
import { type Change, change, mean } from './stats.ts';

export interface DiffOptions {
  /** Replications per side. @default 5 */
  replications?: number;
  /** First seed; replication r uses seed + r. @default BEFORE's scenario seed */
  seed?: number;
  /**
   * Run AFTER on its own seeds (its scenario's seed + r) instead of BEFORE's: independent
   * traffic samples, compared unpaired. For checking that a verdict survives a new draw of
   * the traffic. @default false
   */
  independent?: boolean;
  /** Relative latency change that counts as a regression. @default 0.10 */
  threshold?: number;
  /** Smallest error-share increase (absolute) that counts as a regression. @default 0.001 */
  errorThreshold?: number;
  /** Names shown for the two sides. @default the scenarios' file paths */
  labels?: [string, string];
  signal?: AbortSignal;
  /** Worker threads the simulations run on (1: one after another in this thread). @default os.availableParallelism() */
  threads?: number;
  /** Run the simulations as jobs on a cluster (BullMQ on Redis) instead of local threads. @default undefined (local) */
  cluster?: ClusterOptions;
}

export const DIFF_DEFAULTS = { replications: 5, independent: false, threshold: 0.1, errorThreshold: 0.001 } as const;

/** Metrics diff gates on. Latency is over completed requests, so errors are gated too. */
export const DIFF_METRICS = ['p50', 'p99', 'p999', 'errors'] as const satisfies readonly MetricName[];
export type DiffMetric = (typeof DIFF_METRICS)[number];

export interface MetricChange {
  /**
   * Each side's value is the mean over its replications of the run's figure; for
   * `maxQueue` and `maxUtilization` that figure is the run's largest over backends, so
   * their means can exceed every backend's own mean in `backends`.
   */
  metric: DiffMetric | 'mean' | 'maxQueue' | 'maxProxyQueue' | 'maxUtilization';
  change: Change;
  /**
   * 'worse' / 'better' when the change passes both the threshold and the significance test
   * (an exact change: the threshold alone); 'untested' when there is no interval (one replication).
   */
  direction: 'worse' | 'better' | 'same' | 'untested';
  /** Whether this metric takes part in the verdict. */
  gated: boolean;
}

export interface BackendChange {
  /** BEFORE's name for it (AFTER's when only AFTER has it). */
  name: string;
  /**
   * AFTER's name, when it differs: two proxy configs that name the same server differently
   * (nginx by address, HAProxy by server name) are lined up by the address both give.
   */
  nameAfter?: string;
  /** Mean over the replications; null when the backend is not in that config. */
  shareBefore: number | null;
  shareAfter: number | null;
  /** The largest queue in any replication (a peak, not a mean). */
  peakQueueBefore: number | null;
  peakQueueAfter: number | null;
  /** Mean over the replications. */
  utilizationBefore: number | null;
  utilizationAfter: number | null;
}

export interface Side {
  file: string | null;
  /** Wall-clock epoch ms of t = 0 (display only), or null. */
  start: number | null;
  scenario: string;
  algorithm: string;
  /** Whether clients were pinned to servers (balancer.persistence, HAProxy `cookie`): present only then. */
  persistence?: true;
  /** The algorithm's options where the two sides' differ (both sides run the same algorithm): present only then. */
  options?: Record<string, unknown>;
  seeds: number[];
}

export interface DiffResult {
  before: Side;
  after: Side;
  paired: boolean;
  threshold: number;
  errorThreshold: number;
  metrics: MetricChange[];
  /** AFTER's SLO checks (mean over replications); empty when AFTER sets no SLO. */
  slo: SloCheck[];
  sloSet: boolean;
  backends: BackendChange[];
  /** Overload ranges of the first replication that AFTER has and BEFORE has not (gained), and the reverse (lost). */
  overload: { gained: OverloadRange[]; lost: OverloadRange[]; before: number; after: number };
  /**
   * `regressionTested` false: one replication, no interval, so only the SLO was checked.
   * `exact`: every gated change was the same in every replication (change.exact), so the
   * regression test was the threshold on exact changes, not a significance test.
   */
  verdict: { pass: boolean; reasons: string[]; regressionTested: boolean; exact: boolean };
}

export async function diff(before: Scenario, after: Scenario, options: DiffOptions = {}): Promise<DiffResult> {
  const reps = options.replications ?? DIFF_DEFAULTS.replications;
  // One replication gives no interval, hence no regression test: the SLO is then the whole gate, and without one it would pass on nothing.
  if (reps < 2 && after.slo === undefined) {
    throw new LbsimError('USAGE', `--replications 1: one replication per side has no confidence interval, so diff can check only AFTER's SLO, and ${options.labels?.[1] ?? after.file ?? after.name} sets none; use --replications 2 or more`);
  }
  const independent = options.independent ?? DIFF_DEFAULTS.independent;
  const threshold = options.threshold ?? DIFF_DEFAULTS.threshold;
  const errorThreshold = options.errorThreshold ?? DIFF_DEFAULTS.errorThreshold;
  const base = options.seed ?? before.seed;
  const afterBase = independent ? after.seed : base;
  const seedsB = Array.from({ length: reps }, (_, r) => base + r);
  const seedsA = Array.from({ length: reps }, (_, r) => afterBase + r);
  const paired = !independent || afterBase === base;
  const reports = await runMany(
    [...seedsB.map((seed) => ({ scenario: before, seed })), ...seedsA.map((seed) => ({ scenario: after, seed }))],
    { ...(options.signal ? { signal: options.signal } : {}), ...(options.cluster ? { cluster: options.cluster } : {}), ...(options.threads === undefined ? {} : { threads: options.threads }) },
  );
  const rb = reports.slice(0, reps);
  const ra = reports.slice(reps);
  const mb = rb.map(runMetrics);
  const ma = ra.map(runMetrics);

  const metrics: MetricChange[] = [];
  // Behind a proxy with maxconn the requests wait in its queues, not the servers': the row only where either side queued there.
  const proxyQueued = [...mb, ...ma].some((x) => x.maxProxyQueue > 0);
  for (const m of [...DIFF_METRICS, 'mean', 'maxQueue', ...(proxyQueued ? (['maxProxyQueue'] as const) : []), 'maxUtilization'] as const) {
    const c = change(
      mb.map((x) => x[m]),
      ma.map((x) => x[m]),
      paired,
    );
    const gated = (DIFF_METRICS as readonly string[]).includes(m);
    metrics.push({ metric: m, change: c, direction: directionOf(m, c, threshold, errorThreshold), gated });
  }

  const sloSet = after.slo !== undefined;
  const slo = checkSlo(after.slo, (f) => mean(ma.map((x) => x[f])));
  const reasons: string[] = [];
  for (const s of slo) if (!s.met) reasons.push(`AFTER breaks its SLO: ${s.field} ${describe(s.field, s.value)} > ${describe(s.field, s.limit)}`);
  for (const m of metrics) {
    if (!m.gated || m.direction !== 'worse') continue;
    const how = m.change.exact ? 'worse in every replication (exact for this traffic)' : 'significantly worse';
    reasons.push(`AFTER is ${how} on ${m.metric}: ${describe(m.metric, m.change.before)} → ${describe(m.metric, m.change.after)}`);
  }
  const differing = differingOptions(before, after);
  return {
    before: { ...side(before, rb, seedsB, options.labels?.[0]), ...(differing === undefined ? {} : { options: differing.before }) },
    after: { ...side(after, ra, seedsA, options.labels?.[1]), ...(differing === undefined ? {} : { options: differing.after }) },
    paired,
    threshold,
    errorThreshold,
    metrics,
    slo,
    sloSet,
    backends: backendChanges(rb, ra, sameServers(before, after)),
    overload: overloadChanges(rb[0]!, ra[0]!),
    verdict: { pass: reasons.length === 0, reasons, regressionTested: metrics.every((m) => m.change.tested), exact: metrics.every((m) => !m.gated || m.change.exact) },
  };
}

function directionOf(m: MetricChange['metric'], c: Change, threshold: number, errorThreshold: number): MetricChange['direction'] {
  if (!c.tested) return 'untested';
  if (m === 'maxUtilization') return 'same';
  // An exact change has no interval: it is real for this traffic whenever it is not zero.
  if (m === 'errors' || !Number.isFinite(c.relative)) {
    // Shares (often zero before) change in absolute terms: percentage points.
    if (!(c.exact ? c.delta !== 0 : c.low > 0 || c.high < 0)) return 'same';
    const material = m === 'errors' ? Math.max(errorThreshold, threshold * c.before) : 0;
    if (c.delta > material) return 'worse';
    if (c.delta < -material) return 'better';
    return 'same';
  }
  if (c.relative > threshold && (c.exact || c.relLow > 0)) return 'worse';
  if (c.relative < -threshold && (c.exact || c.relHigh < 0)) return 'better';
  return 'same';
}

/** A metric's value for people: ms for latency, % for shares. */
export function describe(metric: string, x: number): string {
  if (metric === 'errors' || metric === 'maxUtilization') return `${(x * 100).toFixed(x !== 0 && x < 0.01 ? 2 : 1)}%`;
  if (metric === 'maxQueue' || metric === 'maxProxyQueue') return x.toFixed(1);
  return x < 10 ? `${x.toFixed(2)}ms` : x < 1000 ? `${x.toFixed(1)}ms` : `${(x / 1000).toFixed(2)}s`;
}

function side(s: Scenario, reports: readonly Report[], seeds: number[], label: string | undefined): Side {
  return { file: label ?? s.file ?? null, start: s.startEpochMs ?? null, scenario: s.name, algorithm: reports[0]!.algorithm, ...(s.persistence === undefined ? {} : { persistence: true as const }), seeds };
}

/**
 * With one algorithm on both sides, the options that tell them apart (`hash_balance_factor:
 * 125` on one side only): what the header shows beside the algorithm. An option one side
 * leaves out shows as its default, `(default)`.
 */
function differingOptions(before: Scenario, after: Scenario): { before: Record<string, unknown>; after: Record<string, unknown> } | undefined {
  if (before.balancer.algorithm !== after.balancer.algorithm) return undefined;
  const a = before.balancer.options;
  const b = after.balancer.options;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
  if (keys.length === 0) return undefined;
  const pick = (o: Record<string, unknown>) => Object.fromEntries(keys.map((k) => [k, k in o ? o[k] : '(default)']));
  return { before: pick(a), after: pick(b) };
}

/**
 * An address as both proxies would mean it: host names lower-cased, and nginx's default
 * port made explicit (`server 10.0.0.1;` is port 80, the nginx docs say). HAProxy's
 * address without a port takes the port the client connected to, which a config does not
 * tell, so it is left as written (it matches only the same text).
 */
function addressKey(address: string, kind: ProxyKind): string {
  const a = address.toLowerCase();
  if (kind !== 'nginx' || a.startsWith('unix:')) return a;
  const hasPort = a.startsWith('[') ? /\]:\d+$/.test(a) : /:\d+$/.test(a);
  return hasPort ? a : `${a}:80`;
}

/** A config's server names by address, for the addresses only one of its servers has. */
function addresses(s: Scenario): Map<string, string> {
  const imported = s.balancer.imported;
  const byAddress = new Map<string, string>();
  const twice = new Set<string>();
  for (const x of imported?.servers ?? []) {
    const key = addressKey(x.address, imported!.kind);
    if (byAddress.has(key)) twice.add(key);
    byAddress.set(key, x.name);
  }
  for (const a of twice) byAddress.delete(a);
  return byAddress;
}

/**
 * BEFORE's name → AFTER's for servers both configs give the same address but name
 * differently (nginx names a server by its address, HAProxy by its server name), when
 * neither name is on the other side already.
 */
function sameServers(before: Scenario, after: Scenario): Map<string, string> {
  const pairs = new Map<string, string>();
  const b = addresses(before);
  const a = addresses(after);
  const namesB = new Set(before.backends.map((x) => x.name));
  const namesA = new Set(after.backends.map((x) => x.name));
  for (const [address, nb] of b) {
    const na = a.get(address);
    if (na !== undefined && na !== nb && !namesA.has(nb) && !namesB.has(na)) pairs.set(nb, na);
  }
  return pairs;
}

function backendChanges(rb: readonly Report[], ra: readonly Report[], pairs: ReadonlyMap<string, string>): BackendChange[] {
  const names: string[] = [];
  const paired = new Set(pairs.values());
  for (const b of rb[0]!.backends) if (!names.includes(b.name)) names.push(b.name);
  for (const b of ra[0]!.backends) if (!names.includes(b.name) && !paired.has(b.name)) names.push(b.name);
  const agg = (reports: readonly Report[], name: string) => {
    const bs = reports.map((r) => r.backends.find((b) => b.name === name));
    if (bs.some((b) => b === undefined)) return null;
    return {
      share: mean(bs.map((b) => b!.share)),
      peakQueue: Math.max(...bs.map((b) => b!.maxQueue)),
      utilization: mean(bs.map((b) => b!.utilization)),
    };
  };
  return names.map((name) => {
    const nameAfter = pairs.get(name);
    const b = agg(rb, name);
    const a = agg(ra, nameAfter ?? name);
    return {
      name,
      ...(nameAfter === undefined ? {} : { nameAfter }),
      shareBefore: b?.share ?? null,
      shareAfter: a?.share ?? null,
      peakQueueBefore: b?.peakQueue ?? null,
      peakQueueAfter: a?.peakQueue ?? null,
      utilizationBefore: b?.utilization ?? null,
      utilizationAfter: a?.utilization ?? null,
    };
  });
}

const overlaps = (x: OverloadRange, y: OverloadRange) => x.backend === y.backend && x.from < y.to && y.from < x.to;

function overloadChanges(b: Report, a: Report): DiffResult['overload'] {
  return {
    gained: a.overload.filter((x) => !b.overload.some((y) => overlaps(x, y))),
    lost: b.overload.filter((x) => !a.overload.some((y) => overlaps(x, y))),
    before: b.overload.length,
    after: a.overload.length,
  };
}

