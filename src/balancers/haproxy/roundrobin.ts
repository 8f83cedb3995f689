/**
 * HAProxy `balance roundrobin`: the "fast weighted round robin" of src/lb_fwrr.c,
 * HAProxy 2.6 (fwrr_get_next_server, fwrr_update_position, fwrr_queue_srv,
 * fwrr_get_server_from_group, fwrr_switch_trees, fwrr_set_server_status_up/down).
 *
 * It is not nginx's smooth WRR. Each server holds a position `npos` on a virtual time
 * line; every pick advances the group's `curr_pos` by one and moves the chosen server
 * ahead by next_weight / eweight (remainders carried in `rweight`). Servers wait in three
 * eb32 trees: `curr` (ordered by 256 * npos + a weight term that puts heavier servers
 * first at equal positions), `init` (servers not yet placed in this window, heaviest
 * first) and `next` (servers pushed past the window). When `curr` runs dry the `init` and
 * `next` trees swap. Equal keys in an eb32 tree keep insertion order, which this model
 * reproduces with a sequence number per insertion. So weights 5,1,1 give
 * a a a b a a c (not nginx's a a b a c a a); the golden tests check it against sequences
 * read from haproxy 2.6.12 on loopback (see test/balancers/haproxy.test.ts).
 *
 * Shares drift, as in HAProxy itself: a window runs curr_pos from W_e to 2·W_e (W_e = sum
 * of eweights); a server leaves it once npos >= 2·W_e, and one taken late from `init`
 * (only at a "hole") starts behind, so it may lose its last slot of the window. Weights
 * 3,3,2 give 127-pick windows of 48 a, 48 b, 31 c (c gets 24.4%, not 25%); haproxy
 * 2.6.12 gave the same 3000 picks, in order.
 *
 * Preconditions and mapping: weights are whole numbers 0..256 as in haproxy.cfg; a
 * backend that is down or has weight 0 is outside every tree (srv_is_usable()). A server
 * that is full at the proxy (BackendView.full: its maxconn reached or requests queued for
 * it, src/engine/proxy.ts) is taken out, has its position updated as if it had been
 * picked, and is put back after the pick — into `init` by weight if the trees switched
 * meanwhile — exactly as fwrr_get_next_server's `full` chain does; when every server is
 * full the pick is -1 and the request waits in the proxy's backend queue. `srvtoavoid`
 * (redispatch avoiding the previous server) is not modelled.
 * Backup servers and slow start are the engine's (src/engine/server-health.ts): backups
 * are hidden from `up` while an active server is usable, so the servers this balancer
 * sees form the active group; a server ramping up under `slowstart` comes up with its
 * current eweight = effectiveWeight × 16, and each warm-up tick (onWeightChange) moves it
 * as fwrr_update_server_weight() does.
 * Trees are arrays scanned in O(n) per pick; nothing is allocated per pick.
 */
import { HAPROXY_VERSION, BE_WEIGHT_SCALE, SRV_EWGHT_MAX, SRV_UWGHT_RANGE } from './constants.ts';
import { rejectUnknownOptions, wholeWeights } from '../options.ts';
import { StateReader, orderRanks } from '../saved-state.ts';
import type { BalancerModule } from '../types.ts';

const NONE = -1;
const T0 = 0;
const T1 = 1;
const CURR = 2;
/** assumePicks() gives up on finding the schedule's cycle after this many picks. */
const MAX_GUESS_PICKS = 1_000_000;

