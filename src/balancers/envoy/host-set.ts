/**
 * The hosts an Envoy load balancer chooses from (load_balancer_impl.cc,
 * LoadBalancerBase::recalculatePerPriorityPanic / hostSourceToUse): the healthy hosts,
 * unless fewer than `healthy_panic_threshold` percent of all hosts are healthy; then
 * Envoy is "in panic" and balances over all hosts, healthy or not, on the theory that
 * failing some requests beats overloading the few healthy hosts. @default 50 (Envoy's
 * default); 0 turns panic off.
 *
 * Mapping: a host is healthy when the balancer believes it usable (`up`): not failed
 * by active health checks and not ejected by outlier detection, or, with neither
 * configured, not in an outage (src/engine/server-health.ts). A request sent in panic to
 * a host that is really in an outage is refused by it, which lbsim counts as a rejection
 * at that backend; one sent to a host wrongly believed down is served. One priority level, no localities, no zone-aware routing. Weight 0 is
 * lbsim's "drained" (Envoy requires weights >= 1): such a host is never a candidate.
 */
import { SETUP_DRAW } from '../instances.ts';
import { numberOption } from '../options.ts';
import type { BackendView } from '../types.ts';

export const ENVOY_PANIC_DEFAULT = 50;

export class HostSet {
  /** Candidate hosts, in declaration order; the first `size` entries are valid. */
  readonly hosts: Int32Array;
  size = 0;
  panic = false;
  private readonly threshold: number;

  constructor(private readonly view: BackendView, algorithm: string, options: Readonly<Record<string, unknown>>) {
    this.threshold = numberOption(algorithm, options, 'healthy_panic_threshold', ENVOY_PANIC_DEFAULT, 0, 100);
    this.hosts = new Int32Array(view.count);
    this.refresh();
  }

  /** Recomputes the candidates after a host changed health; allocates nothing. */
  refresh(): void {
    const v = this.view;
    let total = 0;
    let healthy = 0;
    for (let b = 0; b < v.count; b++) {
      if (v.weight[b]! <= 0) continue;
      total++;
      if (v.up[b] === 1) healthy++;
    }
    this.panic = total > 0 && (100 * healthy) / total < this.threshold;
    let n = 0;
    for (let b = 0; b < v.count; b++) {
      if (v.weight[b]! <= 0) continue;
      if (this.panic || v.up[b] === 1) this.hosts[n++] = b;
    }
    this.size = n;
  }

  /**
   * True when every candidate has the same weight and none is in slow start: Envoy then
   * skips the EDF scheduler (EdfLoadBalancerBase::refresh: equal weights and
   * noHostsAreInSlowStart()).
   */
  equalWeights(): boolean {
    const v = this.view;
    for (let i = 1; i < this.size; i++) if (v.weight[this.hosts[i]!] !== v.weight[this.hosts[0]!]) return false;
    const ew = v.effectiveWeight;
    if (ew !== undefined) for (let i = 0; i < this.size; i++) if (ew[this.hosts[i]!] !== v.weight[this.hosts[i]!]) return false;
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
