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
 */
import { BE_WEIGHT_SCALE, HAPROXY_VERSION, SRV_EWGHT_MAX } from './constants.ts';
import { rejectUnknownOptions, wholeWeights } from '../options.ts';
import type { BalancerModule } from '../types.ts';

export const haproxyLeastconn: BalancerModule = {
  name: 'haproxy/leastconn',
  description: 'HAProxy 2.6 balance leastconn: lb_fwlc.c tree, (inflight+1)/eweight, idle first, ties rotate',
  follows: `HAProxy ${HAPROXY_VERSION} src/lb_fwlc.c (fwlc_queue_srv, fwlc_get_next_server)`,
  create({ backends, options }) {
    rejectUnknownOptions('haproxy/leastconn', options, []);
    const n = backends.count;
    const uweight = wholeWeights('haproxy/leastconn', backends, 0, 256);
    const eweight = new Int32Array(n);
    for (let b = 0; b < n; b++) eweight[b] = uweight[b]! * BE_WEIGHT_SCALE;
    const key = new Float64Array(n);
    const seq = new Float64Array(n);
    const inTree = new Uint8Array(n);
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
    for (let b = 0; b < n; b++) if (backends.up[b] === 1 && eweight[b]! > 0) queue(b);

    return {
      pick() {
        let best = -1;
        for (let b = 0; b < n; b++) {
          if (inTree[b] === 0) continue;
          if (best < 0 || key[b]! < key[best]! || (key[b] === key[best] && seq[b]! < seq[best]!)) best = b;
        }
        return best;
      },
      onDispatch: reposition,
      onComplete: reposition,
      onBackendDown(b) {
        inTree[b] = 0;
      },
      onBackendUp(b) {
        if (eweight[b]! > 0 && inTree[b] === 0) queue(b);
      },
    };
  },
};
