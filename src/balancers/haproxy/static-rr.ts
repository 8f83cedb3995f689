/**
 * HAProxy `balance static-rr`: round robin over the static server map of src/lb_map.c,
 * HAProxy 2.6 (map_get_server_rr: walk the map from rr_idx, one slot per pick). Weights
 * 3,2,1 give a a b a b c; checked against haproxy 2.6.12 on loopback.
 *
 * Mapping: the map is rebuilt when a backend goes down or up, as HAProxy does
 * (map_set_server_status_down/up -> recalc_server_map); the cursor keeps its index, and
 * one past the end of a smaller map restarts at slot 0, as map_get_server_rr does
 * (`if (rr_idx < 0 || rr_idx >= tot_weight) rr_idx = 0`; not reduced modulo the size).
 * A server full at the proxy (maxconn) is skipped, as map_get_server_rr skips it.
 * Several backups without `allbackups` share the traffic in a map sized by the first
 * one's weight (ServerMap.rebuild, spreadsBackups), where HAProxy's other algorithms use
 * the first backup alone.
 */
import { HAPROXY_VERSION } from './constants.ts';
import { ServerMap } from './server-map.ts';
import { rejectUnknownOptions, wholeWeights } from '../options.ts';
import type { BalancerModule } from '../types.ts';

export const haproxyStaticRr: BalancerModule = {
  name: 'haproxy/static-rr',
  description: 'HAProxy 2.6 balance static-rr: round robin over the lb_map.c weighted server map',
  follows: `HAProxy ${HAPROXY_VERSION} src/lb_map.c (recalc_server_map, map_get_server_rr)`,
  spreadsBackups: () => true,
  create({ backends, options, firstBackupRule }) {
    rejectUnknownOptions('haproxy/static-rr', options, []);
    const map = new ServerMap(wholeWeights('haproxy/static-rr', backends, 0, 256));
    const usable = (b: number) => backends.up[b] === 1 && backends.weight[b]! > 0;
    map.rebuild(usable, firstBackupRule);
    let idx = 0;
    const rebuild = () => {
      map.rebuild(usable, firstBackupRule);
      // map_get_server_rr resets rr_idx >= tot_weight to 0 at its next pick; tot_weight
      // changes only here, so resetting now is the same.
      if (idx >= map.total) idx = 0;
    };
    return {
      pick() {
        if (map.total === 0) return -1;
        // map_get_server_rr: the first slot from idx on whose server is not full at the
        // proxy (`!srv->maxconn || (!srv->nbpend && srv->served < maxconn)`); none: -1 and
        // idx stays, the request waits in the backend queue.
        let i = idx;
        do {
          const b = map.slots[i]!;
          i = i + 1 === map.total ? 0 : i + 1;
          if (backends.full[b] === 0) {
            idx = i;
            return b;
          }
        } while (i !== idx);
        return -1;
      },
      onBackendDown: rebuild,
      onBackendUp: rebuild,
      /** The map's cycle: idx = requests mod its size (every server usable). */
      assumePicks(requests) {
        if (map.total > 0) idx = requests % map.total;
      },
      saveState: () => [idx],
      loadState: (s) => {
        idx = s[0]!;
      },
    };
  },
};
