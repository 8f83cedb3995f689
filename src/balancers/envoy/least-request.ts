/**
 * Envoy LEAST_REQUEST (load_balancer_impl.cc, LeastRequestLoadBalancer, Envoy 1.28). A
 * request's priority level comes first (priority-set.ts), then its host within the level's
 * source (its healthy hosts, or all of them in panic).
 *
 * Equal weights: `choice_count` hosts sampled uniformly *with replacement* (the same host
 * may be drawn twice), the one with fewest active requests wins, the earlier draw on ties
 * (a later sample replaces the candidate only when strictly less loaded). Unequal
 * weights: the EDF scheduler (edf.ts, edf-sources.ts) with each host's weight taken, when
 * it is (re)added, as weight / (active_requests + 1) ^ active_request_bias (bias 1 by
 * default: weight over load; bias 0: plain weighted round robin); rebuilt when the level's
 * hosts change, after seed % hosts.size() initial picks, as round robin.
 *
 * Options: `choice_count` (@default 2, >= 2 as Envoy requires), `active_request_bias`
 * (@default 1.0, >= 0), `initial_index`, `healthy_panic_threshold` (@default 50),
 * `overprovisioning_factor` (@default 140), `weighted_priority_health`,
 * `fail_traffic_on_panic` (@default false; see priority-set.ts).
 * Mapping: rq_active is the backend's in-flight count (one Envoy worker; `instances` for
 * several). Draw d of a request is ctx.random(request, d) (Envoy: random() % size); the
 * level's draw, made only with several levels, is ctx.random(request, choice_count).
 * Slow start (slow_start_config) is the engine's: weights are taken ramped (hostWeight).
 */
import { intOption, numberOption, rejectUnknownOptions } from '../options.ts';
import { StateReader } from '../saved-state.ts';
import type { BalancerModule } from '../types.ts';
import { ENVOY_VERSION } from './constants.ts';
import { EdfSources } from './edf-sources.ts';
import { PrioritySet, ZONE_AWARE_OPTIONS, envoySeed, failsOnPanic, hostWeight } from './priority-set.ts';

export const ENVOY_LEAST_REQUEST_DEFAULTS = { choice_count: 2, active_request_bias: 1.0 } as const;

export const envoyLeastRequest: BalancerModule = {
  name: 'envoy/least_request',
  description: 'Envoy 1.28 LEAST_REQUEST: best of choice_count samples (with replacement); weighted: EDF on weight/(active+1)^bias',
  follows: `Envoy ${ENVOY_VERSION} load_balancer_impl.cc (LeastRequestLoadBalancer)`,
  priorityLevels: true,
  followsLoad: () => true,
  create({ backends, options, random }) {
    const name = 'envoy/least_request';
    rejectUnknownOptions(name, options, ['choice_count', 'active_request_bias', 'initial_index', ...ZONE_AWARE_OPTIONS]);
    const choices = intOption(name, options, 'choice_count', ENVOY_LEAST_REQUEST_DEFAULTS.choice_count, 2, 1000);
    const bias = numberOption(name, options, 'active_request_bias', ENVOY_LEAST_REQUEST_DEFAULTS.active_request_bias, 0);
    const seed = envoySeed(name, options, random);
    const set = new PrioritySet(backends, name, options);
    const failOnPanic = failsOnPanic(name, options);
    const active = backends.inFlight;
    const weight = (h: number) => {
      const w = hostWeight(backends, h);
      const load = active[h]! + 1;
      return bias === 1 ? w / load : bias === 0 ? w : w / Math.pow(load, bias);
    };
    const edf = new EdfSources(set, backends.count, weight, seed);
    const changed = (b: number) => {
      set.refresh(set.levelOf[b]!);
      edf.rebuild(set.levelOf[b]!);
    };
    return {
      pick(request) {
        const level = set.levels === 1 ? 0 : set.chooseByDraw(random(request, choices));
        const source = set.hostSource(level, failOnPanic);
        if (source < 0) return -1;
        if (edf.isWeighted(level, source)) return edf.pick(level, source);
        const n = set.size(level, source);
        if (n === 0) return -1;
        const hosts = set.hosts(level, source);
        let candidate = -1;
        for (let d = 0; d < choices; d++) {
          const sampled = hosts[Math.floor(random(request, d) * n)]!;
          if (candidate < 0 || active[sampled]! < active[candidate]!) candidate = sampled;
        }
        return candidate;
      },
      onBackendDown: changed,
      onBackendUp: changed,
      /** The EDF schedulers (unequal weights) and the locality schedulers; sampling is keyed by the request. */
      saveState() {
        const out: number[] = [];
        edf.saveTo(out);
        set.saveTo(out);
        return out;
      },
      loadState(state) {
        const r = new StateReader(state);
        edf.loadFrom(r);
        set.loadFrom(r);
      },
    };
  },
};
