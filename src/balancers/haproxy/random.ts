/**
 * HAProxy `balance random(<draws>)` (HAProxy 2.6, src/backend.c get_server_rnd over the
 * src/lb_chash.c ring): each draw looks up a uniformly random 32-bit hash on the
 * consistent-hash ring (so weights count through the servers' ring points), and the
 * server with fewer connections per weight wins against the previous best
 * (`curr->served * prev->cur_eweight > prev->served * curr->cur_eweight` keeps the
 * previous one). `draws` @default 2 (HAProxy's default); `hash_balance_factor` (@default 0,
 * off) bounds each draw's lookup as for consistent hashing (chash-bound.ts).
 *
 * Slow start: `balance random` is dynamic (BE_LB_PROP_DYN; the manual: "dynamic weight
 * changes immediately take effect"), so a returning server's ring points and the
 * cur_eweight its load is divided by both follow its ramped eweight at each warm-up tick
 * (chash-ring.ts `points`, onWeightChange).
 *
 * Mapping: `served` is the backend's in-flight count. The random hash of draw d is
 * floor(ctx.random(request, d) * 2^32), instead of HAProxy's ha_random32().
 */
import { HASH_BALANCE_FACTOR, chashBoundOf } from './chash-bound.ts';
import { ChashRing } from './chash-ring.ts';
import { HAPROXY_VERSION } from './constants.ts';
import { intOption, rejectUnknownOptions, wholeWeights } from '../options.ts';
import type { BalancerModule } from '../types.ts';

export const HAPROXY_RANDOM_DEFAULTS = { draws: 2 } as const;

export const haproxyRandom: BalancerModule = {
  name: 'haproxy/random',
  description: 'HAProxy 2.6 balance random(draws): draws on the consistent-hash ring, least served/weight wins',
  follows: `HAProxy ${HAPROXY_VERSION} src/backend.c get_server_rnd, src/lb_chash.c`,
  // One draw is a weighted random pick on the ring; with two or more the least loaded of them wins.
  followsLoad: (options) => (options.draws ?? HAPROXY_RANDOM_DEFAULTS.draws) !== 1,
  create({ backends, options, random }) {
    rejectUnknownOptions('haproxy/random', options, ['draws', HASH_BALANCE_FACTOR]);
    const draws = intOption('haproxy/random', options, 'draws', HAPROXY_RANDOM_DEFAULTS.draws, 1, 100);
    const weights = wholeWeights('haproxy/random', backends, 0, 256);
    const ring = new ChashRing(weights, backends);
    ring.refresh();
    // get_server_rnd looks each draw up with chash_get_server_hash(), hash-balance-factor included.
    const bound = chashBoundOf('haproxy/random', options, weights, backends, ring);
    const rebuild = () => ring.refresh();
    const eweight = ring.points; // cur_eweight of every server in the tree
    // HAProxy's served: in flight, plus retries holding a slot (BackendView.held).
    const held = backends.held ?? new Int32Array(backends.count);
    return {
      pick(request) {
        let curr = -1;
        for (let d = 0; d < draws; d++) {
          const prev = curr;
          const hash = Math.floor(random(request, d) * 4294967296) >>> 0;
          curr = bound === null ? ring.lookup(hash) : ring.lookupBounded(hash, bound);
          if (curr < 0) break;
          if (prev >= 0 && prev !== curr && (backends.inFlight[curr]! + held[curr]!) * eweight[prev]! > (backends.inFlight[prev]! + held[prev]!) * eweight[curr]!) curr = prev;
        }
        // get_server_rnd: "if the selected server is full, pretend we have none so that we
        // reach the backend's queue instead".
        if (curr >= 0 && backends.full[curr] === 1) return -1;
        return curr;
      },
      onBackendDown: rebuild,
      onBackendUp: rebuild,
      onWeightChange: rebuild, // chash_update_server_weight()
      // The ring's shape: a window's balancer must load a ramp under way (chash-ring.ts).
      saveState: () => ring.saveState(),
      loadState: (s) => ring.loadState(s),
    };
  },
};
