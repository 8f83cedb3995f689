/**
 * Session persistence, `balancer.persistence`: each client keeps going to the server it
 * was sent to, in front of any algorithm. It follows HAProxy 2.6's cookie persistence
 * (`cookie SERVERID insert|rewrite|prefix`, a `cookie` value on each server; src/http_ana.c
 * manage_client_side_cookies, src/backend.c) and `stick on src` with a stick-table (an
 * entry per source address, `expire` as max_idle), and stands for nginx Plus `sticky
 * cookie`: the client key stands for the browser that holds the cookie, or its address.
 *
 * - A client whose cookie names a server the balancer sees up is sent there, and the
 *   algorithm is not asked (HAProxy sets SF_DIRECT|SF_ASSIGNED and never calls
 *   assign_server(), so a round robin does not move). A server of weight 0 still takes
 *   its clients, as in HAProxy: that is how a server is drained without breaking sessions.
 *   A full server (maxconn) queues them, as HAProxy queues a request assigned to it.
 * - A cookie naming a server that is down is ignored (TX_CK_DOWN): the algorithm picks,
 *   and the client's cookie names the new server from then on.
 * - `max_idle` (HAProxy `maxidle`): a cookie not used for longer is ignored; `max_life`
 *   (`maxlife`; nginx `expires=`): one set longer ago is. Unset, a cookie lasts the run
 *   (a session cookie, the browser kept open). The idle clock restarts at every request
 *   here; HAProxy dates the cookie in its responses and may refresh that date less often,
 *   so there an idle cookie can end a little sooner.
 * - A backup server's clients stay on it once the primaries are back, while it runs (the
 *   cookie names a server that is up: HAProxy does not ask whether the balancer would
 *   choose it), though the algorithm no longer sends it new clients. Read from haproxy
 *   2.6.12: two primaries to maint and back, their clients stayed on the backup.
 * - `without_cookie` (HAProxy servers with no `cookie` value): a balanced request such a
 *   server answers unpins its client (HAProxy sends a cookie removal), so the client's
 *   next request is balanced afresh — a client whose server was down, sent there, does not
 *   go back to it. Read from haproxy 2.6.12 (test/balancers/persistence.test.ts).
 * - Redispatch (proxy.ts, proxy-retries.ts): a retry HAProxy redispatches clears SF_DIRECT,
 *   so the algorithm picks past the pin, and the client is pinned to where it goes; so is
 *   a pinned request whose server is full with its queue at `maxqueue`, under `option
 *   redispatch` (srv_redispatch_connect, SRV_STATUS_FULL) — without it, a 503.
 * - A balanced request that no server could take waits in the proxy's backend queue; the
 *   server that takes it pins its client (`assigned`), as its answer sets the cookie.
 * - `persist` (HAProxy `option persist`; http_ana.c manage_client_side_cookies,
 *   process_sticking_rules: `srv->cur_state != SRV_ST_STOPPED || PR_O_PERSIST`): a client
 *   whose server is down is sent there anyway (the attempt is refused, and retried per the
 *   proxy's `retries`; `option redispatch` then moves it on, clearing SF_DIRECT), and the
 *   down server's queue is not handed back to the balancer (pendconn_redistribute does
 *   nothing under PR_O_PERSIST: Balancer.persist).
 * - `tableSize` (HAProxy `stick-table ... size N`): at most N clients held; a new one in a
 *   full table trashes the oldest first, or is not stored (stick-table-limit.ts).
 *
 * The table holds one entry per client seen (a Uint32Table: nothing is allocated per
 * request), so its memory follows the distinct clients, not the trace's
 * length. A run with persistence is not split in time (time-split.ts): a window's start
 * would need every earlier client's server.
 *
 * Checked against haproxy 2.6.12 on loopback (a cookie jar per client, a server sent to
 * maint and back, one drained to weight 0): test/balancers/persistence.test.ts.
 */
import { Uint32Table } from '../collections/uint32-table.ts';
import { StickTableLimit } from './stick-table-limit.ts';
import type { Balancer, BalancerContext, BalancerModule } from './types.ts';

export interface Persistence {
  /** A cookie unused for longer than this is ignored, ms. @default Infinity */
  maxIdleMs: number;
  /** A cookie set longer ago than this is ignored, ms. @default Infinity */
  maxLifeMs: number;
  /**
   * Servers that set no cookie (HAProxy servers without a `cookie` value): a client
   * balanced there loses its pin. @default [] (every server sets one)
   */
  withoutCookie: readonly string[];
  /** HAProxy `option persist`: a client is sent to its server even while that is down. @default false */
  persist: boolean;
  /** HAProxy `stick-table ... size N`: most clients held (stick-table-limit.ts). @default Infinity (cookies: no table) */
  tableSize: number;
}

