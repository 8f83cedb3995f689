/**
 * Capacity planning: search for the smallest fleet (backends, or slots per backend) that
 * meets an SLO, or the largest traffic multiplier a fleet survives, and the same with the
 * busiest backend down (N+1).
 *
 * The search is a k-section over a bracket [fails, meets]: each round evaluates several
 * candidate points at once (one runMany batch, so they run in parallel once the worker
 * pool lands) and narrows the bracket to the pair of neighbours where the verdict flips.
 * A point meets the SLO when the mean over its replications of each SLO figure is within
 * the limit. Meeting an SLO is assumed monotone in capacity (more backends, slots or less
 * traffic never hurt), which holds for the built-in algorithms up to noise.
 */
import { LbsimError } from '../errors.ts';
import type { ClusterOptions } from '../cluster/options.ts';
import { runMany, type RunManyOptions } from '../parallel/run-many.ts';
import type { Report } from '../report/types.ts';
import type { Scenario, Slo } from '../scenario/load.ts';
import { checkSlo, type SloCheck } from '../report/slo.ts';
import { runMetrics, type RunMetrics } from './run-metrics.ts';
import { mean } from './stats.ts';
import { type Fleet, fleetOf, peakRate, scaleTraffic, withFleetSize, withoutBackend, withSlots } from './variants.ts';

export type Vary = 'backends' | 'slots' | 'rate';

export interface CapacityOptions {
  vary: Vary;
  /** The SLO to meet. @default the scenario's `slo` */
  slo?: Slo;
  /** Traffic multiplier for backends/slots searches (next quarter's peak = 1.4). @default 1 */
  scale?: number;
  /** Replications per candidate point. @default 2 */
  replications?: number;
  /** Candidate points evaluated per round (one parallel batch). @default 4 */
  batch?: number;
  /** Name of the backend whose group is resized. @default the first backend */
  backend?: string;
  /** Largest fleet (backends or slots) tried. @default 1024 */
  max?: number;
  /** Multiplier search stops when the bracket is this tight, relative. @default 0.02 */
  precision?: number;
  /** Also search with the busiest backend down. @default true */
  nPlusOne?: boolean;
  signal?: AbortSignal;
  /** Worker threads the simulations run on (1: one after another in this thread). @default os.availableParallelism() */
  threads?: number;
  /** Run the simulations as jobs on a cluster (BullMQ on Redis) instead of local threads. @default undefined (local) */
  cluster?: ClusterOptions;
}

export const CAPACITY_DEFAULTS = { scale: 1, replications: 2, batch: 4, max: 1024, precision: 0.02, nPlusOne: true } as const;

export interface CurvePoint {
  /** Backends, slots or traffic multiplier. */
  x: number;
  p99: number;
  p999: number;
  errors: number;
  maxUtilization: number;
  meets: boolean;
  checks: SloCheck[];
}

export interface Search {
  /** The answer: smallest fleet size meeting the SLO, or largest multiplier surviving it; null if none found in range. */
  answer: number | null;
  /** Every point evaluated, sorted by x. */
  curve: CurvePoint[];
  rounds: number;
  runs: number;
  /**
   * Integer searches: where the search began, the static bound (peak rate × mean work /
   * capacity per unit) less one, and the most it could try (`--max`). Above `max` nothing
   * was simulated at all. Absent for a traffic multiplier.
   */
  range?: { from: number; max: number };
}

export interface CapacityResult {
  vary: Vary;
  slo: Slo;
  scale: number;
  replications: number;
  /** Fleet group resized (backends/slots), its current size, and the busiest backend (taken down for N+1). */
  group: { template: string; current: number; members: number } | null;
  busiest: string;
  /** Peak traffic rate at the given scale, per second (synthetic traffic). */
  peakRate: number | null;
  search: Search;
  nPlusOne: Search | null;
}

type Evaluate = (xs: readonly number[]) => Promise<CurvePoint[]>;

