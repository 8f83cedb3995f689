import { eligible } from './eligible.ts';
import { rejectUnknownOptions } from './options.ts';
import type { BalancerModule } from './types.ts';

/**
 * Weighted least connections: the backend with the smallest in-flight / weight. Loads are
 * compared by cross-multiplication (a.inFlight * b.weight < b.inFlight * a.weight), which
 * is exact for integer weights, so ties are real ties. Ties rotate as in least-connections.
 * The weight is the ramped one while a server slow-starts (the `slowstart` knob).
 */
export const weightedLeastConnections: BalancerModule = {
  name: 'weighted-least-connections',
  description: 'smallest in-flight / weight; ties rotate',
  followsLoad: () => true,
  create({ backends, options }) {
    rejectUnknownOptions('weighted-least-connections', options, []);
    let start = 0;
    const effective = backends.effectiveWeight ?? backends.weight;
    return {
      pick() {
        const n = backends.count;
        const inFlight = backends.inFlight;
        const weight = effective;
        let best = -1;
        let bestLoad = 0;
        let bestWeight = 1;
        let b = start;
        for (let i = 0; i < n; i++) {
          if (eligible(backends, b)) {
            const load = inFlight[b]!;
            const w = weight[b]!;
            if (best < 0 || load * bestWeight < bestLoad * w) {
              best = b;
              bestLoad = load;
              bestWeight = w;
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
