/**
 * HAProxy `balance source`, `balance uri` and `balance hdr(<name>)` (HAProxy 2.6,
 * src/backend.c get_server_sh / get_server_uri / get_server_hh), with `hash-type
 * map-based` (src/lb_map.c: server = map[hash % tot_weight]) or `hash-type consistent`
 * (src/lb_chash.c ring). One file for the three because they are one algorithm with
 * three sources of key.
 *
 * What stands for what (lbsim requests carry integer keys, not addresses and URIs):
 * - source: the client key is the client's IPv4 address as a 32-bit number (a.b.c.d =
 *   a<<24|b<<16|c<<8|d), hashed as a plain integer, not as text (the hash function
 *   option does not apply to it, exactly as in HAProxy).
 * - uri: the route key k is the path `/k` (so route 17 is the URI `/17`), hashed with the
 *   backend's hash function (sdbm by default, djb2 with `hash_function: djb2`).
 * - hdr: the route key k is the header's value, the decimal text `k`.
 * `avalanche: true` applies full_hash() after the hash function (hash-type ... avalanche).
 * Map-based: server = map[hash % tot_weight]. Consistent: the ring is searched at
 * full_hash(hash) whether or not `avalanche` is set (never twice); without that step consecutive keys (whose
 * sdbm hashes are close) would all land between the same two points. This was read off
 * the real proxy: it reproduces haproxy 2.6.12's choices for every key tested.
 *
 * Options: `hash_type: map-based | consistent` (@default map-based),
 * `hash_function: sdbm | djb2` (@default sdbm), `avalanche` (@default false),
 * `hash_balance_factor` (@default 0, off; consistent only: bounded loads, chash-bound.ts).
 * Golden tables in test/balancers/haproxy.test.ts were read from haproxy 2.6.12 on
 * loopback (clients bound to 127.0.0.x, paths /k, header values k).
 *
 * Slow start: map-based hashing is static (init_server_map; the manual: "there will be no
 * slow start"), consistent hashing dynamic: a returning server's ring points follow its
 * ramped eweight at each warm-up tick (chash-ring.ts, onWeightChange).
 */
import { HASH_BALANCE_FACTOR, chashBoundOf } from './chash-bound.ts';
import { ChashRing } from './chash-ring.ts';
import { HAPROXY_VERSION } from './constants.ts';
import { fullHash, hashDecimal } from './hash-functions.ts';
import { ServerMap } from './server-map.ts';
import { booleanOption, enumOption, rejectUnknownOptions, wholeWeights } from '../options.ts';
import { STATELESS } from '../saved-state.ts';
import type { Balancer, BalancerContext, BalancerModule, WholeKey } from '../types.ts';

type KeySource = 'source' | 'uri' | 'hdr';

export const HAPROXY_HASH_DEFAULTS = { hash_type: 'map-based', hash_function: 'sdbm', avalanche: false, whole: false } as const;

