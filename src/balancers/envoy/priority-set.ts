/**
 * The hosts an Envoy load balancer chooses from: its priority levels, the share of traffic
 * each level takes, and panic. Follows Envoy 1.28 load_balancer_impl.cc, LoadBalancerBase:
 * recalculatePerPriorityState, recalculatePerPriorityPanic, recalculateLoadInTotalPanic,
 * isHostSetInPanic, choosePriority; documented under "Priority levels" and "Panic
 * threshold" in the load balancing overview.
 *
 * - A level's health is min(100, overprovisioning_factor × healthy / hosts) in whole
 *   percent (integer division, factor 140 by default), so a level with at least 1/1.4 ≈ 72%
 *   of its hosts healthy counts as wholly available. With `weighted_priority_health`
 *   (ClusterLoadAssignment.Policy, Envoy 1.27+) the hosts are counted by their weights:
 *   healthy weight over total weight.
 * - The traffic (100 parts) goes to the levels in priority order: each takes
 *   min(what is left, health × 100 / normalized total) parts, where the normalized total is
 *   min(100, sum of the healths); any remainder from rounding goes to the first level with
 *   health above 0. A request's level is the first whose running sum of parts reaches
 *   hash % 100 + 1.
 * - Panic, per level: never while the normalized total is 100; otherwise a level is in
 *   panic when fewer than `healthy_panic_threshold` percent of its hosts are healthy. A
 *   level in panic balances over all its hosts, healthy or not, on the theory that failing
 *   some requests beats overloading the few healthy hosts.
 * - Total panic (every level in panic): the parts follow each level's number of hosts,
 *   healthy or not, the remainder to the first level with hosts.
 *
 * Mapping: a host is healthy when the balancer believes it usable (`up`): not failed by
 * active health checks and not ejected by outlier detection, or, with neither configured,
 * not in an outage (src/engine/server-health.ts). A request sent in panic to a host really
 * in an outage is refused by it, which lbsim counts as a rejection at that backend. A
 * backend's level is its `priority` (BackendView.priority; 0 when absent). Weight 0 is
 * lbsim's "drained" (Envoy requires weights >= 1): such a host is in no level. Localities
 * (locality-weighted balancing): localities.ts and normalizedHosts below. Not modelled:
 * degraded hosts (lbsim has none), zone-aware routing, retry priority plugins.
 * `fail_traffic_on_panic`: failsOnPanic below.
 *
 * Options: `healthy_panic_threshold` (percent, rounded to a whole number as Envoy's
 * PROTOBUF_PERCENT_TO_ROUNDED_INTEGER_OR_DEFAULT does; @default 50; 0 turns panic off),
 * `overprovisioning_factor` (ClusterLoadAssignment.Policy, percent; @default 140),
 * `weighted_priority_health` (@default false; panic still counts hosts, as in Envoy), and
 * the locality options (localities.ts). Allocates nothing after construction but closures
 * on a host change (refresh).
 */
import { LbsimError } from '../../errors.ts';
import { SETUP_DRAW } from '../instances.ts';
import { booleanOption, intOption, numberOption } from '../options.ts';
import type { StateReader } from '../saved-state.ts';
import type { BackendView, BalancerModule } from '../types.ts';
import { LOCALITY_OPTIONS, Localities } from './localities.ts';

export const ENVOY_PANIC_DEFAULT = 50;
export const ENVOY_OVERPROVISIONING_DEFAULT = 140;
/** The options every Envoy algorithm takes through PrioritySet (its levels and localities). */
export const PRIORITY_SET_OPTIONS = ['healthy_panic_threshold', 'overprovisioning_factor', 'weighted_priority_health', ...LOCALITY_OPTIONS] as const;
/** …and those the zone-aware ones (round robin, least request, random) take besides: failsOnPanic. */
export const ZONE_AWARE_OPTIONS = [...PRIORITY_SET_OPTIONS, 'fail_traffic_on_panic'] as const;

