/**
 * Peak-EWMA with power of two choices, as Finagle's `Balancers.p2cPeakEwma`
 * (finagle-core, com.twitter.finagle.loadbalancer.PeakEwma; also Linkerd 1 and the
 * `tower` PeakEwma that Linkerd 2's proxy uses). Each backend keeps a latency cost that
 * jumps up to any slower observation at once (the "peak") and decays toward faster ones
 * exponentially with time: on an observation rtt at time t,
 *     w = exp(-(t - stamp) / decay),  cost = rtt > cost ? rtt : cost * w + rtt * (1 - w).
 * Reading the cost decays it the same way toward 0 (Finagle's `rate()` observes 0).
 * A backend's load is cost * (requests in flight + 1); a backend with no cost yet but
 * requests in flight gets Finagle's penalty (Long.MaxValue >> 16) plus its in-flight
 * count, so unknown backends are tried but not flooded. Two distinct backends are drawn
 * uniformly; the lower load wins (the first draw on a tie).
 *
 * Options: `decay` (@default 10s, Finagle's decayTime), as a duration. Weights other than
 * 0 are ignored, as in Finagle. Draws 0 and 1 of each request choose the pair.
 */
import { LbsimError } from '../../errors.ts';
import { eligibleCount, nthEligible } from '../eligible.ts';
import { durationOption, rejectUnknownOptions } from '../options.ts';
import { StateReader } from '../saved-state.ts';
import type { BalancerModule } from '../types.ts';

export const PEAK_EWMA_DEFAULTS = { decayMs: 10_000 } as const;
const PENALTY = 9223372036854775807 / 65536; // Long.MaxValue >> 16, as a double

export const peakEwma: BalancerModule = {
  name: 'peak-ewma',
  description: 'peak-EWMA latency x (in flight + 1), best of two random backends (Finagle/Linkerd)',
  follows: 'Finagle finagle-core PeakEwma + P2C (Balancers.p2cPeakEwma); tower/Linkerd2 PeakEwma',
  followsLoad: () => true,
  create({ backends, options, random, now }) {
    rejectUnknownOptions('peak-ewma', options, ['decay']);
    const decay = durationOption('peak-ewma', options, 'decay', PEAK_EWMA_DEFAULTS.decayMs);
    if (decay <= 0) throw new LbsimError('SCENARIO_INVALID', `balancer.decay: peak-ewma expects a duration above 0, got ${JSON.stringify(options.decay)}`);
    const cost = new Float64Array(backends.count);
    const stamp = new Float64Array(backends.count);
    const observe = (b: number, rtt: number) => {
      const t = now();
      const w = Math.exp(-Math.max(0, t - stamp[b]!) / decay);
      stamp[b] = t;
      cost[b] = rtt > cost[b]! ? rtt : cost[b]! * w + rtt * (1 - w);
    };
    const load = (b: number) => {
      observe(b, 0);
      const pending = backends.inFlight[b]!;
      const c = cost[b]!;
      return c === 0 && pending !== 0 ? PENALTY + pending : c * (pending + 1);
    };
    return {
      pick(request) {
        const n = eligibleCount(backends);
        if (n === 0) return -1;
        const i = Math.floor(random(request, 0) * n);
        const first = nthEligible(backends, i);
        if (n === 1) return first;
        let j = Math.floor(random(request, 1) * (n - 1));
        if (j >= i) j++;
        const second = nthEligible(backends, j);
        return load(second) < load(first) ? second : first;
      },
      onComplete(b, latencyMs) {
        observe(b, latencyMs);
      },
      /**
       * Each backend's cost and when it was last decayed (doubles, saved as they are); a
       * zero cost stays zero whenever it is decayed, so its stamp is saved as 0.
       */
      saveState() {
        const out = Array.from(cost);
        for (let b = 0; b < backends.count; b++) out.push(cost[b] === 0 ? 0 : stamp[b]!);
        return out;
      },
      loadState(state) {
        const r = new StateReader(state);
        r.fill(cost);
        r.fill(stamp);
      },
    };
  },
};
