/**
 * HAProxy `balance leastconn`, src/lb_fwlc.c as of HAProxy 2.6 (fwlc_queue_srv,
 * fwlc_srv_reposition, fwlc_get_next_server). Pinned to 2.6: ties rotate. (3.2 replaced
 * the single tree position by per-key lists with a random pick among them.)
 *
 * Servers sit in an eb32 tree keyed by
 *     key = inflight ? (inflight + 1) * SRV_EWGHT_MAX / eweight : 0,
 *     inflight = served + queued on the server,
 * so an idle server always comes first, whatever its weight, and busy ones compare by
 * load over effective weight (integer division, as in C). A server is taken out and
 * re-inserted whenever its key changes (on taking and on dropping a connection), behind
 * the servers already holding that key, which is what makes equally loaded servers
 * rotate. The pick is the first server in the tree.
 *
 * Mapping: HAProxy's `served` plus its queue is the backend's in-flight count here
 * (in service + waiting at the backend): lbsim's backend queue stands for the requests a
 * server accepted and has not answered. Weights are whole numbers 0..256, eweight =
 * weight * 16. No maxconn saturation skip (no balancer-side queue in the engine yet).
 * Checked against haproxy 2.6.12 on loopback (sequential requests rotate a b c a b c).
 *
 * Backup servers (`backup: [names]`, `allbackups`): as fwlc_get_next_server, the active
 * tree is used while any active server is usable; then only the first usable backup in
 * declaration order (lbprm.fbck), or with `allbackups: true` the backup tree.
 *
 * Slow start (`slowstart: 60s`): when a server comes back up (end of an outage), its
 * eweight ramps as server_recalc_eweight() computes it, with slowstart in whole seconds:
 * eweight = weight * floor((16 * elapsed_s + slowstart_s) / slowstart_s) until
 * elapsed >= slowstart, then weight * 16. HAProxy recomputes it from a task that runs
 * every max(1 s, slowstart / 20); lbsim recomputes at the first pick after each such
 * tick (elapsed rounded down to the tick), then re-queues the server as
 * fwlc_update_server_weight() does. Servers are running at t = 0 (no ramp at start).
 * Options: `backup` (@default []), `allbackups` (@default false), `slowstart` (@default 0).
 */
import { BE_WEIGHT_SCALE, HAPROXY_VERSION, SRV_EWGHT_MAX } from './constants.ts';
import { backendSetOption, booleanOption, durationOption, rejectUnknownOptions, wholeWeights } from '../options.ts';
import { StateReader, orderRanks } from '../saved-state.ts';
import type { BalancerModule } from '../types.ts';

