/**
 * HAProxy's static server map, src/lb_map.c (2.6): the table behind `balance static-rr`
 * and map-based hashing. init_server_map() divides user weights by their greatest common
 * divisor (wmult) and scales them by BE_WEIGHT_SCALE; recalc_server_map() then fills
 * tot_weight slots: for each slot every usable server adds its eweight to a score, the
 * server with the largest (score + tot) / tot wins (first declared on ties) and loses
 * tot. Weights 3,2,1 give the cycle a a b a b c.
 *
 * Precondition: `uweight` are HAProxy user weights (0..256). Only servers for which
 * `usable(b)` holds take slots (primaries and backups are never usable together: the
 * health layer shows backups only while no primary is usable); call `rebuild()` after
 * any change of state, as HAProxy recomputes the map when a server goes down or up
 * (map_set_server_status_down/up).
 */
import { BE_WEIGHT_SCALE } from './constants.ts';

export class ServerMap {
  /** map.srv: backend per slot; only the first `total` entries are valid. */
  readonly slots: Int32Array;
  /** lbprm.tot_weight: sum of the usable servers' eweights. */
  total = 0;
  private readonly eweight: Int32Array;
  private readonly score: Float64Array;

  constructor(uweight: Int32Array) {
    const n = uweight.length;
    let gcd = 0;
    for (let b = 0; b < n; b++) {
      let w = uweight[b]!;
      let g = gcd;
      while (w) {
        const t = g % w;
        g = w;
        w = t;
      }
      gcd = g;
    }
    if (gcd === 0) gcd = 1;
    this.eweight = new Int32Array(n);
    let sum = 0;
    for (let b = 0; b < n; b++) {
      this.eweight[b] = Math.floor((uweight[b]! * BE_WEIGHT_SCALE + gcd - 1) / gcd);
      sum += this.eweight[b]!;
    }
    this.slots = new Int32Array(Math.max(1, sum));
    this.score = new Float64Array(n);
  }

  /**
   * recalc_server_map(); allocates nothing. `firstBackup` (BalancerContext.firstBackupRule:
   * backups and no `allbackups`): when every usable server is a backup, tot_weight is the
   * first usable backup's eweight alone (update_backend_weight uses lbprm.fbck), while the
   * slots are still filled from every usable backup, so they share the traffic: backups
   * of eweights 16 and 16 take 8 slots each of 16.
   */
  rebuild(usable: (b: number) => boolean, firstBackup?: Uint8Array): void {
    const n = this.eweight.length;
    let tot = 0;
    let fbck = -1;
    let primary = false;
    for (let b = 0; b < n; b++) {
      if (!usable(b)) continue;
      tot += this.eweight[b]!;
      if (firstBackup === undefined || firstBackup[b] === 0) primary = true;
      else if (fbck < 0) fbck = b;
    }
    if (!primary && fbck >= 0) tot = this.eweight[fbck]!;
    this.total = tot;
    this.score.fill(0);
    for (let o = 0; o < tot; o++) {
      let best = -1;
      let max = 0;
      for (let b = 0; b < n; b++) {
        if (!usable(b)) continue;
        if (tot === 1) {
          best = b;
          break;
        }
        this.score[b] = this.score[b]! + this.eweight[b]!;
        const v = Math.trunc((this.score[b]! + tot) / tot);
        if (best < 0 || v > max) {
          max = v;
          best = b;
        }
      }
      this.slots[o] = best;
      if (best >= 0) this.score[best] = this.score[best]! - tot;
    }
  }
}