/** Persistence with these limits, each absent one none (a pin lasts the run), every server setting a cookie unless listed. */
export function persistenceOf(limits: { maxIdleMs?: number | undefined; maxLifeMs?: number | undefined; withoutCookie?: readonly string[] | undefined; persist?: boolean | undefined; tableSize?: number | undefined }): Persistence {
  return {
    maxIdleMs: limits.maxIdleMs ?? Number.POSITIVE_INFINITY,
    maxLifeMs: limits.maxLifeMs ?? Number.POSITIVE_INFINITY,
    withoutCookie: limits.withoutCookie ?? [],
    persist: limits.persist ?? false,
    tableSize: limits.tableSize ?? Number.POSITIVE_INFINITY,
  };
}

/** `module` behind session persistence (see above); the algorithm keeps its own hooks. */
export function withPersistence(module: BalancerModule, p: Persistence): BalancerModule {
  return {
    ...module,
    description: `${module.description} (with session persistence)`,
    create(ctx: BalancerContext): Balancer {
      const inner = module.create(ctx);
      // 1 for a server that sets no cookie: a client balanced there loses its pin.
      const noCookie = Uint8Array.from(ctx.backends.names, (name) => (p.withoutCookie.includes(name) ? 1 : 0));
      // A backup hidden while the primaries serve still runs: HAProxy keeps its clients (see above).
      const up = ctx.backends.believed ?? ctx.backends.up;
      // Client → [server, when its pin was set, when last used].
      const table = new Uint32Table(3);
      const { maxIdleMs, maxLifeMs, persist } = p;
      // A stick table's size: the oldest clients trashed to make room (stick-table-limit.ts).
      const limit = Number.isFinite(p.tableSize) ? new StickTableLimit(p.tableSize, table, 2, maxIdleMs) : null;
      // The last pick was a client's pin (HAProxy SF_DIRECT), not the algorithm's.
      let direct = false;
      /** A balanced request of `client` goes to server s: the client is pinned there, or unpinned by a server without a cookie. */
      const pinTo = (client: number, s: number, now: number): void => {
        if (noCookie[s] === 1) {
          // A server without a cookie answers a balanced request with a cookie removal
          // (http_ana.c: "servers which don't have cookies ... will return a full cookie
          // removal request"): the client is unpinned. NaN fails every age test.
          const i = table.find(client);
          if (i >= 0) table.values[3 * i + 2] = Number.NaN;
          return;
        }
        // A new entry in a stick table with a size: room is made first, or the client is not stored.
        const created = limit !== null && table.find(client) < 0;
        if (created && !limit.makeRoom(now)) return;
        const j = 3 * table.slotFor(client);
        const v = table.values;
        v[j] = s;
        v[j + 1] = now;
        v[j + 2] = now;
        if (created) limit.stored(client, now);
      };
      /** The algorithm's pick, the client pinned to it. */
      const balance = (request: number, client: number, route: number, now: number): number => {
        direct = false;
        // Asked with every server down only under `persist` (the engine asks so that pins still go): no server.
        if (ctx.backends.upCount === 0) return -1;
        const chosen = inner.pick(request, client, route);
        if (chosen >= 0) pinTo(client, chosen, now);
        return chosen;
      };
      const b: Balancer = {
        pick(request, client, route) {
          const now = ctx.now();
          const i = table.find(client);
          if (i >= 0) {
            const v = table.values;
            const s = v[3 * i]!;
            if ((up[s] === 1 || persist) && now - v[3 * i + 2]! <= maxIdleMs && now - v[3 * i + 1]! <= maxLifeMs) {
              v[3 * i + 2] = now;
              direct = true;
              return s;
            }
          }
          return balance(request, client, route, now);
        },
        // Redispatched (HAProxy clears SF_DIRECT): the algorithm picks, and the answer sets the client's cookie to that server.
        repick: (request, client, route) => balance(request, client, route, ctx.now()),
        pickedDirect: () => direct,
        persist,
        assigned: (backend, client) => pinTo(client, backend, ctx.now()),
      };
      // The algorithm sees every request taken and dropped, persistent ones too (HAProxy's
      // leastconn repositions a server on each connection, whoever chose it).
      for (const hook of ['onDispatch', 'onComplete', 'onBackendDown', 'onBackendUp', 'onWeightChange', 'onRefused'] as const) {
        const fn = inner[hook];
        if (fn !== undefined) b[hook] = fn.bind(inner) as never;
      }
      return b;
    },
  };
}
