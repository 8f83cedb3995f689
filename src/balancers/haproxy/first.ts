/**
 * HAProxy `balance first`, src/lb_fas.c (HAProxy 2.6, fas_get_next_server): servers in
 * declaration order (their numeric id); the first one that is not saturated gets the
 * connection, so traffic fills servers one after another and the rest can be stopped.
 * Without a maxconn a server is never saturated and the first usable server takes all.
 *
 * Mapping: a server's `maxconn` is the option `maxconn` (one number for every backend;
 * @default each backend's `concurrency`, i.e. its FCFS slots), compared with its requests
 * in flight. HAProxy would queue a request that finds every server full at the proxy
 * until a slot frees; the engine has no balancer-side queue yet, so such a request goes
 * to the server with the fewest requests in flight (the first on ties), which is where
 * it would most likely get the next free slot. This fallback is an approximation.
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
    return {
      pick() {
        let fallback = -1;
        for (let b = 0; b < n; b++) {
          if (backends.up[b] !== 1 || backends.weight[b]! <= 0) continue;
          const inFlight = backends.inFlight[b]!;
          if (inFlight < (fixed > 0 ? fixed : backends.concurrency[b]!)) return b;
          if (fallback < 0 || inFlight < backends.inFlight[fallback]!) fallback = b;
        }
        return fallback;
      },
      ...STATELESS,
    };
  },
};
