/**
 * HAProxy `balance first`, src/lb_fas.c (HAProxy 2.6, fas_get_next_server): servers in
 * declaration order (their numeric id); the first one that is not saturated gets the
 * connection, so traffic fills servers one after another and the rest can be stopped.
 * Without a maxconn a server is never saturated and the first usable server takes all.
 *
 * Mapping: a backend with its own `maxconn` (scenario field; the proxy layer,
 * src/engine/proxy.ts) is saturated exactly as HAProxy says (BackendView.full: maxconn
 * reached or requests queued for it); when every server is, the pick is -1 and the
 * request waits in the proxy's backend queue. A backend without one is compared with the
 * option `maxconn` (one number for every backend; @default each backend's `concurrency`,
 * i.e. its FCFS slots) against its requests in flight; when all of those are saturated,
 * the request goes to the one with the fewest requests in flight (the first on ties),
 * where it would most likely get the next free slot — an approximation kept for
 * scenarios without a proxy maxconn.
 */
import { HAPROXY_VERSION } from './constants.ts';
import { intOption, rejectUnknownOptions } from '../options.ts';
import { STATELESS } from '../saved-state.ts';
import type { BalancerModule } from '../types.ts';

export const haproxyFirst: BalancerModule = {
  name: 'haproxy/first',
  description: 'HAProxy 2.6 balance first: first server (declaration order) below its maxconn',
  follows: `HAProxy ${HAPROXY_VERSION} src/lb_fas.c (fas_get_next_server)`,
  create({ backends, options }) {
    rejectUnknownOptions('haproxy/first', options, ['maxconn']);
    const fixed = intOption('haproxy/first', options, 'maxconn', 0, 1);
    const n = backends.count;
    const held = backends.held ?? new Int32Array(n);
    return {
      pick() {
        let fallback = -1;
        for (let b = 0; b < n; b++) {
          if (backends.up[b] !== 1 || backends.weight[b]! <= 0) continue;
          if (backends.maxconn[b] !== Number.POSITIVE_INFINITY) {
            if (backends.full[b] === 0) return b;
            continue;
          }
          // HAProxy's served: in flight, plus retries holding a slot (BackendView.held).
          const inFlight = backends.inFlight[b]! + held[b]!;
          if (inFlight < (fixed > 0 ? fixed : backends.concurrency[b]!)) return b;
          if (fallback < 0 || inFlight < backends.inFlight[fallback]! + held[fallback]!) fallback = b;
        }
        return fallback;
      },
      ...STATELESS,
    };
  },
};
