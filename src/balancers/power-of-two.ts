import { eligibleCount, nthEligible } from './eligible.ts';
import { STATELESS } from './saved-state.ts';
import { rejectUnknownOptions } from './options.ts';
import type { BalancerModule } from './types.ts';

/**
 * Power of two choices (Mitzenmacher): draw two distinct eligible backends uniformly at
 * random and send the request to the one with fewer requests in flight; on a tie the
 * first draw wins. With a single eligible backend, that one.
 */
export const powerOfTwo: BalancerModule = {
  name: 'power-of-two',
  description: 'two distinct random backends, the one with fewer in flight wins',
  ignoresWeights: true,
  followsLoad: () => true,
  create({ backends, random: draw, options }) {
    rejectUnknownOptions('power-of-two', options, []);
    return {
      pick(request) {
        const n = eligibleCount(backends);
        if (n === 0) return -1;
        const i = Math.floor(draw(request, 0) * n);
        const first = nthEligible(backends, i);
        if (n === 1) return first;
        // The second draw picks among the other n-1, so the two are distinct.
        let j = Math.floor(draw(request, 1) * (n - 1));
        if (j >= i) j++;
        const second = nthEligible(backends, j);
        return backends.inFlight[second]! < backends.inFlight[first]! ? second : first;
      },
      // Stateless: every draw is keyed by the request.
      ...STATELESS,
    };
  },
};