export async function capacity(scenario: Scenario, options: CapacityOptions): Promise<CapacityResult> {
  const slo = options.slo ?? scenario.slo;
  if (slo === undefined || Object.keys(slo).length === 0) {
    throw new LbsimError('USAGE', `${scenario.file ?? scenario.name}: no SLO to plan for: add \`slo:\` to the scenario or pass --slo p99=250ms,errors=1%`);
  }
  const reps = options.replications ?? CAPACITY_DEFAULTS.replications;
  const batch = Math.max(1, options.batch ?? CAPACITY_DEFAULTS.batch);
  const scale = options.scale ?? CAPACITY_DEFAULTS.scale;
  const max = options.max ?? CAPACITY_DEFAULTS.max;
  const precision = options.precision ?? CAPACITY_DEFAULTS.precision;
  const signal = options.signal;
  const where: RunManyOptions = { ...(signal ? { signal } : {}), ...(options.cluster ? { cluster: options.cluster } : {}), ...(options.threads === undefined ? {} : { threads: options.threads }) };
  const seeds = Array.from({ length: reps }, (_, r) => scenario.seed + r);

  const evaluator =
    (make: (x: number) => Scenario): Evaluate =>
    async (xs) => {
      const tasks = xs.flatMap((x) => {
        const s = make(x);
        return seeds.map((seed) => ({ scenario: s, seed }));
      });
      const reports = await runMany(tasks, where);
      return xs.map((x, i) => point(x, reports.slice(i * reps, (i + 1) * reps), slo));
    };

  const scaled = scaleTraffic(scenario, scale);
  // The busiest backend of the scenario as given (at the given scale) is the one N+1 takes down.
  const [baseline] = await runMany([{ scenario: scaled, seed: scenario.seed }], where);
  const busiestIndex = argmax(baseline!.backends.map((b) => b.utilization));
  const busiest = baseline!.backends[busiestIndex]!.name;
  const peak = peakRate(scaled) ?? null;

  if (options.vary === 'rate') {
    const cap = fleetCapacity(scenario);
    const workMs = meanWork(scenario);
    // Traffic beyond the fleet's throughput cannot meet any SLO for long: a natural first bracket.
    const stable = peak !== null && workMs !== undefined ? cap / (workMs / 1000) / (peakRate(scenario) ?? 1) : 2;
    const search = await searchMultiplier(evaluator((m) => scaleTraffic(scenario, m)), stable, batch, precision);
    const n1 =
      options.nPlusOne === false || scenario.backends.length < 2
        ? null
        : await searchMultiplier(
            evaluator((m) => withoutBackend(scaleTraffic(scenario, m), busiestIndex)),
            (stable * (scenario.backends.length - 1)) / scenario.backends.length,
            batch,
            precision,
          );
    return { vary: 'rate', slo, scale: 1, replications: reps, group: null, busiest, peakRate: peakRate(scenario) ?? null, search, nPlusOne: n1 };
  }

  const fleet = fleetOf(scenario, options.backend);
  const perUnit = unitThroughput(scaled, fleet, options.vary);
  const load = peak !== null && perUnit !== undefined ? peak - fixedThroughput(scaled, fleet) : undefined;
  // Below the offered load the group cannot keep up at the peak; start the search there.
  const lowest = load !== undefined && perUnit !== undefined ? Math.max(1, Math.ceil(load / perUnit)) : 1;
  const make = (n: number) => (options.vary === 'backends' ? withFleetSize(scaled, fleet, n) : withSlots(scaled, fleet, n));
  const search = await searchInteger(evaluator(make), lowest, max, batch);
  let n1: Search | null = null;
  if (options.nPlusOne !== false) {
    if (options.vary === 'backends') {
      // Down: one member of the resized group (all alike), unless the busiest backend is a fixed one.
      const inGroup = fleet.members.includes(busiestIndex);
      const fixedName = inGroup ? undefined : busiest;
      const down = (n: number): Scenario => {
        const s = make(n);
        const i = inGroup ? 0 : s.backends.findIndex((b) => b.name === fixedName);
        return s.backends.length < 2 ? { ...s, backends: [] } : withoutBackend(s, i);
      };
      n1 = await searchInteger(evaluator(down), Math.max(2, lowest), max, batch, (n) => (make(n).backends.length < 2 ? failed(n) : undefined));
    } else if (scenario.backends.length >= 2) {
      n1 = await searchInteger(
        evaluator((n) => withoutBackend(make(n), busiestIndex)),
        1,
        max,
        batch,
      );
    }
  }
  return {
    vary: options.vary,
    slo,
    scale,
    replications: reps,
    group: { template: fleet.template.name, current: options.vary === 'backends' ? fleet.members.length : fleet.template.concurrency, members: fleet.members.length },
    busiest,
    peakRate: peak,
    search,
    nPlusOne: n1,
  };
}

function failed(x: number): CurvePoint {
  return { x, p99: Number.NaN, p999: Number.NaN, errors: 1, maxUtilization: Number.NaN, meets: false, checks: [] };
}

function point(x: number, reports: readonly Report[], slo: Slo): CurvePoint {
  const ms: RunMetrics[] = reports.map(runMetrics);
  const avg = (f: keyof RunMetrics) => mean(ms.map((m) => m[f]));
  const checks = checkSlo(slo, (f) => avg(f));
  return { x, p99: avg('p99'), p999: avg('p999'), errors: avg('errors'), maxUtilization: avg('maxUtilization'), meets: checks.every((c) => c.met), checks };
}

function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

/**
 * Smallest integer n in [1, max] that meets. First grow geometrically from `lowest − 1`
 * (the static bound, so the curve shows the failing side too) until a point meets, then
 * k-section the bracket (largest failing point below the smallest meeting one, or 0 —
 * no capacity always fails — when none has been seen).
 */