/**
 * `fail_traffic_on_panic` (common_lb_config.zone_aware_lb_config): a request whose level is
 * in panic fails (no host) instead of going to all the level's hosts
 * (ZoneAwareLoadBalancerBase::hostSourceToUse). Round robin, least request and random only,
 * as in Envoy: ring hash and Maglev are not zone-aware and ignore it. @default false
 */
export function failsOnPanic(algorithm: string, options: Readonly<Record<string, unknown>>): boolean {
  return booleanOption(algorithm, options, 'fail_traffic_on_panic', false);
}

/**
 * Envoy's HostsSource::SourceType, those lbsim has: a level's healthy hosts, all of them
 * (panic), and with locality weighting each locality's healthy hosts (Source.Locality + k).
 */
export const Source = { Healthy: 0, All: 1, Locality: 2 } as const;

export class PrioritySet {
  /** Envoy keeps one host set per priority from 0 to the highest used; a level may be empty. */
  readonly levels: number;
  /** Each backend's level. */
  readonly levelOf: Int32Array;
  /** Per level: 1 while it is in panic (its requests go to all its hosts). */
  readonly panic: Uint8Array;
  /** Per level: per_priority_health_, whole percent. */
  readonly health: Int32Array;
  /** Per level: the parts of 100 it takes (healthy_priority_load_). */
  readonly load: Int32Array;
  /** Locality weighting (localities.ts); off unless `locality_weighted_lb`. */
  readonly localities: Localities;
  /** Sources over all levels (sourceIndex numbers them 0 .. sourceCount - 1). */
  readonly sourceCount: number;
  /** Per level: the index of its first source. */
  private readonly base: Int32Array;
  /**
   * Per source (sourceIndex): the hosts, in declaration order; the first `sizes[i]`
   * entries are valid. `localityHosts`: per level and locality, all its hosts (counted only).
   */
  private readonly lists: Int32Array[];
  private readonly sizes: Int32Array;
  private readonly localityHosts: Int32Array;
  private readonly threshold: number;
  private readonly overprovisioning: number;
  private readonly weightedHealth: boolean;

  constructor(private readonly view: BackendView, algorithm: string, options: Readonly<Record<string, unknown>>) {
    this.threshold = Math.round(numberOption(algorithm, options, 'healthy_panic_threshold', ENVOY_PANIC_DEFAULT, 0, 100));
    this.overprovisioning = intOption(algorithm, options, 'overprovisioning_factor', ENVOY_OVERPROVISIONING_DEFAULT, 1, 4294967295);
    this.weightedHealth = booleanOption(algorithm, options, 'weighted_priority_health', false);
    this.levelOf = view.priority === undefined ? new Int32Array(view.count) : Int32Array.from(view.priority);
    let top = 0;
    for (const l of this.levelOf) top = Math.max(top, l);
    this.levels = top + 1;
    this.panic = new Uint8Array(this.levels);
    this.health = new Int32Array(this.levels);
    this.load = new Int32Array(this.levels);
    const perLevel = new Int32Array(this.levels);
    for (const l of this.levelOf) perLevel[l]!++;
    this.localities = new Localities(view, this.levelOf, this.levels, algorithm, options);
    this.base = new Int32Array(this.levels + 1);
    for (let l = 0; l < this.levels; l++) this.base[l + 1] = this.base[l]! + Source.Locality + this.localities.countOf[l]!;
    this.sourceCount = this.base[this.levels]!;
    this.lists = [];
    for (let l = 0; l < this.levels; l++) for (let s = 0; s < this.sourcesOf(l); s++) this.lists.push(new Int32Array(perLevel[l]!));
    this.sizes = new Int32Array(this.sourceCount);
    this.localityHosts = new Int32Array(this.sourceCount);
    this.refresh();
  }

