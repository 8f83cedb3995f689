/**
 * Envoy MAGLEV (source/common/upstream/maglev_lb.cc, MaglevTable, Envoy 1.28): a lookup
 * table of `table_size` (a prime, @default 65537) slots filled as in the Maglev paper
 * (Eisenbud et al., NSDI 2016, pseudocode listing 1), weighted Envoy's way. The hosts
 * are first sorted by address (MaglevTable::constructMaglevTableInternal,
 * `std::sort(sorted_host_weights)`, since Envoy 1.27: "fixes maglev stability", PR
 * #28055), so the table does not depend on the order hosts are declared in. Host i has
 * offset = xxHash64(address) % M and skip = xxHash64(address, seed 1) % (M - 1) + 1, and
 * walks its permutation (offset + skip * next) % M to its next free slot; round after
 * round (iteration = 1, 2, ...), a host whose normalized weight * iteration has reached
 * its target takes a slot and its target grows by the largest normalized weight, so the
 * heaviest host takes a slot every round. A request goes to table[hash % M]. The table is
 * rebuilt when the host set changes; hosts keep their permutations, so most slots keep
 * their host. With priority levels (priority-set.ts), each level has its own table over
 * its healthy hosts (all of them in panic), and the request's hash picks the level too
 * (hash % 100 against the levels' shares), as ThreadAwareLoadBalancerBase does.
 *
 * Mapping: a host's address is the backend's name (sorted as bytes, as std::string_view
 * compares; equal names keep declaration order); the request hash is xxHash64 of the
 * route key's decimal text (`hash_key: uri`: of the whole target, query string included,
 * as a `:path` header policy), or with `hash_key: client` of the client key as a dotted
 * IPv4 address; with `hash_key: random` (no hash policy on the route) it is Envoy's
 * random() instead, 64 bits from ctx.random(request, 0) and (request, 1). Options:
 * `table_size` (@default 65537, must be prime), `hash_key` (@default route),
 * `hash_balance_factor` (@default none; bounded loads, bounded-load.ts),
 * `healthy_panic_threshold` (@default 50), `overprovisioning_factor` (@default 140).
 * `hash % M` is memoized per key (BigInt once per distinct key); a pick is then a Map
 * lookup and a table read.
 */
import { LbsimError } from '../../errors.ts';
import { enumOption, intOption, rejectUnknownOptions } from '../options.ts';
import { STATELESS } from '../saved-state.ts';
import type { BalancerModule } from '../types.ts';
import { ENVOY_VERSION } from './constants.ts';
import { PRIORITY_SET_OPTIONS, PrioritySet } from './priority-set.ts';
import { BOUNDED_LOAD_OPTION, boundedLoadOf, envoyHashesWhole } from './bounded-load.ts';
import { ENVOY_HASH_KEYS, keyText, mod64, randomBits, xxHash64 } from './xxhash64.ts';

export const ENVOY_MAGLEV_DEFAULTS = { table_size: 65537, hash_key: 'route' } as const;

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

/**
 * Backend indices in the order Envoy builds its table: by address (the name) compared as
 * UTF-8 bytes, as std::sort on string_view does; equal names by index (Envoy would compare
 * host pointers there, which no scenario can reproduce).
 */
