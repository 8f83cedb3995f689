/**
 * Envoy RANDOM (load_balancer_impl.cc, RandomLoadBalancer, Envoy 1.28): a uniformly random
 * host among the candidates (healthy ones, or all in panic); weights are ignored, as in
 * Envoy. Options: `healthy_panic_threshold` (@default 50).
 */
import { rejectUnknownOptions } from '../options.ts';
import { STATELESS } from '../saved-state.ts';
import type { BalancerModule } from '../types.ts';
import { ENVOY_VERSION } from './constants.ts';
import { HostSet } from './host-set.ts';

export const envoyRandom: BalancerModule = {
  name: 'envoy/random',
  description: 'Envoy 1.28 RANDOM: a uniformly random healthy host (weights ignored)',
  follows: `Envoy ${ENVOY_VERSION} load_balancer_impl.cc (RandomLoadBalancer)`,
  create({ backends, options, random }) {
    rejectUnknownOptions('envoy/random', options, ['healthy_panic_threshold']);
    const set = new HostSet(backends, 'envoy/random', options);
    const refresh = () => set.refresh();
    return {
      pick(request) {
        if (set.size === 0) return -1;
        return set.hosts[Math.floor(random(request, 0) * set.size)]!;
      },
      onBackendDown: refresh,
      onBackendUp: refresh,
      ...STATELESS,
    };
  },
};
