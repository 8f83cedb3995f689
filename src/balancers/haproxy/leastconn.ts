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
 * (in service + waiting at the backend: lbsim's backend queue stands for the requests a
 * server accepted and has not answered), plus the retries holding a slot of it
 * (BackendView.held); it also counts tries abandoned after a per-try timeout, which the
 * backend still works on (HAProxy has no such timeout). Weights are whole numbers 0..256,
 * eweight = weight * 16. A saturated server is skipped (see `saturated`). Checked against haproxy 2.6.12 on loopback (sequential requests rotate a b c a b c).
 *
 * Backups and slow start are the engine's (src/engine/server-health.ts), for every
 * algorithm: backups are hidden from `up` while an active server is usable (as
 * fwlc_get_next_server falls back to the backup tree, the first backup or all with
 * `allbackups`), and a server coming back up with `slowstart` ramps its effectiveWeight;
 * on each warm-up tick the engine calls onWeightChange and the server is re-queued with
 * eweight = effectiveWeight × 16, as fwlc_update_server_weight() does (dequeue + queue).
 */
import { BE_WEIGHT_SCALE, HAPROXY_VERSION, SRV_EWGHT_MAX } from './constants.ts';
import { rejectUnknownOptions, wholeWeights } from '../options.ts';
import { StateReader, orderRanks } from '../saved-state.ts';
import type { BalancerModule } from '../types.ts';

export const haproxyLeastconn: BalancerModule = {
  name: 'haproxy/leastconn',
  description: 'HAProxy 2.6 balance leastconn: lb_fwlc.c tree, (inflight+1)/eweight, idle first, ties rotate',
  follows: `HAProxy ${HAPROXY_VERSION} src/lb_fwlc.c (fwlc_queue_srv, fwlc_get_next_server)`,
  followsLoad: () => true,
  create({ backends, options }) {
    const name = 'haproxy/leastconn';
    rejectUnknownOptions(name, options, []);
    const n = backends.count;
    const uweight = wholeWeights(name, backends, 0, 256);
    const eweight = new Int32Array(n);
    for (let b = 0; b < n; b++) eweight[b] = uweight[b]! * BE_WEIGHT_SCALE;
    const key = new Float64Array(n);
    const seq = new Float64Array(n);
    const inTree = new Uint8Array(n);
    let inserted = 0;
    // HAProxy's served: in flight, plus retries holding a slot (BackendView.held).
    const held = backends.held ?? new Int32Array(n);
    const served = backends.served ?? backends.inFlight;

    const keyOf = (b: number) => {
      // fwlc_queue_srv: served + nbpend (requests queued for it at the proxy, src/engine/proxy.ts).
      const inflight = backends.inFlight[b]! + held[b]! + backends.proxyQueued[b]!;
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
    /** The server's eweight as the engine's slow start has it (srv->next_eweight). */
    const currentEweight = (b: number) => (backends.effectiveWeight === undefined ? uweight[b]! * BE_WEIGHT_SCALE : Math.round(backends.effectiveWeight[b]! * BE_WEIGHT_SCALE));
    for (let b = 0; b < n; b++) if (backends.up[b] === 1 && eweight[b]! > 0) queue(b);

    /**
     * fwlc_get_next_server skips a saturated server: it has a maxconn and
     * served + nbpend >= maxconn + maxqueue (maxqueue 0, HAProxy's "unlimited", when unset).
     * So leastconn may still pick a full server with room in its proxy queue; with every
     * server saturated the pick is -1 and the request waits in the proxy's backend queue.
     * A maxconn means the proxy layer runs, which keeps HAProxy's `served` itself
     * (BackendView.served: sent and not answered, retries' held slots included, tries
     * abandoned after a timeout not).
     */
    const saturated = (b: number) => {
      const m = backends.maxconn[b]!;
      if (m === Number.POSITIVE_INFINITY) return false;
      const q = backends.maxqueue[b]!;
      return served[b]! + backends.proxyQueued[b]! >= m + (q === Number.POSITIVE_INFINITY ? 0 : q);
    };

    return {
      pick() {
        let best = -1;
        for (let b = 0; b < n; b++) {
          if (inTree[b] === 0 || saturated(b)) continue;
          if (best < 0 || key[b]! < key[best]! || (key[b] === key[best] && seq[b]! < seq[best]!)) best = b;
        }
        return best;
      },
      /**
       * Key, tree membership and insertion order (as ranks, saved-state.ts) of every
       * server, and its eweight (slow start changes it).
       */
      saveState() {
        const rank = orderRanks(seq, (b) => inTree[b] === 1);
        const out: number[] = [];
        for (let b = 0; b < n; b++) out.push(inTree[b]!, inTree[b] === 1 ? key[b]! : 0, rank[b]!, eweight[b]!);
        return out;
      },
      loadState(state) {
        const r = new StateReader(state);
        for (let b = 0; b < n; b++) {
          inTree[b] = r.next();
          key[b] = r.next();
          seq[b] = r.next();
          eweight[b] = r.next();
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
      /**
       * The refused attempt took a connection when assigned (fwlc_srv_reposition, a new key)
       * and dropped it (the key back: re-inserted behind the servers holding it), or keeps
       * it for its retry; or a held one was dropped. Either way the server is re-inserted
       * with its key now.
       */
      onRefused: (b) => {
        if (inTree[b] === 1) queue(b);
      },
      onBackendDown(b) {
        inTree[b] = 0;
      },
      onBackendUp(b) {
        eweight[b] = currentEweight(b);
        if (eweight[b]! > 0 && inTree[b] === 0) queue(b);
      },
      onWeightChange(b) {
        // fwlc_update_server_weight(): dequeue, then queue with the new eweight.
        const next = currentEweight(b);
        if (next === eweight[b]) return;
        eweight[b] = next;
        if (inTree[b] === 1) queue(b);
      },
    };
  },
};
