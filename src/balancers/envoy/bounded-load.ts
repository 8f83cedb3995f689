/**
 * Envoy's consistent hashing with bounded loads (thread_aware_lb_impl.cc,
 * BoundedLoadHashingLoadBalancer, Envoy 1.28; Mirrokni et al., arXiv:1608.01350), which
 * ring_hash and maglev put in front of their ring or table when
 * `common_lb_config.consistent_hashing_lb_config.hash_balance_factor` is set (≥ 100).
 *
 * A host may hold `ceil(total_slots × w)` active requests (at least 1), w its normalized
 * weight in the level and total_slots = ⌊((cluster's active + 1) × factor + 99) / 100⌋;
 * its overload factor is its active requests / its slots. The ring's host is taken unless
 * its factor is above 1; then the level's hosts are visited in a shuffle drawn from
 * std::mt19937 seeded with the request's hash (so one key always probes in one order), and
 * the first with a factor ≤ 1 is taken, or else the least overloaded one (the ring's
 * host on a tie). Envoy's rq_active is the backend's in-flight count, as envoy/least_request
 * reads it; the cluster's is their sum over every backend, which the engine keeps
 * (BackendView.inFlightTotal), as Envoy keeps upstream_rq_active.
 *
 * Per level the hosts are kept in Envoy's normalized_host_weights_ order (the level's
 * healthy hosts, all of them in panic; by locality with locality weighting), which the
 * shuffle indexes.
 */
import { totalInFlight } from '../eligible.ts';
import { intOption } from '../options.ts';
import type { BackendView, WholeKey } from '../types.ts';
import { Mt19937 } from './mt19937.ts';

/** The option, beside each hashing algorithm's own. */
export const BOUNDED_LOAD_OPTION = 'hash_balance_factor';

/**
 * BalancerModule.hashesWhole of a ring hash or Maglev: each client or path whole to one
 * host, unless a balance factor bounds the host or the hash is drawn at random per request.
 */
export function envoyHashesWhole(options: Readonly<Record<string, unknown>>): WholeKey | undefined {
  const factor = options[BOUNDED_LOAD_OPTION];
  if ((factor !== undefined && factor !== 0) || options.hash_key === 'random') return undefined;
  return {
    key: options.hash_key === 'client' ? 'client' : 'route',
    field: options.hash_key === undefined ? 'algorithm' : 'hash_key',
    bound: " (Envoy's hash_balance_factor caps a host's share of the requests in flight)",
  };
}

/**
 * The bounded load of `algorithm`'s options, or null without `hash_balance_factor` (Envoy:
 * unset, the ring or table alone). Envoy requires it ≥ 100 (UInt32Value, `gte: 100`).
 */
export function boundedLoadOf(algorithm: string, backends: BackendView, options: Readonly<Record<string, unknown>>): BoundedLoad | null {
  if (options[BOUNDED_LOAD_OPTION] === undefined) return null;
  // A key's hash recurs with every request of the key: its probe order is worth keeping. A random hash does not.
  return new BoundedLoad(backends, intOption(algorithm, options, BOUNDED_LOAD_OPTION, 0, 100, 4_294_967_295), options.hash_key !== 'random');
}

const TWO_POW_32 = 4294967296;

export class BoundedLoad {
  /** Per level: its hosts in Envoy's order, and each one's normalized weight by backend index. */
  private readonly hosts: Int32Array[] = [];
  private readonly sizes: number[] = [];
  private readonly weight: Float64Array[] = [];
  /** The shuffle's host_index, when it is not cached. */
  private readonly order: Int32Array;
  private readonly random = new Mt19937();
  /** Probe orders by hash and level (probeOrder), or null when hashes are not reused (`hash_key: random`). */
  private readonly orders: Map<number, Int32Array> | null;

  /** `factor`: hash_balance_factor, a percentage ≥ 100; `cacheOrders`: whether hashes recur (keyed, not random). */
  constructor(
    private readonly backends: BackendView,
    private readonly factor: number,
    cacheOrders = false,
  ) {
    this.order = new Int32Array(backends.count);
    this.orders = cacheOrders ? new Map() : null;
  }