export function addressOrder(names: readonly string[]): Int32Array {
  const utf8 = new TextEncoder();
  const bytes = names.map((n) => utf8.encode(n));
  const compare = (x: Uint8Array, y: Uint8Array): number => {
    for (let i = 0; i < x.length && i < y.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  };
  return Int32Array.from(names.keys()).sort((a, b) => compare(bytes[a]!, bytes[b]!) || a - b);
}

/**
 * MaglevTable::constructMaglevTableInternal + OriginalMaglevTable::constructImplementationInternals
 * (Envoy 1.28, source/extensions/load_balancing_policies/maglev/maglev_lb.cc) for hosts
 * `candidates[0..size)`, taken in the order of `order` (addressOrder); fills `table` (length M).
 */
export function buildMaglev(table: Int32Array, offset: Float64Array, skip: Float64Array, weight: ArrayLike<number>, candidates: ArrayLike<number>, size: number, order: Int32Array, normalized = false): void {
  const m = table.length;
  table.fill(-1);
  if (size === 0) return;
  const isCandidate = new Uint8Array(order.length);
  for (let i = 0; i < size; i++) isCandidate[candidates[i]!] = 1;
  const hosts = order.filter((b) => isCandidate[b] === 1);
  let sum = 0;
  for (let i = 0; i < size; i++) sum += weight[hosts[i]!]!;
  // Envoy's normalized weights already (locality weighting: PrioritySet.normalizedHosts), which may sum below 1.
  if (normalized) sum = 1;
  let maxW = 0;
  for (let i = 0; i < size; i++) maxW = Math.max(maxW, weight[hosts[i]!]! / sum);
  const next = new Float64Array(size);
  const target = new Float64Array(size);
  let filled = 0;
  for (let iteration = 1; filled < m; iteration++) {
    for (let i = 0; i < size && filled < m; i++) {
      const h = hosts[i]!;
      if (iteration * (weight[h]! / sum) < target[i]!) continue;
      target[i] = target[i]! + maxW;
      let c = (offset[h]! + skip[h]! * next[i]!) % m;
      while (table[c] !== -1) {
        next[i] = next[i]! + 1;
        c = (offset[h]! + skip[h]! * next[i]!) % m;
      }
      table[c] = h;
      next[i] = next[i]! + 1;
      filled++;
    }
  }
}

export const envoyMaglev: BalancerModule = {
  name: 'envoy/maglev',
  description: 'Envoy 1.28 MAGLEV: 65537-slot Maglev table, weighted by Envoy target weights',
  follows: `Envoy ${ENVOY_VERSION} maglev_lb.cc`,
  priorityLevels: true,
  routeKey: (options) => (options.hash_key === 'uri' ? 'uri' : 'path'),
  hashesWhole: envoyHashesWhole,
  create({ backends, options, random }) {
    const name = 'envoy/maglev';
    rejectUnknownOptions(name, options, ['table_size', 'hash_key', BOUNDED_LOAD_OPTION, ...PRIORITY_SET_OPTIONS]);
    const m = intOption(name, options, 'table_size', ENVOY_MAGLEV_DEFAULTS.table_size, 2, 5_000_011);
    if (!isPrime(m)) throw new LbsimError('SCENARIO_INVALID', `balancer.table_size: envoy/maglev expects a prime table size (Envoy refuses others), got ${m}`);
    const hashKey = enumOption(name, options, 'hash_key', ENVOY_MAGLEV_DEFAULTS.hash_key, ENVOY_HASH_KEYS);
    const set = new PrioritySet(backends, name, options);
    const bounded = boundedLoadOf(name, backends, options);
    const offset = new Float64Array(backends.count);
    const skip = new Float64Array(backends.count);
    const bm = BigInt(m);
    for (let b = 0; b < backends.count; b++) {
      offset[b] = Number(xxHash64(backends.names[b]!) % bm);
      skip[b] = Number(xxHash64(backends.names[b]!, 1n) % (bm - 1n)) + 1;
    }
    /** One table per level, over its healthy hosts (all of them in panic). */
    const tables = Array.from({ length: set.levels }, () => new Int32Array(m));
    const order = addressOrder(backends.names);
    const listed = new Int32Array(backends.count);
    const normalized = new Float64Array(backends.count);
    // ThreadAwareLoadBalancerBase::refresh rebuilds every level's table on any change.
    const refresh = () => {
      set.refresh();
      for (let l = 0; l < set.levels; l++) {
        const source = set.source(l);
        if (set.localities.enabled) {
          const n = set.normalizedHosts(l, source, listed, normalized);
          buildMaglev(tables[l]!, offset, skip, normalized, listed, n, order, true);
          bounded?.setLevel(l, listed, n, normalized, true);
        } else {
          buildMaglev(tables[l]!, offset, skip, backends.weight, set.hosts(l, source), set.size(l, source), order);
          bounded?.setLevel(l, set.hosts(l, source), set.size(l, source), backends.weight);
        }
      }
    };
    refresh();
    /** Per key: its slot * 100 + hash % 100 (the level's draw), neither of which a table change alters; with a bounded load, the hash's low 32 bits. */
    const memo = new Map<number, number>();
    const lows = new Map<number, number>();
    return {
      pick(request, client, route) {
        if (hashKey === 'random') {
          // No hash: `random_.random()`, 64 bits, % 100 for the level and % M for the slot.
          const hi = randomBits(random, request, 0);
          const lo = randomBits(random, request, 1);
          const level = set.choose(mod64(hi, lo, 100));
          const host = tables[level]![mod64(hi, lo, m)]!;
          return bounded === null ? host : bounded.choose(level, host, lo);
        }
        // hash_key: uri: the replay gives the whole target's key as `route` (routeKey below).
        const key = hashKey === 'client' ? client : route;
        let slotAndLevelHash = memo.get(key);
        if (slotAndLevelHash === undefined) {
          const h = xxHash64(keyText(key, hashKey === 'client'));
          slotAndLevelHash = Number(h % bm) * 100 + Number(h % 100n);
          memo.set(key, slotAndLevelHash);
          if (bounded !== null) lows.set(key, Number(h & 0xffff_ffffn));
        }
        // An empty level's table is all -1: no host.
        const level = set.choose(slotAndLevelHash % 100);
        const host = tables[level]![Math.floor(slotAndLevelHash / 100)]!;
        return bounded === null ? host : bounded.choose(level, host, lows.get(key)!);
      },
      onBackendDown: refresh,
      onBackendUp: refresh,
      // The tables are rebuilt from the host sets on every change; the memo holds only hashes.
      ...STATELESS,
    };
  },
};
