/**
 * HAProxy's consistent-hash ring, src/lb_chash.c (HAProxy 2.6), used by `hash-type
 * consistent` and by `balance random`. Server `puid` (its 1-based position in the
 * backend, HAProxy's default server id; `hash-key id`) owns eweight = weight * 16 points
 * at full_hash(puid * SRV_EWGHT_RANGE + i). A lookup finds the first point >= the hash
 * and the one before it (wrapping), and takes the nearer of the two, the previous one on
 * a tie (chash_get_server_hash: `dp <= dn`).
 *
 * Precondition: weights are HAProxy user weights (0..256). `rebuild(usable)` after any
 * state change (HAProxy removes a down server's points from the tree). Lookups allocate
 * nothing.
 */
import { BE_WEIGHT_SCALE, SRV_EWGHT_RANGE } from './constants.ts';
import { fullHash } from './hash-functions.ts';

export class ChashRing {
  private readonly pointKey: Uint32Array;
  private readonly pointServer: Int32Array;
  /** Usable points, sorted by key; the first `size` entries are valid. */
  private readonly key: Uint32Array;
  private readonly server: Int32Array;
  private readonly order: Int32Array;
  size = 0;

  constructor(uweight: Int32Array) {
    let total = 0;
    for (let b = 0; b < uweight.length; b++) total += uweight[b]! * BE_WEIGHT_SCALE;
    this.pointKey = new Uint32Array(total);
    this.pointServer = new Int32Array(total);
    let p = 0;
    for (let b = 0; b < uweight.length; b++) {
      const puid = b + 1;
      for (let i = 0; i < uweight[b]! * BE_WEIGHT_SCALE; i++) {
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

  rebuild(usable: (b: number) => boolean): void {
    let n = 0;
    for (let j = 0; j < this.order.length; j++) {
      const p = this.order[j]!;
      const b = this.pointServer[p]!;
      if (!usable(b)) continue;
      this.key[n] = this.pointKey[p]!;
      this.server[n++] = b;
    }
    this.size = n;
  }

  /** chash_get_server_hash(): the server for 32-bit `hash`, or -1 when the ring is empty. */
  lookup(hash: number): number {
    const n = this.size;
    if (n === 0) return -1;
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
    return dp <= dn ? this.server[prev]! : this.server[next]!;
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
