/**
 * HAProxy's `hash-balance-factor` (HAProxy 2.6, src/lb_chash.c chash_server_is_eligible,
 * "Consistent Hashing with Bounded Loads", Mirrokni et al., adapted to weights): with the
 * factor F set, a consistent-hash lookup skips along the ring past every server that is
 * not eligible (ChashRing.lookupBounded). Server s is eligible while s->served < its slots:
 *
 *   tot_slots = ⌊((p->served + 1) × F + 99) / 100⌋, p->served the backend's requests in flight;
 *   slots = cur_eweight × ⌊tot_slots / tot_weight⌋
 *         + ⌊(cumulative_weight + cur_eweight) × r / tot_weight⌋ − ⌊cumulative_weight × r / tot_weight⌋,
 *   r = tot_slots mod tot_weight; at least 1.
 *
 * The remainder goes to servers in order of `cumulative_weight`: the eweight of the usable
 * servers of the same group (active or backup) declared before s, as recount_servers()
 * sets it in chash_init_server_tree. lb_chash.c never recounts afterwards (its up/down and
 * weight hooks adjust tot_wact and tot_wbck directly), so these stay as at start-up, here
 * computed from the configuration (every server with a weight usable at start). tot_weight
 * is the eweight in the tree now (tot_wact; the first backup's, or every backup's with
 * allbackups, when no primary is usable), cur_eweight a server's points in it. `served` is
 * the backend's in-flight count, as the other HAProxy algorithms read it.
 */
import { LbsimError } from '../../errors.ts';
import { totalInFlight } from '../eligible.ts';
import { BE_WEIGHT_SCALE } from './constants.ts';
import type { BackendView } from '../types.ts';
import type { ChashRing } from './chash-ring.ts';

/** The option, as HAProxy's keyword: 0 (@default) is off. */
export const HASH_BALANCE_FACTOR = 'hash_balance_factor';

/**
 * The bound `algorithm`'s options ask for over `ring` (its user weights and view), or null
 * when `hash_balance_factor` is 0 or absent. HAProxy refuses 1..100 ("must be 0 or greater
 * than 100", cfgparse-listen.c).
 */
export function chashBoundOf(algorithm: string, options: Readonly<Record<string, unknown>>, uweight: Int32Array, view: BackendView, ring: ChashRing | undefined): ChashBound | null {
  const f = options[HASH_BALANCE_FACTOR];
  if (f === undefined || f === 0) return null;
  if (typeof f !== 'number' || !Number.isInteger(f) || f <= 100 || f > 4_294_967_295) {
    throw new LbsimError('SCENARIO_INVALID', `balancer.${HASH_BALANCE_FACTOR}: ${algorithm} expects 0 (off) or a whole number above 100, as HAProxy's hash-balance-factor, got ${JSON.stringify(f)}`);
  }
  if (ring === undefined) throw new LbsimError('SCENARIO_INVALID', `balancer.${HASH_BALANCE_FACTOR}: ${algorithm} bounds loads only with hash_type: consistent (HAProxy's map-based hashing ignores hash-balance-factor)`);
  return new ChashBound(f, uweight, view, ring);
}

export class ChashBound {
  private readonly cumulative: Float64Array;
  private perWeight = 0;
  private remainder = 0;
  private totalWeight = 0;

  /** Each server's eweight in the ring now (ChashRing.points). */
  private readonly points: Int32Array;
  /** Retries holding a slot of each server (BackendView.held): HAProxy's served counts them. */
  private readonly held: Int32Array;

  /** `factor`: hash-balance-factor (> 100); `uweight`: the servers' user weights; `ring`: the ring looked up. */
  constructor(
    private readonly factor: number,
    uweight: Int32Array,
    private readonly view: BackendView,
    private readonly ring: ChashRing,
  ) {
    this.points = ring.points;
    this.held = view.held ?? new Int32Array(uweight.length);
    this.cumulative = new Float64Array(uweight.length);
    let active = 0;
    let backup = 0;
    for (let b = 0; b < uweight.length; b++) {
      if (uweight[b]! === 0) continue;
      if (view.backup?.[b] === 1) {
        this.cumulative[b] = backup;
        backup += uweight[b]! * BE_WEIGHT_SCALE;
      } else {
        this.cumulative[b] = active;
        active += uweight[b]! * BE_WEIGHT_SCALE;
      }
    }
  }

  /** Before a lookup: the slots of this request, from the backend's in-flight requests now. */
  begin(): void {
    // p->served: every server's requests in flight.
    // HAProxy's px->served: in flight, plus retries holding a slot (BackendView.held).
    const served = totalInFlight(this.view) + (this.view.heldTotal ?? 0);
    const total = this.ring.totalPoints;
    // unsigned arithmetic, as HAProxy's (exact in doubles at any realistic load).
    const slots = Math.floor(((served + 1) * this.factor + 99) / 100);
    this.totalWeight = total;
    this.perWeight = total === 0 ? 0 : Math.floor(slots / total);
    this.remainder = total === 0 ? 0 : slots % total;
  }

  /** chash_server_is_eligible(s), after begin(). */
  eligible(s: number): boolean {
    const w = this.points[s]!;
    const cum = this.cumulative[s]!;
    const r = this.remainder;
    const tot = this.totalWeight;
    let slots = w * this.perWeight + Math.floor(((cum + w) * r) / tot) - Math.floor((cum * r) / tot);
    if (slots === 0) slots = 1;
    return this.view.inFlight[s]! + this.held[s]! < slots;
  }
}
