/**
 * nginx's default upstream balancing, smooth weighted round robin
 * (src/http/ngx_http_upstream_round_robin.c, nginx 1.22): the same algorithm as the core
 * `weighted-round-robin`, under the name scenarios written for nginx expect. Weights 5,1,1
 * give a a b a c a a (checked against nginx 1.22.1 on loopback).
 */
import { weightedRoundRobin } from '../weighted-round-robin.ts';
import { rejectUnknownOptions } from '../options.ts';
import type { BalancerModule } from '../types.ts';
import { NGINX_VERSION } from './constants.ts';

export const nginxRoundRobin: BalancerModule = {
  name: 'nginx/round_robin',
  description: "nginx 1.22 default smooth weighted round robin (alias of weighted-round-robin; 5,1,1 -> a a b a c a a)",
  follows: `nginx ${NGINX_VERSION} src/http/ngx_http_upstream_round_robin.c (ngx_http_upstream_get_peer)`,
  create(ctx) {
    rejectUnknownOptions('nginx/round_robin', ctx.options, []);
    return weightedRoundRobin.create(ctx);
  },
};
