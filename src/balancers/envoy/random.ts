/**
 * Envoy RANDOM (load_balancer_impl.cc, RandomLoadBalancer::peekOrChoose, Envoy 1.28): one
 * random number picks both the priority level (hash % 100, priority-set.ts) and the host,
 * hosts[random % hosts.size()], among the level's candidates (its healthy hosts, or all in
 * panic); weights are ignored, as in Envoy. The random number is the 32 bits behind
 * ctx.random(request, 0). Options: `healthy_panic_threshold` (@default 50),
 * `overprovisioning_factor` (@default 140), `weighted_priority_health`,
 * `fail_traffic_on_panic` (@default false; see priority-set.ts).
 */
import { rejectUnknownOptions } from '../options.ts';
import { StateReader } from '../saved-state.ts';
import type { BalancerModule } from '../types.ts';
import { ENVOY_VERSION } from './constants.ts';
import { PrioritySet, ZONE_AWARE_OPTIONS, failsOnPanic, modOfHalves } from './priority-set.ts';

export const envoyRandom: BalancerModule = {
  name: 'envoy/random',
  description: 'Envoy 1.28 RANDOM: a uniformly random healthy host (weights ignored)',
  follows: `Envoy ${ENVOY_VERSION} load_balancer_impl.cc (RandomLoadBalancer)`,
  priorityLevels: true,
  ignoresWeights: true,
  create({ backends, options, random }) {
    rejectUnknownOptions('envoy/random', options, ZONE_AWARE_OPTIONS);
    const set = new PrioritySet(backends, 'envoy/random', options);
    const failOnPanic = failsOnPanic('envoy/random', options);
    const refresh = (b: number) => set.refresh(set.levelOf[b]!);
    return {
      pick(request) {
        // One draw for the level and the host, in 16-bit halves computed here (see modOfHalves).
        const u = random(request, 0);
        const hi = (u * 65536) | 0;
        const lo = (u * 4294967296 - hi * 65536) | 0;
        const level = set.levels === 1 ? 0 : set.choose(modOfHalves(hi, lo, 100));
        const source = set.hostSource(level, failOnPanic);
        if (source < 0) return -1;
        const n = set.size(level, source);
        if (n === 0) return -1;
        return set.hosts(level, source)[n <= 32768 ? (((hi % n) * 65536) + lo) % n : modOfHalves(hi, lo, n)]!;
      },
      onBackendDown: refresh,
      onBackendUp: refresh,
      /** The locality schedulers ([] without locality weighting); the draws are keyed by the request. */
      saveState() {
        const out: number[] = [];
        set.saveTo(out);
        return out;
      },
      loadState(state) {
        set.loadFrom(new StateReader(state));
      },
    };
  },
};
