/**
 * Envoy LEAST_REQUEST (load_balancer_impl.cc, LeastRequestLoadBalancer, Envoy 1.28).
 * Equal weights: `choice_count` hosts sampled uniformly *with replacement* (the same host
 * may be drawn twice), the one with fewest active requests wins, the earlier draw on ties
 * (a later sample replaces the candidate only when strictly less loaded). Unequal
 * weights: the EDF scheduler (edf.ts) with each host's weight taken, when it is (re)added,
 * as weight / (active_requests + 1) ^ active_request_bias (bias 1 by default: weight over
 * load; bias 0: plain weighted round robin); rebuilt when the host set changes, after
 * seed % hosts.size() initial picks, as round robin.
 *
 * Options: `choice_count` (@default 2, >= 2 as Envoy requires), `active_request_bias`
 * (@default 1.0, >= 0), `initial_index`, `healthy_panic_threshold` (@default 50).
 * Mapping: rq_active is the backend's in-flight count (one Envoy worker; `instances` for
 * several). Draw d of a request is ctx.random(request, d) (Envoy: random() % size).
 * Slow start (slow_start_config) is the engine's: weights are taken ramped (hostWeight).
 */
import { intOption, numberOption, rejectUnknownOptions } from '../options.ts';
import { StateReader } from '../saved-state.ts';
import type { BalancerModule } from '../types.ts';
import { ENVOY_VERSION } from './constants.ts';
import { EdfScheduler } from './edf.ts';
import { HostSet, envoySeed, hostWeight } from './host-set.ts';

export const ENVOY_LEAST_REQUEST_DEFAULTS = { choice_count: 2, active_request_bias: 1.0 } as const;

export const envoyLeastRequest: BalancerModule = {
  name: 'envoy/least_request',
  description: 'Envoy 1.28 LEAST_REQUEST: best of choice_count samples (with replacement); weighted: EDF on weight/(active+1)^bias',
  follows: `Envoy ${ENVOY_VERSION} load_balancer_impl.cc (LeastRequestLoadBalancer)`,
  create({ backends, options, random }) {
    const name = 'envoy/least_request';
    rejectUnknownOptions(name, options, ['choice_count', 'active_request_bias', 'initial_index', 'healthy_panic_threshold']);
    const choices = intOption(name, options, 'choice_count', ENVOY_LEAST_REQUEST_DEFAULTS.choice_count, 2, 1000);
    const bias = numberOption(name, options, 'active_request_bias', ENVOY_LEAST_REQUEST_DEFAULTS.active_request_bias, 0);
    const seed = envoySeed(name, options, random);
    const set = new HostSet(backends, name, options);
    const edf = new EdfScheduler(backends.count);
    const active = backends.inFlight;
    const weight = (h: number) => {
      const w = hostWeight(backends, h);
      const load = active[h]! + 1;
      return bias === 1 ? w / load : bias === 0 ? w : w / Math.pow(load, bias);
    };
    let weighted = false;
    const refresh = () => {
      set.refresh();
      weighted = !set.equalWeights();
      if (weighted) edf.rebuild(set.hosts, set.size, weight, set.size === 0 ? 0 : seed % set.size);
      else edf.clear();
    };
    refresh();
    return {
      pick(request) {
        const n = set.size;
        if (n === 0) return -1;
        if (weighted) return edf.pickAndAdd(weight);
        let candidate = -1;
        for (let d = 0; d < choices; d++) {
          const sampled = set.hosts[Math.floor(random(request, d) * n)]!;
          if (candidate < 0 || active[sampled]! < active[candidate]!) candidate = sampled;
        }
        return candidate;
      },
      onBackendDown: refresh,
      onBackendUp: refresh,
      /** The EDF scheduler (unequal weights); sampling is keyed by the request. */
      saveState() {
        const out: number[] = [];
        edf.saveTo(out);
        return out;
      },
      loadState(state) {
        edf.loadFrom(new StateReader(state));
      },
    };
  },
};
