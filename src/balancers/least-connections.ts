import { eligible } from './eligible.ts';
import { rejectUnknownOptions } from './options.ts';
import type { BalancerModule } from './types.ts';

/**
 * Least connections: the backend with the fewest requests in flight (in service plus
 * queued). Ties rotate, as with HAProxy's leastconn, where a server whose load changes is
 * re-queued behind the others of equal load: the scan starts one past the last pick, so
 * equally loaded backends take turns instead of the first one always winning.
 * (The tree-exact HAProxy variant is `haproxy/leastconn`.)
 */
export const leastConnections: BalancerModule = {
  name: 'least-connections',
  description: 'fewest requests in flight; ties rotate (as HAProxy leastconn)',
  follows: 'HAProxy leastconn (tie rotation)',
  ignoresWeights: true,
  followsLoad: () => true,
  create({ backends, options }) {
    rejectUnknownOptions('least-connections', options, []);
    let start = 0;
    return {
      pick() {
        const n = backends.count;
        const inFlight = backends.inFlight;
        let best = -1;
        let bestLoad = 0;
        let b = start;
        for (let i = 0; i < n; i++) {
          if (eligible(backends, b)) {
            const load = inFlight[b]!;
            if (best < 0 || load < bestLoad) {
              best = b;
              bestLoad = load;
              if (load === 0) break; // nothing beats an idle backend
            }
          }
          b = b + 1 === n ? 0 : b + 1;
        }
        if (best >= 0) start = best + 1 === n ? 0 : best + 1;
        return best;
      },
      saveState: () => [start],
      loadState: (s) => {
        start = s[0]!;
      },
    };
  },
};