export const haproxyLeastconn: BalancerModule = {
  name: 'haproxy/leastconn',
  description: 'HAProxy 2.6 balance leastconn: lb_fwlc.c tree, (inflight+1)/eweight, idle first, ties rotate',
  follows: `HAProxy ${HAPROXY_VERSION} src/lb_fwlc.c (fwlc_queue_srv, fwlc_get_next_server)`,
  create({ backends, options, now }) {
    const name = 'haproxy/leastconn';
    rejectUnknownOptions(name, options, ['backup', 'allbackups', 'slowstart']);
    const backup = backendSetOption(name, options, 'backup', backends);
    const allBackups = booleanOption(name, options, 'allbackups', false);
    // HAProxy keeps slowstart in seconds, rounded up.
    const slowstartS = Math.ceil(durationOption(name, options, 'slowstart', 0) / 1000);
    const tickMs = Math.max(1000, (slowstartS * 1000) / 20);
    const n = backends.count;
    const uweight = wholeWeights(name, backends, 0, 256);
    const eweight = new Int32Array(n);
    for (let b = 0; b < n; b++) eweight[b] = uweight[b]! * BE_WEIGHT_SCALE;
    const key = new Float64Array(n);
    const seq = new Float64Array(n);
    const inTree = new Uint8Array(n);
    /** When the server came up (ms), while it is still ramping; -1 otherwise. */
    const rampFrom = new Float64Array(n).fill(-1);
    let ramping = 0;
    let inserted = 0;

    const keyOf = (b: number) => {
      const inflight = backends.inFlight[b]!;
      return inflight ? Math.floor(((inflight + 1) * SRV_EWGHT_MAX) / eweight[b]!) : 0;
    };
    const queue = (b: number) => {
      key[b] = keyOf(b);
      seq[b] = inserted++;
      inTree[b] = 1;
    };
    /** fwlc_srv_reposition(): only when the key changed. */
    const reposition = (b: number) => {
      if (inTree[b] === 1 && keyOf(b) !== key[b]) queue(b);
    };
    /** server_recalc_eweight() for the servers still in slow start. */
    const recalcRamps = () => {
      const t = now();
      for (let b = 0; b < n; b++) {
        if (rampFrom[b]! < 0) continue;
        const elapsedS = Math.floor((Math.floor((t - rampFrom[b]!) / tickMs) * tickMs) / 1000);
        let w: number;
        if (elapsedS >= slowstartS) {
          w = BE_WEIGHT_SCALE;
          rampFrom[b] = -1;
          ramping--;
        } else w = Math.floor((BE_WEIGHT_SCALE * elapsedS + slowstartS) / slowstartS);
        const next = uweight[b]! * w;
        if (next !== eweight[b]) {
          eweight[b] = next;
          if (inTree[b] === 1) queue(b); // fwlc_update_server_weight(): dequeue + queue
        }
      }
    };
    for (let b = 0; b < n; b++) if (backends.up[b] === 1 && eweight[b]! > 0) queue(b);

    /** First in the tree of group `g` (0 active, 1 backup), or -1. */
    const first = (g: number) => {
      let best = -1;
      for (let b = 0; b < n; b++) {
        if (inTree[b] === 0 || backup[b] !== g) continue;
        if (best < 0 || key[b]! < key[best]! || (key[b] === key[best] && seq[b]! < seq[best]!)) best = b;
      }
      return best;
    };

    return {
      pick() {
        if (ramping > 0) recalcRamps();
        const act = first(0);
        if (act >= 0) return act;
        if (!allBackups) {
          // lbprm.fbck: the first usable backup in declaration order.
          for (let b = 0; b < n; b++) if (backup[b] === 1 && inTree[b] === 1) return b;
          return -1;
        }
        return first(1);
      },
      /**
       * Key, tree membership and insertion order (as ranks, saved-state.ts) of every
       * server, and its ramping eweight and ramp start.
       */
      saveState() {
        const rank = orderRanks(seq, (b) => inTree[b] === 1);
        const out: number[] = [];
        for (let b = 0; b < n; b++) out.push(inTree[b]!, inTree[b] === 1 ? key[b]! : 0, rank[b]!, eweight[b]!, rampFrom[b]!);
        return out;
      },
      loadState(state) {
        const r = new StateReader(state);
        ramping = 0;
        for (let b = 0; b < n; b++) {
          inTree[b] = r.next();
          key[b] = r.next();
          seq[b] = r.next();
          eweight[b] = r.next();
          rampFrom[b] = r.next();
          if (rampFrom[b]! >= 0) ramping++;
        }
        inserted = n;
      },
      /**
       * Idle servers rotate: each request one at a time takes the first and re-enters it
       * last, so after `requests` such picks the tree order has turned by requests mod
       * (servers in the tree). A guess for light load.
       */
      assumePicks(requests) {
        const rank = orderRanks(seq, (b) => inTree[b] === 1);
        let m = 0;
        for (let b = 0; b < n; b++) if (inTree[b] === 1) m++;
        if (m === 0) return;
        const turn = requests % m;
        for (let b = 0; b < n; b++) if (inTree[b] === 1) seq[b] = (rank[b]! - turn + m) % m;
        inserted = m;
      },
      onDispatch: reposition,
      onComplete: reposition,
      onBackendDown(b) {
        inTree[b] = 0;
        if (rampFrom[b]! >= 0) {
          rampFrom[b] = -1;
          ramping--;
          eweight[b] = uweight[b]! * BE_WEIGHT_SCALE;
        }
      },
      onBackendUp(b) {
        if (uweight[b]! > 0 && inTree[b] === 0) {
          if (slowstartS > 0) {
            rampFrom[b] = now();
            ramping++;
            eweight[b] = uweight[b]!; // w = (16 * 0 + ss) / ss = 1
          }
          queue(b);
        }
      },
    };
  },
};