  /** The number of (level, source): its rotation index or EDF scheduler (edf-sources.ts, round-robin.ts). */
  sourceIndex(level: number, source: number): number {
    return this.base[level]! + source;
  }

  /** The sources of `level`: healthy, all, then one per locality. */
  sourcesOf(level: number): number {
    return this.base[level + 1]! - this.base[level]!;
  }

  /**
   * hostSourceToUse (ZoneAwareLoadBalancerBase): what a request of `level` picks from. In
   * panic all the level's hosts, or -1 (no host) with `fail_traffic_on_panic`; else its
   * healthy hosts, or with locality weighting those of the locality the level's scheduler
   * picks next (without a scheduler, of the whole level).
   */
  hostSource(level: number, failOnPanic: boolean): number {
    if (this.panic[level] === 1) return failOnPanic ? -1 : Source.All;
    if (!this.localities.enabled) return Source.Healthy;
    const k = this.localities.choose(level);
    return k < 0 ? Source.Healthy : Source.Locality + k;
  }

  /** The hosts of `level` requests are balanced over now: all of them in panic, else the healthy ones (hostSource for a locality's). */
  source(level: number): number {
    return this.panic[level] === 1 ? Source.All : Source.Healthy;
  }

  hosts(level: number, source: number): Int32Array {
    return this.lists[this.base[level]! + source]!;
  }

  size(level: number, source: number): number {
    return this.sizes[this.base[level]! + source]!;
  }

  /** choosePriority: the level for a request whose hash is `percent` mod 100 (0..99). */
  choose(percent: number): number {
    if (this.levels === 1) return 0;
    const h = percent + 1;
    let sum = 0;
    for (let l = 0; l < this.levels; l++) {
      sum += this.load[l]!;
      if (h <= sum) return l;
    }
    return 0;
  }

  /** choosePriority for a request whose random draw (Envoy's random()) is u in (0, 1). */
  chooseByDraw(u: number): number {
    const hi = (u * 65536) | 0;
    return this.choose(modOfHalves(hi, (u * 4294967296 - hi * 65536) | 0, 100));
  }

  /**
   * Recomputes sources, health, loads and panic after a host of level `changed` changed
   * health (and rebuilds that level's locality scheduler, as Envoy's updateHosts does for
   * the one priority it updates); every level's at construction.
   */
  refresh(changed = -1): void {
    const v = this.view;
    this.sizes.fill(0);
    this.localityHosts.fill(0);
    const loc = this.localities;
    for (let b = 0; b < v.count; b++) {
      if (v.weight[b]! <= 0) continue;
      const base = this.base[this.levelOf[b]!]!;
      this.lists[base + Source.All]![this.sizes[base + Source.All]!++] = b;
      if (v.up[b] === 1) this.lists[base + Source.Healthy]![this.sizes[base + Source.Healthy]!++] = b;
      if (loc.enabled) {
        const i = base + Source.Locality + loc.indexOf[b]!;
        this.localityHosts[i]!++;
        if (v.up[b] === 1) this.lists[i]![this.sizes[i]!++] = b;
      }
    }
    if (loc.enabled) {
      for (let l = 0; l < this.levels; l++) {
        if (changed >= 0 && l !== changed) continue;
        const at = this.base[l]! + Source.Locality;
        loc.rebuild(l, (k) => this.sizes[at + k]!, (k) => this.localityHosts[at + k]!, this.overprovisioning);
      }
    }
    let totalHealth = 0;
    for (let l = 0; l < this.levels; l++) {
      const hosts = this.size(l, Source.All);
      const healthy = this.weightedHealth ? this.weightOf(l, Source.Healthy) : this.size(l, Source.Healthy);
      const total = this.weightedHealth ? this.weightOf(l, Source.All) : hosts;
      this.health[l] = hosts === 0 ? 0 : Math.min(100, Math.floor((this.overprovisioning * healthy) / total));
      totalHealth += this.health[l]!;
    }
    const normalized = Math.min(100, totalHealth);
    this.load.fill(0);
    // distributeLoad, then the rounding remainder to the first level with health.
    if (normalized > 0) this.distribute((l) => Math.floor((this.health[l]! * 100) / normalized), (l) => this.health[l]! > 0);
    if (this.threshold === 0 && normalized === 0) {
      // Panic off and no host healthy: Envoy gives P=0 the traffic, which then finds no host.
      this.panic.fill(0);
      this.load[0] = 100;
      return;
    }
    let total = true;
    for (let l = 0; l < this.levels; l++) {
      const hosts = this.size(l, Source.All);
      const healthyPercent = hosts === 0 ? 0 : (100 * this.size(l, Source.Healthy)) / hosts;
      this.panic[l] = normalized !== 100 && healthyPercent < this.threshold ? 1 : 0;
      total &&= this.panic[l] === 1;
    }
    if (total) this.loadInTotalPanic();
  }

