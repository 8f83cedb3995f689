/**
 * HAProxy's consistent-hash ring, src/lb_chash.c (HAProxy 2.6), used by `hash-type
 * consistent` and by `balance random`. Server `puid` (its 1-based position in the
 * backend, HAProxy's default server id; `hash-key id`) owns weight * 16 points at
 * full_hash(puid * SRV_EWGHT_RANGE + i) (chash_init_server_tree: lb_nodes_tot =
 * uweight * BE_WEIGHT_SCALE). A lookup finds the first point >= the hash and the one
 * before it (wrapping), and takes the nearer of the two, the previous one on a tie
 * (chash_get_server_hash: `dp <= dn`).
 *
 * Both algorithms are dynamic (cfgparse.c check_config_validity sets BE_LB_PROP_DYN with
 * BE_LB_LKUP_CHTREE; the manual's `hash-type consistent`: "compatible with the slow start
 * feature"): a usable server has its points i < its current eweight in the tree, not all
 * of them (chash_queue_dequeue_srv() inserts or removes its last points until
 * lb_nodes_now = next_eweight, on every chash_update_server_weight(), i.e. every slow-start
 * warm-up tick); a server that is down has none (chash_dequeue_srv). `points` holds that
 * count per server, which is also its cur_eweight (get_server_rnd compares loads by it).
 * Equal keys keep server order then point index, not the tree's insertion order: a
 * collision of two 32-bit full_hash keys is the only case that could tell them apart.
 *
 * Precondition: weights are HAProxy user weights (0..256). `refresh()` after any change of
 * `up` or `effectiveWeight`. Lookups allocate nothing.
 */
import { BE_WEIGHT_SCALE, SRV_EWGHT_RANGE } from './constants.ts';
import { fullHash } from './hash-functions.ts';
import { StateReader } from '../saved-state.ts';
import type { BackendView } from '../types.ts';
import type { ChashBound } from './chash-bound.ts';

export class ChashRing {
  private readonly pointKey: Uint32Array;
  private readonly pointServer: Int32Array;
  /** Usable points, sorted by key; the first `size` entries are valid. */
  private readonly key: Uint32Array;
  private readonly server: Int32Array;
  private readonly order: Int32Array;
  /** Index of server b's first point in pointKey/pointServer (its point i is first[b] + i). */
  private readonly first: Int32Array;
  /** Points each server has (lb_nodes_tot). */
  private readonly total: Int32Array;
  /** Points each server has in the tree now (lb_nodes_now): its cur_eweight while usable, 0 when not. */
  readonly points: Int32Array;
  /** The points in the tree (the sum of `points`): HAProxy's tot_weight, in eweight units. */
  totalPoints = 0;
  size = 0;

  constructor(
    uweight: Int32Array,
    /** The view `refresh()` reads; absent for a ring driven by hand through `rebuild()`. */
    private readonly view?: BackendView,
  ) {
    const n = uweight.length;
    this.first = new Int32Array(n);
    this.total = Int32Array.from(uweight, (w) => w * BE_WEIGHT_SCALE);
    this.points = new Int32Array(n);
    let total = 0;
    for (let b = 0; b < n; b++) total += this.total[b]!;
    this.pointKey = new Uint32Array(total);
    this.pointServer = new Int32Array(total);
    let p = 0;
    for (let b = 0; b < n; b++) {
      const puid = b + 1;
      this.first[b] = p;
      for (let i = 0; i < this.total[b]!; i++) {
        this.pointKey[p] = fullHash((puid * SRV_EWGHT_RANGE + i) >>> 0);
        this.pointServer[p++] = b;
      }
    }
    // eb32 order: by key; equal keys keep insertion order (server order, then point index).
    const idx = Array.from({ length: total }, (_, i) => i).sort((x, y) => this.pointKey[x]! - this.pointKey[y]! || x - y);
    this.order = Int32Array.from(idx);
    this.key = new Uint32Array(total);
    this.server = new Int32Array(total);
  }

