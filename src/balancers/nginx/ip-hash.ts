/**
 * nginx `ip_hash` (src/http/modules/ngx_http_upstream_ip_hash_module.c, nginx 1.22,
 * ngx_http_upstream_get_ip_hash_peer): for IPv4 only the first three octets count, so a
 * whole /24 goes to one peer. hash starts at 89; for each of the three octets
 * hash = (hash * 113 + octet) % 6271; then w = hash % total_weight picks the peer by
 * walking the weights in declaration order (total_weight counts every peer, down ones
 * too, so other clients do not move when a peer goes down). A down peer makes nginx hash
 * the same three octets again from the current hash; after 20 tries it falls back to
 * round robin.
 *
 * Mapping: the client key is the client's IPv4 address as a 32-bit number (a.b.c.d =
 * a<<24|b<<16|c<<8|d). Synthetic traffic numbers its clients 0, 1, 2, ..., which as
 * addresses are 0.0.0.0, 0.0.0.1, ...: all inside 0.0.0.0/24 up to client 255. That is
 * what nginx would do with such addresses; recorded traffic carries real addresses.
 * Golden sequences checked against nginx 1.22.1 (clients bound to 127.0.k.1).
 */
import { rejectUnknownOptions } from '../options.ts';
import type { BalancerModule } from '../types.ts';
import { NGINX_VERSION } from './constants.ts';
import { SmoothWrr } from './smooth-wrr.ts';

export const nginxIpHash: BalancerModule = {
  name: 'nginx/ip_hash',
  description: 'nginx 1.22 ip_hash: client key as IPv4, first three octets hashed, weights walked',
  follows: `nginx ${NGINX_VERSION} ngx_http_upstream_ip_hash_module.c (ngx_http_upstream_get_ip_hash_peer)`,
  hashesWhole: () => ({ key: 'client', field: 'algorithm', bound: '' }),
  create({ backends, options }) {
    rejectUnknownOptions('nginx/ip_hash', options, []);
    const wrr = new SmoothWrr(backends);
    const n = backends.count;
    let total = 0;
    for (let b = 0; b < n; b++) total += backends.weight[b]!;
    return {
      pick(_request, client) {
        if (n === 1) return wrr.pick();
        const a = (client >>> 24) & 255;
        const bb = (client >>> 16) & 255;
        const c = (client >>> 8) & 255;
        let hash = 89;
        for (let tries = 0; tries <= 20; tries++) {
          hash = (hash * 113 + a) % 6271;
          hash = (hash * 113 + bb) % 6271;
          hash = (hash * 113 + c) % 6271;
          let w = hash % total;
          let p = 0;
          while (w >= backends.weight[p]!) {
            w -= backends.weight[p]!;
            p++;
          }
          // A peer at max_conns is passed over like a down one (ngx_http_upstream_get_ip_hash_peer).
          if (backends.up[p] === 1 && backends.full[p] === 0) return p;
        }
        return wrr.pick();
      },
      // The fallback round robin's current weights; the hash itself keeps nothing.
      saveState: () => wrr.saveState(),
      loadState: (s) => wrr.loadState(s),
    };
  },
};
