/**
 * nginx `least_conn` (src/http/modules/ngx_http_upstream_least_conn_module.c, nginx 1.22,
 * ngx_http_upstream_get_least_conn_peer): the peer with the fewest active connections
 * per weight, compared by cross-multiplication (`peer->conns * best->weight <
 * best->conns * peer->weight`); when several peers tie, smooth weighted round robin
 * among exactly those peers picks one (the tied peers' current_weight grow, the largest
 * wins, the first on ties, and it loses the tied peers' total weight).
 *
 * Mapping: `conns` is the peer's requests in flight as this nginx worker sees them: the
 * backend's in-flight count (one worker; use `instances` for several workers without a
 * shared `zone`). The weight compared is the one slow start ramps (nginx Plus
 * `slow_start` "recovers its weight from zero": lbsim runs HAProxy's ramp, effectiveWeight).
 * Checked against nginx 1.22.1 on loopback: sequential requests with
 * weights 5,1,1 give a a b a c a a (every peer idle, so the smooth WRR decides).
 */
import { rejectUnknownOptions } from '../options.ts';
import type { BalancerModule } from '../types.ts';
import { NGINX_VERSION } from './constants.ts';
import { SmoothWrr } from './smooth-wrr.ts';

export const nginxLeastConn: BalancerModule = {
  name: 'nginx/least_conn',
  description: 'nginx 1.22 least_conn: fewest conns/weight, ties by smooth weighted round robin',
  follows: `nginx ${NGINX_VERSION} ngx_http_upstream_least_conn_module.c (ngx_http_upstream_get_least_conn_peer)`,
  followsLoad: () => true,
  create({ backends, options }) {
    rejectUnknownOptions('nginx/least_conn', options, []);
    const wrr = new SmoothWrr(backends);
    const conns = backends.inFlight;
    // Which peers are usable follows the configured weight (0 = never), the comparison the ramped one.
    const configured = backends.weight;
    const weight = backends.effectiveWeight ?? backends.weight;
    let best = -1;
    const tied = (b: number) => conns[b]! * weight[best]! === conns[best]! * weight[b]!;
    return {
      pick() {
        best = -1;
        let many = false;
        for (let b = 0; b < backends.count; b++) {
          // At max_conns: skipped, as down peers are (ngx_http_upstream_get_least_conn_peer).
          if (backends.up[b] !== 1 || configured[b]! <= 0 || backends.full[b] === 1) continue;
          if (best < 0 || conns[b]! * weight[best]! < conns[best]! * weight[b]!) {
            best = b;
            many = false;
          } else if (conns[b]! * weight[best]! === conns[best]! * weight[b]!) {
            many = true;
          }
        }
        if (!many || best < 0) return best;
        // Peers before `best` cannot tie with it (they lost or were replaced), so nginx's
        // loop from `best` onward sees the same set as this filter over all peers.
        return wrr.pick(tied);
      },
      saveState: () => wrr.saveState(),
      loadState: (s) => wrr.loadState(s),
    };
  },
};
