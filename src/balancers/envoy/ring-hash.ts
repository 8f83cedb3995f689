/**
 * Envoy RING_HASH (source/common/upstream/ring_hash_lb.cc, RingHashLoadBalancer::Ring,
 * Envoy 1.28), ketama-style. With the candidate hosts' weights normalized to sum 1,
 * scale = min(ceil(min_weight * minimum_ring_size) / min_weight, maximum_ring_size); host
 * by host, hashes are added while a running count stays below the running target
 * (target += scale * weight), hash i of a host being xxHash64("<address>_<i>"). The ring
 * is sorted by hash; a request hash h goes to the first entry with hash >= h (wrapping),
 * found with the ketama binary search Envoy ports (chooseHost). The ring is rebuilt when
 * the host set changes. With priority levels (priority-set.ts), each level has its own
 * ring over its healthy hosts (all of them in panic), and the request's hash picks the
 * level too (hash % 100 against the levels' shares), as ThreadAwareLoadBalancerBase does.
 *
 * Mapping: a host's address is the backend's name (name backends "10.0.0.1:8080" to
 * reproduce a real cluster's ring). The request hash is xxHash64 of the route key's
 * decimal text (a `header` hash policy whose header carries k; `hash_key: uri`: the
 * request's whole target, as a `header: { header_name: ":path" }` policy hashes the path
 * with its query string), or with `hash_key: client` of the client key as a dotted IPv4 address (`connection_properties:
 * source_ip`). `hash_key: random`: the request has no hash (its route has no hash_policy,
 * or the policy's header is absent), and LoadBalancerImpl::chooseHost draws Envoy's
 * random() instead: here 64 bits from ctx.random(request, 0) and (request, 1), the ring
 * still deciding, so a host's share is its share of the ring. Options:
 * `minimum_ring_size` (@default 1024), `maximum_ring_size` (@default 8388608), `hash_key`
 * (@default route), `hash_balance_factor` (@default none: Envoy's
 * consistent_hashing_lb_config, bounded loads, bounded-load.ts), `healthy_panic_threshold`
 * (@default 50), `overprovisioning_factor` (@default 140). Only the default XX_HASH hash
 * function.
 *
 * Ring points are kept as two 32-bit halves, so a search needs no BigInt. A keyed pick's
 * result (a host) is memoized until the ring changes, so steady-state picks are a Map
 * lookup; a random pick searches the ring each time (log2 of its size compares).
 */
import { enumOption, intOption, rejectUnknownOptions } from '../options.ts';
import { STATELESS } from '../saved-state.ts';
import type { BalancerModule } from '../types.ts';
import { ENVOY_VERSION } from './constants.ts';
import { PRIORITY_SET_OPTIONS, PrioritySet } from './priority-set.ts';
import { BOUNDED_LOAD_OPTION, boundedLoadOf, envoyHashesWhole } from './bounded-load.ts';
import { ENVOY_HASH_KEYS, keyText, mod64, randomBits, xxHash64 } from './xxhash64.ts';

export const ENVOY_RING_HASH_DEFAULTS = { minimum_ring_size: 1024, maximum_ring_size: 8_388_608, hash_key: 'route' } as const;

/** Ring points in ascending order, each hash as its high and low 32 bits, and the host it belongs to. */
export interface Ring {
  hi: Uint32Array;
  lo: Uint32Array;
  host: Int32Array;
}

const LOW32 = 0xffff_ffffn;

/**
 * A keyed pick's memo of (level, host) in one small integer: the host + 1 (-1, none, is
 * 0) and the level above it. Levels are < 128 and backends far fewer than 2^22.
 */
const packPick = (level: number, host: number): number => level * 4_194_304 + host + 1;
const hostOfPick = (packed: number): number => (packed % 4_194_304) - 1;
const levelOfPick = (packed: number): number => Math.floor(packed / 4_194_304);

/**
 * RingHashLoadBalancer::Ring::Ring for hosts `hosts[0..size)` with their weights, which
 * are normalized to sum 1 here, or, with `normalized`, are Envoy's normalized weights
 * already (locality weighting: PrioritySet.normalizedHosts; they may sum below 1).
 */
export function buildRing(names: readonly string[], weight: ArrayLike<number>, hosts: ArrayLike<number>, size: number, minRing: number, maxRing: number, normalized = false): Ring {
  let sum = 0;
  for (let i = 0; i < size; i++) sum += weight[hosts[i]!]!;
  if (normalized) sum = 1;
  let minW = 1;
  for (let i = 0; i < size; i++) minW = Math.min(minW, weight[hosts[i]!]! / sum);
  const scale = Math.min(Math.ceil(minW * minRing) / minW, maxRing);
  const entries: { hash: bigint; host: number }[] = [];
  let current = 0;
  let target = 0;
  for (let i = 0; i < size; i++) {
    const h = hosts[i]!;
    target += scale * (weight[h]! / sum);
    for (let j = 0; current < target; j++, current++) entries.push({ hash: xxHash64(`${names[h]}_${j}`), host: h });
  }
  entries.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  return {
    hi: Uint32Array.from(entries, (e) => Number(e.hash >> 32n)),
    lo: Uint32Array.from(entries, (e) => Number(e.hash & LOW32)),
    host: Int32Array.from(entries, (e) => e.host),
  };
}

