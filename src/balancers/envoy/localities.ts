/**
 * Envoy's locality-weighted balancing (`common_lb_config.locality_weighted_lb_config`),
 * Envoy 1.28 upstream_impl.cc: HostSetImpl::rebuildLocalityScheduler,
 * effectiveLocalityWeight, chooseLocality; "Locality weighted load balancing" in the docs.
 *
 * Within a priority level that is not in panic, a request first picks a locality, then a
 * host among that locality's healthy hosts (its own rotation index or EDF scheduler,
 * edf-sources.ts). The locality comes from an EDF scheduler over the level's localities,
 * each weighted by its configured weight × min(1, overprovisioning_factor / 100 × healthy
 * / hosts), so a locality keeps its full weight down to 1/1.4 ≈ 71% healthy. A locality of
 * effective weight 0 (no weight configured, or no healthy host) is left out; with none
 * left, or no healthy host in the level, there is no scheduler and the request goes to the
 * level's healthy hosts as without localities. The scheduler is rebuilt (fresh, no picks
 * made up front: that came after 1.28) whenever the level's hosts change, and only that
 * level's. That is round robin, least request and random; ring hash and Maglev weigh
 * their hosts by locality instead (PrioritySet.normalizedHosts).
 *
 * Localities are ordered as Envoy orders them (a std::map on Locality, LocalityLess: by
 * region, then zone, then sub_zone): a locality name "region/zone/sub_zone" is compared
 * part by part. lbsim has no local locality, so none goes first.
 *
 * Options: `locality_weighted_lb` (@default false), `locality_weights` (locality name →
 * weight, a whole number >= 0; @default 0 for a locality not named, as an endpoint group
 * without `load_balancing_weight` has in Envoy). Not modelled: degraded hosts.
 */
import { LbsimError } from '../../errors.ts';
import { booleanOption } from '../options.ts';
import type { StateReader } from '../saved-state.ts';
import type { BackendView } from '../types.ts';
import { EdfScheduler } from './edf.ts';

export const LOCALITY_OPTIONS = ['locality_weighted_lb', 'locality_weights'] as const;

/** LocalityLess on "region/zone/sub_zone" names: part by part, bytewise (a missing part is ""). */
export function compareLocalities(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i] ?? '';
    const q = y[i] ?? '';
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

export class Localities {
  readonly enabled: boolean;
  /** Per level: how many localities it has (0 when locality weighting is off). */
  readonly countOf: Int32Array;
  /** Per backend: its locality's index within its level. */
  readonly indexOf: Int32Array;
  /** Per level: each locality's configured weight. */
  private readonly weights: Float64Array[];
  /** Per level: each locality's effective weight since the last rebuild. */
  private readonly effective: Float64Array[];
  private readonly schedulers: EdfScheduler[];
  /** Per level: 1 while its scheduler has entries (Envoy: a non-null locality_scheduler_). */
  private readonly active: Uint8Array;
  private readonly eligible: Int32Array;

  constructor(view: BackendView, levelOf: Int32Array, levels: number, algorithm: string, options: Readonly<Record<string, unknown>>) {
    this.enabled = booleanOption(algorithm, options, 'locality_weighted_lb', false);
    const names = view.locality ?? new Array<string>(view.count).fill('');
    const perLevel = Array.from({ length: levels }, () => new Set<string>());
    if (this.enabled) for (let b = 0; b < view.count; b++) perLevel[levelOf[b]!]!.add(names[b]!);
    const sorted = perLevel.map((s) => [...s].sort(compareLocalities));
    this.countOf = Int32Array.from(sorted, (s) => s.length);
    this.indexOf = Int32Array.from({ length: view.count }, (_, b) => (this.enabled ? sorted[levelOf[b]!]!.indexOf(names[b]!) : 0));
    const configured = weightsOption(algorithm, options, new Set(names));
    this.weights = sorted.map((s) => Float64Array.from(s, (name) => configured.get(name) ?? 0));
    this.effective = sorted.map((s) => new Float64Array(s.length));
    this.schedulers = sorted.map((s) => new EdfScheduler(s.length));
    this.active = new Uint8Array(levels);
    this.eligible = new Int32Array(Math.max(0, ...this.countOf));
  }

  /**
   * rebuildLocalityScheduler for `level`, given each locality's healthy and total hosts
   * and the overprovisioning factor (percent).
   */
  rebuild(level: number, healthy: (k: number) => number, hosts: (k: number) => number, factor: number): void {
    const n = this.countOf[level]!;
    const eff = this.effective[level]!;
    let anyHealthy = false;
    for (let k = 0; k < n; k++) if (healthy(k) > 0) anyHealthy = true;
    let m = 0;
    for (let k = 0; k < n; k++) {
      const total = hosts(k);
      eff[k] = total === 0 ? 0 : this.weights[level]![k]! * Math.min(1, (factor / 100) * ((1 * healthy(k)) / total));
      if (eff[k]! > 0) this.eligible[m++] = k;
    }
    this.active[level] = anyHealthy && m > 0 ? 1 : 0;
    if (this.active[level] === 1) this.schedulers[level]!.rebuild(this.eligible, m, (k) => eff[k]!, 0);
    else this.schedulers[level]!.clear();
  }

  /** Locality `k` of `level`'s configured weight. */
  weightOf(level: number, k: number): number {
    return this.weights[level]![k]!;
  }

  /** chooseHealthyLocality: the next locality of `level`, or -1 when it has no scheduler. */
  choose(level: number): number {
    if (this.active[level] === 0) return -1;
    const eff = this.effective[level]!;
    return this.schedulers[level]!.pickAndAdd((k) => eff[k]!);
  }

  /** The schedulers' state, and whether each is active (the effective weights are rebuilt from the backends). */
  saveTo(out: number[]): void {
    if (!this.enabled) return;
    for (let l = 0; l < this.schedulers.length; l++) {
      out.push(this.active[l]!);
      this.schedulers[l]!.saveTo(out);
    }
  }

  loadFrom(r: StateReader): void {
    if (!this.enabled) return;
    for (let l = 0; l < this.schedulers.length; l++) {
      this.active[l] = r.next();
      this.schedulers[l]!.loadFrom(r);
    }
  }
}

/** `locality_weights`: locality name → whole number >= 0, each a locality some backend has. */
function weightsOption(algorithm: string, options: Readonly<Record<string, unknown>>, known: Set<string>): Map<string, number> {
  const v = options.locality_weights;
  const out = new Map<string, number>();
  if (v === undefined) return out;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new LbsimError('SCENARIO_INVALID', `balancer.locality_weights: ${algorithm} expects a map of locality name to weight, e.g. { us-east-1a: 2, us-east-1b: 1 }`);
  }
  for (const [name, w] of Object.entries(v)) {
    if (!known.has(name)) throw new LbsimError('SCENARIO_INVALID', `balancer.locality_weights: '${name}' is no backend's locality; expected one of ${[...known].map((n) => (n === '' ? '(none)' : n)).join(', ')}`);
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 4294967295) {
      throw new LbsimError('SCENARIO_INVALID', `balancer.locality_weights.${name}: expected a whole number >= 0 (Envoy's LocalityLbEndpoints.load_balancing_weight), got ${JSON.stringify(w)}`);
    }
    out.set(name, w);
  }
  return out;
}