  /**
   * ThreadAwareLoadBalancerBase's normalizeLocalityWeights, for ring hash and Maglev with
   * locality weighting: the hosts of `level`'s `source` (healthy, or all in panic),
   * locality by locality in order, skipping localities of weight 0, into `hosts`, and each
   * one's weight × (its locality's weight / the level's locality weights' sum) / its
   * locality's hosts' weight into `weight[host]`. The locality weights are not adjusted
   * for health (an Envoy TODO), so with a locality down the weights sum below 1; with every
   * locality weight 0 there is no host. Returns how many hosts.
   */
  normalizedHosts(level: number, source: number, hosts: Int32Array, weight: Float64Array): number {
    const loc = this.localities;
    const v = this.view;
    const list = this.hosts(level, source);
    const size = this.size(level, source);
    let sumLocalities = 0;
    for (let k = 0; k < loc.countOf[level]!; k++) sumLocalities += loc.weightOf(level, k);
    if (sumLocalities === 0) return 0;
    let n = 0;
    for (let k = 0; k < loc.countOf[level]!; k++) {
      const lw = loc.weightOf(level, k);
      if (lw === 0) continue;
      const share = lw / sumLocalities;
      let sum = 0;
      for (let i = 0; i < size; i++) if (loc.indexOf[list[i]!] === k) sum += v.weight[list[i]!]!;
      for (let i = 0; i < size; i++) {
        const h = list[i]!;
        if (loc.indexOf[h] !== k) continue;
        hosts[n++] = h;
        weight[h] = (v.weight[h]! * share) / sum;
      }
    }
    return n;
  }

  /** The locality schedulers' state (localities.ts); nothing without locality weighting. */
  saveTo(out: number[]): void {
    this.localities.saveTo(out);
  }

  loadFrom(r: StateReader): void {
    this.localities.loadFrom(r);
  }

  /** The configured weights of (level, source)'s hosts, summed (weighted_priority_health). */
  private weightOf(level: number, source: number): number {
    const hosts = this.hosts(level, source);
    let sum = 0;
    for (let i = 0; i < this.size(level, source); i++) sum += this.view.weight[hosts[i]!]!;
    return sum;
  }

  /** recalculateLoadInTotalPanic: parts by each level's number of hosts, healthy or not. */
  private loadInTotalPanic(): void {
    let hosts = 0;
    for (let l = 0; l < this.levels; l++) hosts += this.size(l, Source.All);
    this.load.fill(0);
    if (hosts === 0) this.load[0] = 100;
    else this.distribute((l) => Math.floor((100 * this.size(l, Source.All)) / hosts), (l) => this.size(l, Source.All) > 0);
  }

