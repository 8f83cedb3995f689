/**
 * Envoy ROUND_ROBIN (load_balancer_impl.cc, RoundRobinLoadBalancer over
 * EdfLoadBalancerBase, Envoy 1.28). Equal weights: plain rotation,
 * hosts[rr_index++ % hosts.size()], the index starting at the balancer's seed, one index
 * per host source (rr_indexes_, refreshHostSource inserts seed_ once): the healthy hosts
 * and, in panic, all hosts rotate independently, each resuming where it left off. Unequal
 * weights: the EDF scheduler (edf.ts), rebuilt whenever the host set changes (a host
 * going down or up): every host is added in order with deadline 1/weight, then
 * seed % hosts.size() picks are made and thrown away, so Envoys do not all start on the
 * same host. Weights 5,1,1 from a fresh scheduler give a a a a b c a.
 *
 * Options: `initial_index` (Envoy's seed_; @default random per balancer),
 * `healthy_panic_threshold` (@default 50, see host-set.ts). Slow start
 * (slow_start_config) is the engine's: hosts are added with their ramped weight
 * (hostWeight), and a host in slow start makes even equal weights use the scheduler.
 */
import { rejectUnknownOptions } from '../options.ts';
import { StateReader } from '../saved-state.ts';
import type { BalancerModule } from '../types.ts';
import { ENVOY_VERSION } from './constants.ts';
import { EdfScheduler } from './edf.ts';
import { HostSet, envoySeed, hostWeight } from './host-set.ts';

export const envoyRoundRobin: BalancerModule = {
  name: 'envoy/round_robin',
  description: 'Envoy 1.28 ROUND_ROBIN: rotation for equal weights, EDF scheduler for unequal (5,1,1 -> a a a a b c a)',
  follows: `Envoy ${ENVOY_VERSION} load_balancer_impl.cc (RoundRobinLoadBalancer), edf_scheduler.h`,
  create({ backends, options, random }) {
    rejectUnknownOptions('envoy/round_robin', options, ['initial_index', 'healthy_panic_threshold']);
    const seed = envoySeed('envoy/round_robin', options, random);
    const set = new HostSet(backends, 'envoy/round_robin', options);
    const edf = new EdfScheduler(backends.count);
    const weight = (h: number) => hostWeight(backends, h);
    let weighted = false;
    /** rr_indexes_[HealthyHosts] and rr_indexes_[AllHosts] (the panic source). */
    let rrHealthy = seed;
    let rrAll = seed;
    const refresh = () => {
      set.refresh();
      weighted = !set.equalWeights();
      if (weighted) edf.rebuild(set.hosts, set.size, weight, set.size === 0 ? 0 : seed % set.size);
      else edf.clear();
    };
    refresh();
    return {
      pick() {
        if (set.size === 0) return -1;
        if (weighted) return edf.pickAndAdd(weight);
        if (set.panic) return set.hosts[rrAll++ % set.size]!;
        return set.hosts[rrHealthy++ % set.size]!;
      },
      onBackendDown: refresh,
      onBackendUp: refresh,
      /** The rotation indices and the EDF scheduler; the host set is rebuilt from the backends. */
      saveState() {
        const out = [rrHealthy, rrAll];
        edf.saveTo(out);
        return out;
      },
      loadState(state) {
        const r = new StateReader(state);
        rrHealthy = r.next();
        rrAll = r.next();
        edf.loadFrom(r);
      },
      /**
       * Equal weights: the healthy index is seed + requests. Unequal weights have no cheap guess
       * (the EDF deadlines drift in floating point), so the fresh scheduler stays.
       */
      assumePicks(requests) {
        if (!weighted) {
          rrHealthy = seed + requests;
          rrAll = seed;
        }
      },
    };
  },
};