/** Ring::chooseHost for a 64-bit request hash. */
export function chooseFromRing(ring: Ring, h: bigint): number {
  return chooseFromRingHalves(ring, Number(h >> 32n), Number(h & LOW32));
}

/** (aHi, aLo) <= (bHi, bLo), as 64-bit unsigned numbers. */
const atMost = (aHi: number, aLo: number, bHi: number, bLo: number) => aHi < bHi || (aHi === bHi && aLo <= bLo);

/** Ring::chooseHost, Envoy's port of ketama_get_server, quirks included, for the hash hHi·2^32 + hLo. */
export function chooseFromRingHalves(ring: Ring, hHi: number, hLo: number): number {
  const size = ring.host.length;
  if (size === 0) return -1;
  let lowp = 0;
  let highp = size;
  let midp = 0;
  for (;;) {
    midp = Math.trunc((lowp + highp) / 2);
    if (midp === size) {
      midp = 0;
      break;
    }
    const midHi = ring.hi[midp]!;
    const midLo = ring.lo[midp]!;
    // Envoy's midval1 is 0 before the first point.
    const atOrBelowMid = atMost(hHi, hLo, midHi, midLo);
    const abovePrevious = midp === 0 ? hHi !== 0 || hLo !== 0 : !atMost(hHi, hLo, ring.hi[midp - 1]!, ring.lo[midp - 1]!);
    if (atOrBelowMid && abovePrevious) break;
    if (!atOrBelowMid) lowp = midp + 1;
    else highp = midp - 1;
    if (lowp > highp) {
      midp = 0;
      break;
    }
  }
  return ring.host[midp]!;
}

export const envoyRingHash: BalancerModule = {
  name: 'envoy/ring_hash',
  description: 'Envoy 1.28 RING_HASH: ketama ring of xxHash64("<name>_<i>") points, scaled by weight',
  follows: `Envoy ${ENVOY_VERSION} ring_hash_lb.cc`,
  priorityLevels: true,
  routeKey: (options) => (options.hash_key === 'uri' ? 'uri' : 'path'),
  hashesWhole: envoyHashesWhole,
  create({ backends, options, random }) {
    const name = 'envoy/ring_hash';
    rejectUnknownOptions(name, options, ['minimum_ring_size', 'maximum_ring_size', 'hash_key', BOUNDED_LOAD_OPTION, ...PRIORITY_SET_OPTIONS]);
    const minRing = intOption(name, options, 'minimum_ring_size', ENVOY_RING_HASH_DEFAULTS.minimum_ring_size, 1, 8_388_608);
    const maxRing = intOption(name, options, 'maximum_ring_size', ENVOY_RING_HASH_DEFAULTS.maximum_ring_size, minRing, 8_388_608);
    const hashKey = enumOption(name, options, 'hash_key', ENVOY_RING_HASH_DEFAULTS.hash_key, ENVOY_HASH_KEYS);
    const set = new PrioritySet(backends, name, options);
    const bounded = boundedLoadOf(name, backends, options);
    /** One ring per level, over its healthy hosts (all of them in panic). */
    const rings: Ring[] = [];
    const listed = new Int32Array(backends.count);
    const normalized = new Float64Array(backends.count);
    /** Per key: its level and host (packPick) until a ring changes; with a bounded load, the low 32 bits of its hash. */
    const memo = new Map<number, number>();
    const lows = new Map<number, number>();
    // ThreadAwareLoadBalancerBase::refresh rebuilds every level's ring on any change.
    const refresh = () => {
      set.refresh();
      for (let l = 0; l < set.levels; l++) {
        const source = set.source(l);
        if (set.localities.enabled) {
          const n = set.normalizedHosts(l, source, listed, normalized);
          rings[l] = buildRing(backends.names, normalized, listed, n, minRing, maxRing, true);
          bounded?.setLevel(l, listed, n, normalized, true);
        } else {
          rings[l] = buildRing(backends.names, backends.weight, set.hosts(l, source), set.size(l, source), minRing, maxRing);
          bounded?.setLevel(l, set.hosts(l, source), set.size(l, source), backends.weight);
        }
      }
      memo.clear();
    };
    refresh();
    return {
      pick(request, client, route) {
        if (hashKey === 'random') {
          // No hash: `random_.random()`, 64 bits, for the level (% 100) and the ring.
          const hi = randomBits(random, request, 0);
          const lo = randomBits(random, request, 1);
          const level = set.choose(mod64(hi, lo, 100));
          const host = chooseFromRingHalves(rings[level]!, hi, lo);
          return bounded === null ? host : bounded.choose(level, host, lo);
        }
        // hash_key: uri: the replay gives the whole target's key as `route` (routeKey below).
        const key = hashKey === 'client' ? client : route;
        let pick = memo.get(key);
        if (pick === undefined) {
          // LoadBalancerImpl::chooseHost: the request's hash picks the level, then the host.
          const h = xxHash64(keyText(key, hashKey === 'client'));
          const level = set.choose(Number(h % 100n));
          pick = packPick(level, chooseFromRing(rings[level]!, h));
          memo.set(key, pick);
          if (bounded !== null) lows.set(key, Number(h & 0xffff_ffffn));
        }
        return bounded === null ? hostOfPick(pick) : bounded.choose(levelOfPick(pick), hostOfPick(pick), lows.get(key)!);
      },
      onBackendDown: refresh,
      onBackendUp: refresh,
      // The rings and memo are rebuilt from the host sets on every change.
      ...STATELESS,
    };
  },
};