  /**
   * The 100 parts, level by level: each takes min(what is left, part(l)); what rounding
   * leaves goes to the first level that `counts` (distributeLoad and
   * recalculateLoadInTotalPanic alike). Precondition: some level counts.
   */
  private distribute(part: (level: number) => number, counts: (level: number) => boolean): void {
    let left = 100;
    let first = -1;
    for (let l = 0; l < this.levels; l++) {
      if (first < 0 && counts(l)) first = l;
      this.load[l] = Math.min(left, part(l));
      left -= this.load[l]!;
    }
    this.load[first] = this.load[first]! + left;
  }

  /**
   * True when the hosts of (level, source) have one weight and none is in slow start: Envoy
   * then skips the EDF scheduler (EdfLoadBalancerBase::refresh: hostWeightsAreEqual and
   * noHostsAreInSlowStart()).
   */
  equalWeights(level: number, source: number): boolean {
    const v = this.view;
    const hosts = this.hosts(level, source);
    const n = this.size(level, source);
    for (let i = 1; i < n; i++) if (v.weight[hosts[i]!] !== v.weight[hosts[0]!]) return false;
    const ew = v.effectiveWeight;
    if (ew !== undefined) for (let i = 0; i < n; i++) if (ew[hosts[i]!] !== v.weight[hosts[i]!]) return false;
    return true;
  }
}

/**
 * A host's weight as Envoy's hostWeight() gives it: with slow start applied
 * (applySlowStartFactor, kept up to date by the engine in effectiveWeight).
 */
export function hostWeight(view: BackendView, h: number): number {
  return view.effectiveWeight === undefined ? view.weight[h]! : view.effectiveWeight[h]!;
}

/**
 * Envoy's per-balancer `seed_` (random_.random() at construction): where round robin starts
 * and how many EDF picks are made up front, so that many Envoys do not all start on the
 * same host. Option `initial_index` fixes it (golden tests use 0); @default drawn once
 * from the run's seed (a set-up draw, so each of several instances gets its own).
 */
export function envoySeed(algorithm: string, options: Readonly<Record<string, unknown>>, random: (request: number, draw: number) => number): number {
  const v = options.initial_index;
  if (v === undefined) return Math.floor(random(0, SETUP_DRAW) * 4294967296);
  return numberOption(algorithm, options, 'initial_index', 0, 0, Number.MAX_SAFE_INTEGER);
}

/**
 * Envoy's `random() % n` for a request's draw u in (0, 1): u stands for 32 random bits
 * (counter-rng's uniform is (bits + 0.5) / 2^32), taken as two 16-bit halves, hi =
 * (u * 2^16) | 0 and lo = (u * 2^32 - hi * 2^16) | 0, so every value is a small integer
 * V8 types as one. Taken as a whole, the bits are past 2^31: a heap number when they
 * cross a call, and `% n` of them a floating-point modulo (20 M envoy/random picks took
 * 550 ms that way, 1,050 ms with Math.floor halves, 225 ms with these computed in place).
 * Exact while (n - 1) * 65536 + 65535 < 2^31, i.e. n <= 32768; beyond that one larger
 * modulo. Callers on a hot path compute the halves in place (see random.ts).
 */
export function modOfHalves(hi: number, lo: number, n: number): number {
  if (n > 32768) return (hi * 65536 + lo) % n;
  return (((hi % n) * 65536) + lo) % n;
}

/**
 * A backend's `priority` above 0 is an Envoy priority level: only a module that balances
 * over levels (BalancerModule.priorityLevels: the envoy/* algorithms, or a user's that says
 * so) may be given one; any other would treat the backend as a primary.
 */
export function checkPriorityLevels(backends: readonly { name: string; priority?: number }[], module: BalancerModule): void {
  const s = backends.find((b) => (b.priority ?? 0) > 0);
  if (s === undefined || module.priorityLevels === true) return;
  throw new LbsimError(
    'SCENARIO_INVALID',
    `backends.${s.name}.priority: priority level ${s.priority} needs an algorithm with priority levels (Envoy's: the envoy/* algorithms), and ${module.name} has none; for a HAProxy or nginx backup server use backup: true`,
  );
}
