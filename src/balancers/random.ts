import { eligibleCount, nthEligible } from './eligible.ts';
import { STATELESS } from './saved-state.ts';
import { rejectUnknownOptions } from './options.ts';
import type { BalancerModule } from './types.ts';

/** Uniform random choice among the eligible backends; weights other than 0 are ignored. */
export const random: BalancerModule = {
  name: 'random',
  description: 'a uniformly random eligible backend',
  ignoresWeights: true,
  create({ backends, random: draw, options }) {
    rejectUnknownOptions('random', options, []);
    return {
      pick(request) {
        const n = eligibleCount(backends);
        if (n === 0) return -1;
        return nthEligible(backends, Math.floor(draw(request, 0) * n));
      },
      // Stateless: every draw is keyed by the request.
      ...STATELESS,
    };
  },
};