function createHashBalancer(algorithm: string, source: KeySource, { backends, options, firstBackupRule }: BalancerContext): Balancer {
  rejectUnknownOptions(algorithm, options, ['hash_type', 'hash_function', 'avalanche', HASH_BALANCE_FACTOR, ...(source === 'uri' ? ['whole'] : [])]);
  // `balance uri whole`: the replay gives the whole target's key as the route key (haproxyUri.routeKey).
  if (source === 'uri') booleanOption(algorithm, options, 'whole', HAPROXY_HASH_DEFAULTS.whole);
  const hashType = enumOption(algorithm, options, 'hash_type', HAPROXY_HASH_DEFAULTS.hash_type, ['map-based', 'consistent']);
  const fn = enumOption(algorithm, options, 'hash_function', HAPROXY_HASH_DEFAULTS.hash_function, ['sdbm', 'djb2']);
  const avalanche = booleanOption(algorithm, options, 'avalanche', HAPROXY_HASH_DEFAULTS.avalanche);
  const weights = wholeWeights(algorithm, backends, 0, 256);
  const usable = (b: number) => backends.up[b] === 1 && backends.weight[b]! > 0;
  const consistent = hashType === 'consistent';
  const map = consistent ? undefined : new ServerMap(weights);
  const ring = consistent ? new ChashRing(weights, backends) : undefined;
  const bound = chashBoundOf(algorithm, options, weights, backends, ring);
  const rebuild = () => (map ? map.rebuild(usable, firstBackupRule) : ring!.refresh());
  rebuild();
  const slash = 47; // '/'
  // The ring saves its shape (a window's balancer must load a ramp under way); the map is rebuilt from `up` alone.
  const state = ring ? { saveState: () => ring.saveState(), loadState: (s: readonly number[]) => ring.loadState(s) } : STATELESS;
  return {
    pick(_request, client, route) {
      let hash: number;
      if (source === 'source') {
        hash = client >>> 0;
      } else {
        hash = hashDecimal(route, source === 'uri' ? slash : -1, fn);
      }
      if (avalanche || consistent) hash = fullHash(hash);
      if (map) return map.total === 0 ? -1 : map.slots[hash % map.total]!;
      return bound === null ? ring!.lookup(hash) : ring!.lookupBounded(hash, bound);
    },
    onBackendDown: rebuild,
    onBackendUp: rebuild,
    // chash_update_server_weight() (a slow-start tick); lb_map.c has no such hook.
    ...(ring ? { onWeightChange: rebuild } : {}),
    ...state,
  };
}

/** Map-based hashing spreads over the backups (lb_map.c, ServerMap.rebuild); consistent hashing uses the first (lb_chash.c: fbck). */
const mapBased = (options: Readonly<Record<string, unknown>>) => (options.hash_type ?? HAPROXY_HASH_DEFAULTS.hash_type) === 'map-based';

/**
 * BalancerModule.hashesWhole of `balance source|uri|hdr`: each key whole to one server
 * unless hash-balance-factor bounds it, which HAProxy applies to consistent hashing only.
 */
const hashesWhole =
  (key: WholeKey['key']) =>
  (options: Readonly<Record<string, unknown>>): WholeKey | undefined => {
    const factor = options[HASH_BALANCE_FACTOR];
    if (factor !== undefined && factor !== 0) return undefined;
    return { key, field: 'algorithm', bound: mapBased(options) ? " (with hash-type consistent, HAProxy's hash-balance-factor caps it)" : " (HAProxy's hash-balance-factor caps it)" };
  };

const follows = `HAProxy ${HAPROXY_VERSION} src/backend.c (get_server_sh/uri/hh), src/lb_map.c, src/lb_chash.c`;

export const haproxySource: BalancerModule = {
  name: 'haproxy/source',
  description: 'HAProxy 2.6 balance source: client key as IPv4 address; map-based or consistent',
  follows,
  spreadsBackups: mapBased,
  hashesWhole: hashesWhole('client'),
  create: (ctx) => createHashBalancer('haproxy/source', 'source', ctx),
};

export const haproxyUri: BalancerModule = {
  name: 'haproxy/uri',
  description: 'HAProxy 2.6 balance uri [whole]: route key k as the path /k (whole: with its query string); sdbm/djb2; map-based or consistent',
  follows,
  spreadsBackups: mapBased,
  // get_server_uri hashes the path up to the `?` unless `whole` (px->lbprm.arg_opt1 & 1).
  routeKey: (options) => (options.whole === true ? 'uri' : 'path'),
  hashesWhole: hashesWhole('route'),
  create: (ctx) => createHashBalancer('haproxy/uri', 'uri', ctx),
};

export const haproxyHdr: BalancerModule = {
  name: 'haproxy/hdr',
  description: 'HAProxy 2.6 balance hdr(name): route key k as the header value; map-based or consistent',
  follows,
  spreadsBackups: mapBased,
  hashesWhole: hashesWhole('route'),
  create: (ctx) => createHashBalancer('haproxy/hdr', 'hdr', ctx),
};
