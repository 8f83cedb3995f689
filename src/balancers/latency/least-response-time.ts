/**
 * Least response time: the backend with the smallest (requests in flight + 1) x (average
 * response time), the scheme of "least response time" / "fastest" methods in commercial
 * balancers (Citrix ADC LRTM, F5 "fastest", nginx Plus `least_time` in spirit): a backend
 * that answers fast and is not busy wins. The average is an EWMA of completed requests'
 * latency (wait + service) with weight `alpha` per observation; a backend with no
 * completion yet counts as the fastest (so every backend is tried). Weights divide the
 * score (a weight-2 backend may carry twice the load for the same score). Ties rotate
 * (the scan starts after the last pick), as least-connections does.
 *
 * Not a copy of one proxy's code: the products differ in detail and do not publish it.
 * Options: `alpha` (@default 0.2, in (0, 1]).
 */
import { eligible } from '../eligible.ts';
import { numberOption, rejectUnknownOptions } from '../options.ts';
import { StateReader } from '../saved-state.ts';
import type { BalancerModule } from '../types.ts';

export const LEAST_RESPONSE_TIME_DEFAULTS = { alpha: 0.2 } as const;

export const leastResponseTime: BalancerModule = {
  name: 'least-response-time',
  description: 'smallest (in flight + 1) x EWMA response time / weight; untried backends first',
  followsLoad: () => true,
  create({ backends, options }) {
    rejectUnknownOptions('least-response-time', options, ['alpha']);
    const alpha = numberOption('least-response-time', options, 'alpha', LEAST_RESPONSE_TIME_DEFAULTS.alpha, Number.MIN_VALUE, 1);
    const avg = new Float64Array(backends.count);
    const seen = new Uint8Array(backends.count);
    // Ramped while a server slow-starts (the `slowstart` knob), else the configured weight.
    const weight = backends.effectiveWeight ?? backends.weight;
    let start = 0;
    return {
      pick() {
        const n = backends.count;
        let best = -1;
        let bestScore = 0;
        let b = start;
        for (let k = 0; k < n; k++) {
          if (eligible(backends, b)) {
            const score = seen[b] === 0 ? 0 : ((backends.inFlight[b]! + 1) * avg[b]!) / weight[b]!;
            if (best < 0 || score < bestScore) {
              best = b;
              bestScore = score;
            }
          }
          b = b + 1 === n ? 0 : b + 1;
        }
        if (best >= 0) start = best + 1 === n ? 0 : best + 1;
        return best;
      },
      onComplete(b, latencyMs) {
        if (seen[b] === 0) {
          seen[b] = 1;
          avg[b] = latencyMs;
        } else avg[b] = avg[b]! + alpha * (latencyMs - avg[b]!);
      },
      /** Where the scan starts, and each backend's EWMA (the doubles as they are) and whether it has one. */
      saveState() {
        const out = [start];
        for (let b = 0; b < backends.count; b++) out.push(seen[b]!, seen[b] === 1 ? avg[b]! : 0);
        return out;
      },
      loadState(state) {
        const r = new StateReader(state);
        start = r.next();
        for (let b = 0; b < backends.count; b++) {
          seen[b] = r.next();
          avg[b] = r.next();
        }
      },
    };
  },
};