  /**
   * Level `level` is now `hosts[0..n)` with weights `weight[host]`, normalized here to sum
   * 1 unless `normalized` (locality weighting's, which may sum below 1), as Envoy's
   * normalizeWeights.
   */
  setLevel(level: number, hosts: ArrayLike<number>, n: number, weight: ArrayLike<number>, normalized = false): void {
    const count = this.backends.count;
    const own = (this.hosts[level] ??= new Int32Array(count));
    const w = (this.weight[level] ??= new Float64Array(count));
    let sum = 0;
    for (let i = 0; i < n; i++) sum += weight[hosts[i]!]!;
    if (normalized) sum = 1;
    for (let i = 0; i < n; i++) {
      own[i] = hosts[i]!;
      w[hosts[i]!] = weight[hosts[i]!]! / sum;
    }
    this.sizes[level] = n;
    // A level's order is over its hosts then: those of another size or membership are stale.
    this.orders?.clear();
  }

  /**
   * chooseHost: `host` is what the ring or table chose in `level` (-1: none) for a request
   * whose hash has the low 32 bits `hashLow` (std::mt19937 keeps only those of its seed).
   */
  choose(level: number, host: number, hashLow: number): number {
    const n = this.sizes[level] ?? 0;
    if (n === 0 || host < 0) return -1;
    const active = this.backends.inFlight;
    const overall = totalInFlight(this.backends);
    // uint32 arithmetic, as Envoy's.
    const totalSlots = Math.floor(((overall + 1) * this.factor + 99) / 100);
    const w = this.weight[level]!;
    let factor = overloadFactor(active[host]!, totalSlots, w[host]!);
    if (factor <= 1) return host;
    const hosts = this.hosts[level]!;
    const order = this.probeOrder(level, n, hashLow);
    let least = host;
    let leastFactor = factor;
    for (let i = 0; i < n; i++) {
      const alt = hosts[order[i]!]!;
      if (alt === host) continue;
      factor = overloadFactor(active[alt]!, totalSlots, w[alt]!);
      if (factor <= 1) return alt;
      if (leastFactor > factor) {
        least = alt;
        leastFactor = factor;
      }
    }
    return least;
  }

  /**
   * The order Envoy probes a level's n hosts in for a hash with low bits `hashLow`: the
   * Fisher-Yates shuffle of 0..n-1 its loop draws step by step (the draws do not depend
   * on what the probes find, so the whole shuffle is the same as the steps Envoy takes
   * before it stops). With `cacheOrders`, kept per (hash, level) until the level changes:
   * a key probes in one order every time (up to MAX_CACHED orders).
   */
  private probeOrder(level: number, n: number, hashLow: number): Int32Array {
    const id = hashLow * 128 + level;
    const cached = this.orders?.get(id);
    if (cached !== undefined) return cached;
    const order = this.orders !== null && this.orders.size < MAX_CACHED ? new Int32Array(n) : this.order;
    for (let i = 0; i < n; i++) order[i] = i;
    const random = this.random;
    random.seed(hashLow);
    for (let i = 0; i < n; i++) {
      // uniform_int(random, n - i): draws until one falls below n - i.
      const k = n - i;
      const bucket = Math.floor(TWO_POW_32 / k);
      let j = k;
      while (j >= k) j = Math.floor(random.next() / bucket);
      const swap = order[i]!;
      order[i] = order[i + j]!;
      order[i + j] = swap;
    }
    if (order !== this.order) this.orders!.set(id, order);
    return order;
  }
}

/** Probe orders kept at most (memory: n four-byte entries each). */
const MAX_CACHED = 65_536;

/** hostOverloadFactor: active requests over the host's slots, ceil(total_slots × weight), at least 1. */
function overloadFactor(active: number, totalSlots: number, weight: number): number {
  return active / Math.max(Math.ceil(totalSlots * weight), 1);
}