  /**
   * Every server's points from the view: none unless it is up with a weight, else its
   * current eweight, Math.round(effectiveWeight × 16) (the engine's slow start; the full
   * weight × 16 without it), as haproxy/roundrobin and haproxy/leastconn compute it.
   */
  refresh(): void {
    const v = this.view!;
    for (let b = 0; b < this.points.length; b++) {
      const usable = v.up[b] === 1 && v.weight[b]! > 0;
      const eweight = v.effectiveWeight === undefined ? this.total[b]! : Math.round(v.effectiveWeight[b]! * BE_WEIGHT_SCALE);
      this.points[b] = usable ? Math.min(this.total[b]!, eweight) : 0;
    }
    this.rebuild();
  }

  /** The tree as `points` says: server b's points 0 .. points[b] - 1. */
  rebuild(): void {
    let total = 0;
    for (let b = 0; b < this.points.length; b++) total += this.points[b]!;
    this.totalPoints = total;
    let n = 0;
    for (let j = 0; j < this.order.length; j++) {
      const p = this.order[j]!;
      const b = this.pointServer[p]!;
      if (p - this.first[b]! >= this.points[b]!) continue;
      this.key[n] = this.pointKey[p]!;
      this.server[n++] = b;
    }
    this.size = n;
  }

  /**
   * The ring's shape for a time-split checkpoint: the points of each server. Derived from
   * the view, but a window's balancer is created before the engine restores the view's
   * slow-start weights, and nothing tells it of a ramp already under way: it loads them.
   */
  saveState(): number[] {
    return Array.from(this.points);
  }

  loadState(state: readonly number[]): void {
    new StateReader(state).fill(this.points);
    this.rebuild();
  }

  /** chash_get_server_hash(): the server for 32-bit `hash`, or -1 when the ring is empty. */
  lookup(hash: number): number {
    return this.size === 0 ? -1 : this.server[this.nearest(hash)]!;
  }

  /**
   * chash_get_server_hash() with `hash-balance-factor`: from the nearest point, on along
   * the ring (eb32_next, wrapping) while the point's server is not eligible. HAProxy's
   * guard stops the walk at its second wrap, leaving the last point's server: what a
   * backend where none is eligible gets.
   */
  lookupBounded(hash: number, bound: ChashBound): number {
    const n = this.size;
    if (n === 0) return -1;
    let p = this.nearest(hash);
    let s = this.server[p]!;
    bound.begin();
    let wraps = 0;
    while (!bound.eligible(s)) {
      if (++p === n) {
        p = 0;
        if (++wraps > 1) break;
      }
      s = this.server[p]!;
    }
    return s;
  }

  /** The nearest point to `hash` (precondition: size > 0), the previous one on a tie. */
  private nearest(hash: number): number {
    const n = this.size;
    // eb32_lookup_ge(): first point with key >= hash, else wrap to the first.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.key[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    const next = lo === n ? 0 : lo;
    const prev = next === 0 ? n - 1 : next - 1;
    const dp = (hash - this.key[prev]!) >>> 0;
    const dn = (this.key[next]! - hash) >>> 0;
    return dp <= dn ? prev : next;
  }

  /**
   * The fraction of the 32-bit hash space that maps to server `b` under the nearest-point
   * rule (for tests and reports; O(points)). Each point owns the part of the gap before it
   * and after it that is nearer to it, ties going to the earlier point.
   */
  share(b: number): number {
    const n = this.size;
    if (n === 0) return 0;
    let owned = 0;
    for (let j = 0; j < n; j++) {
      const prev = j === 0 ? n - 1 : j - 1;
      // Hashes h in (key[prev], key[j]]: distance to prev dp = h - key[prev], to j dn = key[j] - h;
      // prev wins when dp <= dn, i.e. for the first floor(gap / 2) values.
      const gap = n === 1 ? 4294967296 : ((this.key[j]! - this.key[prev]!) >>> 0) || 4294967296;
      const toPrev = Math.floor(gap / 2);
      if (this.server[prev] === b) owned += toPrev;
      if (this.server[j] === b) owned += gap - toPrev;
    }
    return owned / 4294967296;
  }
}
