/**
 * Envoy ROUND_ROBIN (load_balancer_impl.cc, RoundRobinLoadBalancer over
 * EdfLoadBalancerBase, Envoy 1.28). A request's priority level comes first (priority-set.ts:
 * a random draw, hash % 100, against the levels' shares of the traffic), then its host
 * within the level's source: its healthy hosts, or all of them in panic.
 *
 * Equal weights: plain rotation, hosts[rr_index++ % hosts.size()], one index per (level,
 * source) (rr_indexes_, refreshHostSource inserts seed_ once and never resets it), so the
 * healthy hosts and, in panic, all hosts rotate independently, each resuming where it left
 * off. Unequal weights: the EDF scheduler (edf.ts, edf-sources.ts), rebuilt whenever the
 * level's hosts change (a host going down or up): every host is added in order with
 * deadline 1/weight, then seed % hosts.size() picks are made and thrown away, so Envoys do
 * not all start on the same host. Weights 5,1,1 from a fresh scheduler give a a a a b c a.
 *
 * Options: `initial_index` (Envoy's seed_; @default random per balancer),
 * `healthy_panic_threshold` (@default 50), `overprovisioning_factor` (@default 140),
 * `weighted_priority_health` and `fail_traffic_on_panic` (@default false), see priority-set.ts. Slow start (slow_start_config) is the engine's: hosts are added with
 * their ramped weight (hostWeight), and a host in slow start makes even equal weights use
 * the scheduler. The level's draw is ctx.random(request, 0), drawn only with several levels.
 */
import { rejectUnknownOptions } from '../options.ts';
import { StateReader } from '../saved-state.ts';
import type { BalancerModule } from '../types.ts';
import { ENVOY_VERSION } from './constants.ts';
import { EdfSources } from './edf-sources.ts';
import { PrioritySet, ZONE_AWARE_OPTIONS, Source, envoySeed, failsOnPanic, hostWeight } from './priority-set.ts';

export const envoyRoundRobin: BalancerModule = {
  name: 'envoy/round_robin',
  description: 'Envoy 1.28 ROUND_ROBIN: rotation for equal weights, EDF scheduler for unequal (5,1,1 -> a a a a b c a)',
  follows: `Envoy ${ENVOY_VERSION} load_balancer_impl.cc (RoundRobinLoadBalancer), edf_scheduler.h`,
  priorityLevels: true,
  create({ backends, options, random }) {
    rejectUnknownOptions('envoy/round_robin', options, ['initial_index', ...ZONE_AWARE_OPTIONS]);
    const seed = envoySeed('envoy/round_robin', options, random);
    const set = new PrioritySet(backends, 'envoy/round_robin', options);
    const failOnPanic = failsOnPanic('envoy/round_robin', options);
    const edf = new EdfSources(set, backends.count, (h) => hostWeight(backends, h), seed);
    /**
     * rr_indexes_ (by set.sourceIndex) are seed + k after k picks; kept as k, with
     * seed % hosts.size() beside it, since (seed % n + k) % n = (seed + k) % n and a seed
     * past 2^31 would make every pick a floating-point modulo (measured: 7% of a run).
     */
    const picks = Array.from({ length: set.sourceCount }, () => 0);
    const seedMod = Array.from({ length: set.sourceCount }, () => 0);
    /** seed % n for `level`'s sources, whose sizes a host change altered (as edf.rebuild). */
    const resize = (level: number) => {
      for (let source = 0; source < set.sourcesOf(level); source++) {
        const n = set.size(level, source);
        seedMod[set.sourceIndex(level, source)] = n === 0 ? 0 : seed % n;
      }
    };
    for (let l = 0; l < set.levels; l++) resize(l);
    const changed = (b: number) => {
      const level = set.levelOf[b]!;
      set.refresh(level);
      edf.rebuild(level);
      resize(level);
    };
    return {
      pick(request) {
        const level = set.levels === 1 ? 0 : set.chooseByDraw(random(request, 0));
        const source = set.hostSource(level, failOnPanic);
        if (source < 0) return -1;
        if (edf.isWeighted(level, source)) return edf.pick(level, source);
        const n = set.size(level, source);
        if (n === 0) return -1;
        const i = set.sourceIndex(level, source);
        const k = picks[i]!;
        picks[i] = k + 1;
        return set.hosts(level, source)[(seedMod[i]! + k) % n]!;
      },
      onBackendDown: changed,
      onBackendUp: changed,
      /** The rotation counts, the EDF schedulers and the locality schedulers; the host sets are rebuilt from the backends. */
      saveState() {
        const out = [...picks];
        edf.saveTo(out);
        set.saveTo(out);
        return out;
      },
      loadState(state) {
        const r = new StateReader(state);
        r.fill(picks);
        edf.loadFrom(r);
        set.loadFrom(r);
      },
      /**
       * Equal weights: every request went to level 0's healthy hosts, so their index is seed +
       * requests and the others are untouched. Unequal weights have no cheap guess (the EDF
       * deadlines drift in floating point), so the fresh schedulers stay.
       */
      assumePicks(requests) {
        // Localities spread the requests over their own rotations: no cheap guess then.
        if (edf.isWeighted(0, Source.Healthy) || set.localities.enabled) return;
        picks.fill(0);
        picks[set.sourceIndex(0, Source.Healthy)] = requests;
      },
    };
  },
};
