/**
 * HAProxy `balance random(<draws>)` (HAProxy 2.6, src/backend.c get_server_rnd over the
 * src/lb_chash.c ring): each draw looks up a uniformly random 32-bit hash on the
 * consistent-hash ring (so weights count through the servers' ring points), and the
 * server with fewer connections per weight wins against the previous best
 * (`curr->served * prev->eweight > prev->served * curr->eweight` keeps the previous one).
 * `draws` @default 2 (HAProxy's default).
 *
 * Mapping: `served` is the backend's in-flight count. The random hash of draw d is
 * floor(ctx.random(request, d) * 2^32), instead of HAProxy's ha_random32().
 */
import { ChashRing } from './chash-ring.ts';
import { BE_WEIGHT_SCALE, HAPROXY_VERSION } from './constants.ts';
import { intOption, rejectUnknownOptions, wholeWeights } from '../options.ts';
import { STATELESS } from '../saved-state.ts';
import type { BalancerModule } from '../types.ts';

export const HAPROXY_RANDOM_DEFAULTS = { draws: 2 } as const;

export const haproxyRandom: BalancerModule = {
  name: 'haproxy/random',
  description: 'HAProxy 2.6 balance random(draws): draws on the consistent-hash ring, least served/weight wins',
  follows: `HAProxy ${HAPROXY_VERSION} src/backend.c get_server_rnd, src/lb_chash.c`,
  create({ backends, options, random }) {
    rejectUnknownOptions('haproxy/random', options, ['draws']);
    const draws = intOption('haproxy/random', options, 'draws', HAPROXY_RANDOM_DEFAULTS.draws, 1, 100);
    const weights = wholeWeights('haproxy/random', backends, 0, 256);
    const ring = new ChashRing(weights);
    const usable = (b: number) => backends.up[b] === 1 && backends.weight[b]! > 0;
    ring.rebuild(usable);
    const rebuild = () => ring.rebuild(usable);
    return {
      pick(request) {
        let curr = -1;
        for (let d = 0; d < draws; d++) {
          const prev = curr;
          curr = ring.lookup(Math.floor(random(request, d) * 4294967296) >>> 0);
          if (curr < 0) break;
          if (prev >= 0 && prev !== curr && backends.inFlight[curr]! * weights[prev]! * BE_WEIGHT_SCALE > backends.inFlight[prev]! * weights[curr]! * BE_WEIGHT_SCALE) curr = prev;
        }
        // get_server_rnd: "if the selected server is full, pretend we have none so that we
        // reach the backend's queue instead".
        if (curr >= 0 && backends.full[curr] === 1) return -1;
        return curr;
      },
      onBackendDown: rebuild,
      onBackendUp: rebuild,
      ...STATELESS,
    };
  },
};
