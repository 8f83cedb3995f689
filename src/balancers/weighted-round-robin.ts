import { eligible } from './eligible.ts';
import { rejectUnknownOptions } from './options.ts';
import type { BalancerModule } from './types.ts';

/**
 * nginx's smooth weighted round-robin, as in ngx_http_upstream_get_peer()
 * (src/http/ngx_http_upstream_round_robin.c): on every pick each eligible peer's
 * current_weight grows by its weight; the peer with the largest current_weight wins (the
 * first in list order on a tie, since nginx replaces `best` only on a strict `>`), and the
 * winner's current_weight drops by the sum of the weights. Weights 5,1,1 give
 * a a b a c a a, spreading the heavy peer's turns instead of sending it five in a row.
 *
 * nginx's effective_weight (lowered after failures, restored gradually) is the view's
 * effectiveWeight here: the configured weight, ramped while a server slow-starts (the
 * `slowstart` knob; nginx Plus `slow_start` imports as it). Failures are not modelled as
 * nginx sees them: backends fail only by outages, and a down peer is skipped, as nginx
 * skips peers marked down.
 */
export const weightedRoundRobin: BalancerModule = {
  name: 'weighted-round-robin',
  description: "nginx's smooth weighted round-robin (5,1,1 -> a a b a c a a)",
  follows: 'nginx ngx_http_upstream_round_robin.c, ngx_http_upstream_get_peer',
  create({ backends, options }) {
    rejectUnknownOptions('weighted-round-robin', options, []);
    const current = new Float64Array(backends.count);
    const effective = backends.effectiveWeight ?? backends.weight;
    const balancer = {
      /**
       * With integer weights and every backend eligible the sequence repeats every
       * sum(weights) picks, with current weights back at zero: replay the remainder.
       */
      assumePicks(requests: number) {
        const total = Array.from(backends.weight).reduce((a, w) => a + w, 0);
        if (!Number.isInteger(total) || total <= 0) return;
        current.fill(0);
        for (let i = requests % total; i > 0; i--) balancer.pick();
      },
      pick() {
        const weight = effective;
        let best = -1;
        let total = 0;
        for (let b = 0; b < backends.count; b++) {
          if (!eligible(backends, b)) continue;
          const w = weight[b]!;
          current[b] = current[b]! + w;
          total += w;
          if (best < 0 || current[b]! > current[best]!) best = b;
        }
        if (best >= 0) current[best] = current[best]! - total;
        return best;
      },
      saveState: () => Array.from(current),
      loadState: (s: readonly number[]) => {
        current.set(s);
      },
    };
    return balancer;
  },
};
