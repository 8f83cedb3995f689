import { eligible } from './eligible.ts';
import { rejectUnknownOptions } from './options.ts';
import type { BalancerModule } from './types.ts';

/**
 * Plain round-robin: each request goes to the next backend in list order, skipping
 * backends that are down or drained (weight 0). Weights are otherwise ignored; use
 * weighted-round-robin to honour them. State: the cursor, so a time-split replay can
 * guess it as (requests before the window) mod (backends) when nothing was down.
 */
export const roundRobin: BalancerModule = {
  name: 'round-robin',
  description: 'each request to the next backend in turn; weights ignored',
  ignoresWeights: true,
  create({ backends, options }) {
    rejectUnknownOptions('round-robin', options, []);
    let next = 0;
    return {
      pick() {
        const n = backends.count;
        for (let tries = 0; tries < n; tries++) {
          const b = next;
          next = next + 1 === n ? 0 : next + 1;
          if (eligible(backends, b)) return b;
        }
        return -1;
      },
      assumePicks(requests) {
        next = requests % backends.count;
      },
      saveState: () => [next],
      loadState: (s) => {
        next = s[0]!;
      },
    };
  },
};