export const haproxyRoundrobin: BalancerModule = {
  name: 'haproxy/roundrobin',
  description: "HAProxy 2.6 balance roundrobin: lb_fwrr.c virtual-time weighted round robin (5,1,1 -> a a a b a a c)",
  follows: `HAProxy ${HAPROXY_VERSION} src/lb_fwrr.c (fwrr_get_next_server)`,
  create({ backends, options }) {
    rejectUnknownOptions('haproxy/roundrobin', options, []);
    const n = backends.count;
    const uweight = wholeWeights('haproxy/roundrobin', backends, 0, 256);
    const eweight = new Int32Array(n);
    for (let b = 0; b < n; b++) eweight[b] = uweight[b]! * BE_WEIGHT_SCALE;
    const npos = new Float64Array(n);
    const lpos = new Float64Array(n);
    const rweight = new Float64Array(n);
    const tree = new Int8Array(n).fill(NONE);
    const key = new Float64Array(n);
    const seq = new Float64Array(n);
    let inserted = 0;
    // The active group (struct fwrr_group).
    let currPos = 0;
    let currWeight = 0;
    let nextWeight = 0;
    let init = T0;
    let next = T1;
    let usableCount = 0;
    /** 1 while the server's eweight counts in the group (srv_is_usable() was true at the last state change). */
    const inGroup = new Uint8Array(n);

    const usable = (b: number) => backends.up[b] === 1 && eweight[b]! > 0;
    /** The server's eweight as the engine's slow start has it (srv->next_eweight). */
    const currentEweight = (b: number) => (backends.effectiveWeight === undefined ? uweight[b]! * BE_WEIGHT_SCALE : Math.round(backends.effectiveWeight[b]! * BE_WEIGHT_SCALE));

    const insert = (b: number, t: number, k: number) => {
      tree[b] = t;
      key[b] = k;
      seq[b] = inserted++;
    };
    /** eb32_first(): smallest key, earliest insertion among equal keys. */
    const first = (t: number): number => {
      let best = -1;
      for (let b = 0; b < n; b++) {
        if (tree[b] !== t) continue;
        if (best < 0 || key[b]! < key[best]! || (key[b] === key[best] && seq[b]! < seq[best]!)) best = b;
      }
      return best;
    };
    /** fwrr_queue_by_weight(): heavier servers first. */
    const queueByWeight = (t: number, b: number) => insert(b, t, SRV_EWGHT_MAX - eweight[b]!);
    /** fwrr_queue_srv(). */
    const queueSrv = (b: number) => {
      if (!usable(b)) {
        tree[b] = NONE;
      } else if (npos[b]! >= 2 * currWeight || npos[b]! >= currWeight + nextWeight) {
        npos[b] = npos[b]! - currWeight;
        queueByWeight(next, b);
      } else {
        insert(b, CURR, SRV_UWGHT_RANGE * npos[b]! + Math.floor((SRV_EWGHT_MAX + rweight[b]! - eweight[b]!) / BE_WEIGHT_SCALE));
      }
    };
    /** fwrr_get_srv(): prepares a server taken out of its tree. */
    const getSrv = (b: number) => {
      const t = tree[b]!;
      if (t === init) {
        npos[b] = 0;
        rweight[b] = 0;
      } else if (t === next) {
        npos[b] = npos[b]! + currWeight;
      } else if (t === NONE) {
        npos[b] = currPos;
      }
    };
    /** fwrr_get_server_from_group(). */
    const fromGroup = (): number => {
      const s1 = first(CURR);
      if (s1 >= 0 && npos[s1]! <= currPos) return s1;
      const s2 = first(init);
      if (s2 >= 0) {
        npos[s2] = 0;
        rweight[s2] = 0;
        return s2;
      }
      return s1;
    };
    /** fwrr_update_position(). */
    const updatePosition = (b: number) => {
      const w = eweight[b]!;
      if (npos[b] === 0) npos[b] = currPos;
      lpos[b] = npos[b]!;
      npos[b] = npos[b]! + Math.floor(nextWeight / w);
      rweight[b] = rweight[b]! + (nextWeight % w);
      if (rweight[b]! >= w) {
        rweight[b] = rweight[b]! - w;
        npos[b] = npos[b]! + 1;
      }
    };

    // fwrr_init_server_groups(): usable servers go to the init tree, heaviest first.
    for (let b = 0; b < n; b++) {
      if (!usable(b)) continue;
      nextWeight += eweight[b]!;
      usableCount++;
      inGroup[b] = 1;
      queueByWeight(init, b);
    }
    currPos = currWeight = nextWeight;

    /** True when the last pick switched the init and next trees (a new window began). */
    let switchedLast = false;
    /** fwrr_get_next_server() without saturation or srvtoavoid (see above). */
    /** Saturated servers extracted during one pick, in extraction order (HAProxy's `full` chain). */
    const saturated = new Int32Array(n);
    const pick = (): number => {
      switchedLast = false;
      if (usableCount === 0) return -1;
      let chosen = -1;
      let nFull = 0;
      for (;;) {
        if (currWeight === 0) currPos = currWeight = nextWeight;
        let srv: number;
        for (;;) {
          srv = fromGroup();
          if (srv >= 0 || switchedLast) break;
          switchedLast = true;
          // fwrr_switch_trees()
          const swap = init;
          init = next;
          next = swap;
          currWeight = nextWeight;
          currPos = currWeight;
        }
        if (srv < 0) break; // every usable server is saturated: requeue them, no server
        updatePosition(srv);
        tree[srv] = NONE; // fwrr_dequeue_srv()
        currPos++;
        if (backends.full[srv] === 0) {
          chosen = srv;
          break;
        }
        saturated[nFull++] = srv; // srv->next_full = full; full = srv
      }
      if (chosen >= 0) queueSrv(chosen);
      // requeue_servers: the chain is walked from the last one extracted.
      for (let k = nFull - 1; k >= 0; k--) {
        if (switchedLast) queueByWeight(init, saturated[k]!);
        else queueSrv(saturated[k]!);
      }
      return chosen;
    };
    /**
     * The group and every server's place, canonical: insertion order as ranks among the
     * servers in a tree (saved-state.ts); `npos` in `curr`, the one tree whose positions
     * picks read (a server leaves init or next with npos reset, and comes back up with
     * npos = curr_pos), and in `next` while the server ramps (fwrr_update_server_weight()
     * reads it there, through fwrr_get_srv_next); `eweight`, which only slow start
     * changes, and `lpos` only while a server ramps (fwrr_update_server_weight() reads
     * it; nothing else does).
     */
    const saveState = (): number[] => {
      const rank = orderRanks(seq, (b) => tree[b] !== NONE);
      const out = [currPos, currWeight, nextWeight, init];
      for (let b = 0; b < n; b++) {
        const ramping = eweight[b] !== uweight[b]! * BE_WEIGHT_SCALE;
        out.push(tree[b]!, key[b]!, rank[b]!, tree[b] === CURR || (ramping && tree[b] === next) ? npos[b]! : 0, rweight[b]!, inGroup[b]!, eweight[b]!, ramping ? lpos[b]! : 0);
      }
      return out;
    };
    /** fwrr_set_server_status_down(). */
    const statusDown = (b: number) => {
      if (inGroup[b] === 0) return;
      inGroup[b] = 0;
      nextWeight -= eweight[b]!;
      usableCount--;
      tree[b] = NONE; // fwrr_dequeue_srv() + fwrr_remove_from_tree()
    };
    /** fwrr_set_server_status_up(). */
    const statusUp = (b: number) => {
      if (inGroup[b] === 1 || eweight[b] === 0) return;
      inGroup[b] = 1;
      nextWeight += eweight[b]!;
      usableCount++;
      getSrv(b); // from no tree: npos = curr_pos
      npos[b] = currPos + Math.floor((nextWeight + currWeight - currPos) / eweight[b]!);
      queueSrv(b);
    };

    return {
      pick,
      saveState,
      loadState(state) {
        const r = new StateReader(state);
        currPos = r.next();
        currWeight = r.next();
        nextWeight = r.next();
        init = r.next();
        next = init === T0 ? T1 : T0;
        usableCount = 0;
        for (let b = 0; b < n; b++) {
          tree[b] = r.next();
          key[b] = r.next();
          seq[b] = r.next();
          npos[b] = r.next();
          rweight[b] = r.next();
          inGroup[b] = r.next();
          eweight[b] = r.next();
          lpos[b] = r.next();
          usableCount += inGroup[b]!;
        }
        inserted = n;
      },
      /**
       * Makes `requests` picks from here. The schedule repeats: at the start of a window
       * the state is one of few, so once a window starts in a state seen before, the
       * picks skip whole cycles and only the remainder is made (a few windows of 16·W
       * picks at most, W the weights' sum). Past MAX_GUESS_PICKS without a cycle it stops:
       * a wrong guess only costs a replay some speed.
       */
      assumePicks(requests) {
        const seen = new Map<string, number>();
        for (let done = 0; done < requests; ) {
          if (pick() < 0 || done >= MAX_GUESS_PICKS) return;
          done++;
          if (!switchedLast) continue;
          const at = saveState().join();
          const before = seen.get(at);
          if (before === undefined) {
            seen.set(at, done);
            continue;
          }
          for (let left = (requests - done) % (done - before); left > 0; left--) pick();
          return;
        }
      },
      onBackendDown: statusDown,
      onBackendUp(b) {
        if (inGroup[b] === 0) eweight[b] = currentEweight(b);
        statusUp(b);
      },
      onWeightChange(b) {
        // fwrr_update_server_weight()
        const ew = currentEweight(b);
        if (ew === eweight[b]) return;
        const wasUsable = inGroup[b] === 1;
        const willBeUsable = backends.up[b] === 1 && ew > 0;
        if (!wasUsable) {
          eweight[b] = ew;
          if (willBeUsable) statusUp(b);
          return;
        }
        if (!willBeUsable) {
          statusDown(b);
          eweight[b] = ew;
          return;
        }
        nextWeight = nextWeight - eweight[b]! + ew;
        eweight[b] = ew;
        if (tree[b] === init) {
          queueByWeight(init, b); // dequeue + requeue by weight
          return;
        }
        // fwrr_get_srv(): a server waiting in `next` gets curr_weight back (fwrr_get_srv_next)
        // before its old position is compared with the new one; in `curr` it keeps npos.
        if (tree[b] === next) npos[b] = npos[b]! + currWeight;
        const prevNext = npos[b]!;
        const step = Math.floor(nextWeight / ew);
        npos[b] = lpos[b]! + step;
        rweight[b] = 0;
        if (npos[b]! > prevNext) npos[b] = prevNext;
        if (npos[b]! < currPos + 2) npos[b] = currPos + step;
        if (tree[b] !== NONE) {
          tree[b] = NONE; // fwrr_dequeue_srv()
          queueSrv(b);
        }
      },
    };
  },
};
