/**
 * nginx `random`, `random two` and `random two least_conn`
 * (src/http/modules/ngx_http_upstream_random_module.c, nginx 1.22).
 *
 * A draw (ngx_http_upstream_peek_random_peer) is weighted: x = random % total_weight,
 * then a binary search over the peers' cumulative weights. Plain `random` takes the first
 * drawn peer that is up. `random two` draws a first usable peer, then draws again until it
 * gets a usable peer different from the first (nginx marks the first one tried), and keeps
 * the one with fewer connections per weight: the second unless
 * `second.conns * first.weight > first.conns * second.weight`. `least_conn` is the only
 * method nginx accepts after `two`, and the default. More than 20 draws in all fall back
 * to round robin, as in nginx.
 *
 * Options: `two` (@default false), `method: least_conn` (@default least_conn; accepted
 * for fidelity with the directive). Draw d of a request is ctx.random(request, d).
 */
import { booleanOption, enumOption, rejectUnknownOptions } from '../options.ts';
import type { BalancerModule } from '../types.ts';
import { NGINX_VERSION } from './constants.ts';
import { SmoothWrr } from './smooth-wrr.ts';

export const NGINX_RANDOM_DEFAULTS = { two: false, method: 'least_conn' } as const;

export const nginxRandom: BalancerModule = {
  name: 'nginx/random',
  description: 'nginx 1.22 random [two [least_conn]]: weighted random, or the less loaded of two distinct weighted draws',
  follows: `nginx ${NGINX_VERSION} ngx_http_upstream_random_module.c`,
  // `random two` picks the less loaded of two draws (least_conn, the only method lbsim models).
  followsLoad: (options) => options.two === true,
  create({ backends, options, random }) {
    rejectUnknownOptions('nginx/random', options, ['two', 'method']);
    const two = booleanOption('nginx/random', options, 'two', NGINX_RANDOM_DEFAULTS.two);
    enumOption('nginx/random', options, 'method', NGINX_RANDOM_DEFAULTS.method, ['least_conn']);
    const n = backends.count;
    const range = new Float64Array(n);
    let total = 0;
    for (let b = 0; b < n; b++) {
      total += backends.weight[b]!;
      range[b] = total;
    }
    const wrr = new SmoothWrr(backends);
  // Peers at max_conns are skipped (`peer->max_conns && peer->conns >= peer->max_conns`): BackendView.full.
    const usable = (b: number) => backends.up[b] === 1 && backends.weight[b]! > 0 && backends.full[b] === 0;
    /** ngx_http_upstream_peek_random_peer() with x drawn from u in (0, 1). */
    const peek = (u: number): number => {
      const x = Math.floor(u * total);
      let i = 0;
      let j = n;
      while (j - i > 1) {
        const k = (i + j) >>> 1;
        if (x < range[k - 1]!) j = k;
        else i = k;
      }
      return i;
    };
    return {
      pick(request) {
        let first = -1;
        for (let d = 0; d <= 20; d++) {
          const p = peek(random(request, d));
          if (!usable(p) || p === first) continue;
          if (!two) return p;
          if (first < 0) {
            first = p;
            continue;
          }
          const conns = backends.inFlight;
          const w = backends.weight;
          return conns[p]! * w[first]! > conns[first]! * w[p]! ? first : p;
        }
        return wrr.pick();
      },
      // The fallback round robin's current weights; the draws are keyed by the request.
      saveState: () => wrr.saveState(),
      loadState: (s) => wrr.loadState(s),
    };
  },
};