async function searchInteger(evaluate: Evaluate, lowest: number, max: number, batch: number, skip?: (n: number) => CurvePoint | undefined): Promise<Search> {
  const seen = new Map<number, CurvePoint>();
  let rounds = 0;
  const run = async (xs: number[]) => {
    const todo = [...new Set(xs)].filter((x) => x >= 1 && x <= max && !seen.has(x));
    const pre = todo.map((x) => skip?.(x));
    for (const [i, p] of pre.entries()) if (p) seen.set(todo[i]!, p);
    const rest = todo.filter((_, i) => pre[i] === undefined);
    if (rest.length === 0) return;
    rounds++;
    for (const p of await evaluate(rest)) seen.set(p.x, p);
  };
  const smallestMeeting = () => {
    let hi: number | undefined;
    for (const [x, p] of seen) if (p.meets && (hi === undefined || x < hi)) hi = x;
    return hi;
  };
  let step = Math.max(1, Math.ceil(lowest * 0.25));
  let from = Math.max(1, lowest - 1);
  while (smallestMeeting() === undefined && from <= max) {
    const xs: number[] = [];
    for (let i = 0; xs.length < batch && from + i * step <= max; i++) xs.push(from + i * step);
    await run(xs);
    from = xs[xs.length - 1]! + step;
    step *= 2;
  }
  const range = { from: Math.max(1, lowest - 1), max };
  let hi = smallestMeeting();
  if (hi === undefined) return { ...finishSearch(null, seen, rounds), range };
  for (;;) {
    let lo = 0;
    for (const [x, p] of seen) if (!p.meets && x < hi && x > lo) lo = x;
    if (hi - lo <= 1) break;
    const gap = hi - lo;
    const k = Math.min(batch, gap - 1);
    await run(Array.from({ length: k }, (_, i) => lo + Math.round(((i + 1) * gap) / (k + 1))));
    hi = smallestMeeting()!;
  }
  return { ...finishSearch(hi, seen, rounds), range };
}

/** Largest multiplier that meets, to `precision`: bracket from the stability bound, then k-section. */
async function searchMultiplier(evaluate: Evaluate, stable: number, batch: number, precision: number): Promise<Search> {
  const seen = new Map<number, CurvePoint>();
  let rounds = 0;
  const run = async (xs: number[]) => {
    const todo = [...new Set(xs.map((x) => Math.round(x * 1e4) / 1e4))].filter((x) => x > 0 && !seen.has(x));
    if (todo.length === 0) return;
    rounds++;
    for (const p of await evaluate(todo)) seen.set(p.x, p);
  };
  const top = Number.isFinite(stable) && stable > 0 ? stable : 2;
  await run(Array.from({ length: batch }, (_, i) => (top * (i + 1)) / batch));
  let lo = 0;
  let hi = Number.POSITIVE_INFINITY;
  const narrow = () => {
    for (const x of [...seen.keys()].sort((a, b) => a - b)) {
      if (x <= lo || x >= hi) continue;
      if (seen.get(x)!.meets) lo = x;
      else {
        hi = x;
        break;
      }
    }
  };
  narrow();
  // Everything up to the stability bound met (short runs can ride out brief overload): look beyond it.
  for (let f = 2; hi === Number.POSITIVE_INFINITY && f <= 64; f *= 2) {
    await run([top * f]);
    narrow();
  }
  if (lo === 0) {
    // Even the smallest point failed: look below it.
    const first = Math.min(...seen.keys());
    await run(Array.from({ length: batch }, (_, i) => (first * (i + 1)) / (batch + 1)));
    narrow();
  }
  while (lo > 0 && Number.isFinite(hi) && (hi - lo) / lo > precision) {
    await run(Array.from({ length: batch }, (_, i) => lo + ((hi - lo) * (i + 1)) / (batch + 1)));
    narrow();
  }
  return finishSearch(lo > 0 ? lo : null, seen, rounds);
}

function finishSearch(answer: number | null, seen: Map<number, CurvePoint>, rounds: number): Search {
  const curve = [...seen.values()].sort((a, b) => a.x - b.x);
  return { answer, curve, rounds, runs: curve.length };
}

// Static fleet figures (used to bracket the search; the verdicts come from runs).

function meanWork(s: Scenario): number | undefined {
  const t = s.traffic as { kind: string; service?: { mean: number } };
  return t.kind === 'synthetic' ? t.service?.mean : undefined;
}

/** Slots × speed summed over every backend with weight > 0: requests in service at once, in speed-1 units. */
function fleetCapacity(s: Scenario): number {
  let c = 0;
  for (const b of s.backends) if (b.weight > 0) c += b.concurrency * b.speed;
  return c;
}

/** Throughput (req/s) one more unit adds: a backend of the template, or one slot on every group member. */
function unitThroughput(s: Scenario, fleet: Fleet, vary: 'backends' | 'slots'): number | undefined {
  const w = meanWork(s);
  if (w === undefined) return undefined;
  const t = fleet.template;
  return vary === 'backends' ? (t.concurrency * t.speed * 1000) / w : (fleet.members.length * t.speed * 1000) / w;
}

function fixedThroughput(s: Scenario, fleet: Fleet): number {
  const w = meanWork(s);
  if (w === undefined) return 0;
  let c = 0;
  for (const b of fleet.fixed) if (b.weight > 0) c += (b.concurrency * b.speed * 1000) / w;
  return c;
}
