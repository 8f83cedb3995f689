/**
 * The balancer interface. A balancer picks a backend for each request. It sees the
 * backends' live state through `BackendView` (arrays it must not write) and may keep
 * state of its own. Hooks it does not need are left out, as HAProxy's lb_* tables do.
 *
 * Determinism: a balancer must be a pure function of what it is shown and told, plus
 * `ctx.random(...)`. It must not read clocks or Math.random, so a run repeats exactly.
 */

import type { RouteKey } from '../traffic/lbt/reader.ts';

export interface BackendView {
  readonly count: number;
  readonly names: readonly string[];
  /** Configured weight (>= 0). */
  readonly weight: Float64Array;
  /** FCFS slots of each backend. */
  readonly concurrency: Int32Array;
  /**
   * 1 when the balancer believes the backend usable. Without health knobs that is exactly
   * "not in an outage"; with active/passive checks or outlier detection it is what they
   * have found (an outage goes unnoticed until detected), and backup servers show as
   * down while a primary is usable (src/engine/server-health.ts).
   */
  readonly up: Uint8Array;
  /**
   * Weight with slow start applied (HAProxy `slowstart`, Envoy `slow_start_config`):
   * equal to `weight` except while a server ramps up. Absent in hand-made views: use
   * `weight` then. Proxies that ramp read it when told (onWeightChange) or, as Envoy's
   * EDF scheduler, whenever they re-add a host.
   */
  readonly effectiveWeight?: Float64Array;
  /** Requests at the backend: in service plus waiting in its queue. */
  readonly inFlight: Int32Array;
  /** The sum of inFlight over every backend. Absent in hand-made views: sum inFlight. */
  readonly inFlightTotal?: number;
  /** Requests waiting in the backend's queue. */
  readonly queued: Int32Array;
  /** Number of backends with up = 1. */
  readonly upCount: number;
  /**
   * The proxy in front of the backends (src/engine/proxy.ts). `maxconn`: most requests the
   * proxy sends to a backend at once (HAProxy `maxconn`, nginx `max_conns`) *now*: HAProxy
   * slow start ramps it from 1 (srv_dynamic_maxconn); Infinity when unlimited. `maxqueue`: most requests waiting in a backend's queue at the proxy
   * (HAProxy `maxqueue`); Infinity when unlimited.
   */
  readonly maxconn: Float64Array;
  readonly maxqueue: Float64Array;
  /** Requests waiting at the proxy for this backend (its server queue; HAProxy's `nbpend`). */
  readonly proxyQueued: Int32Array;
  /**
   * HAProxy retries holding a connection slot of this backend through their turn-around,
   * to go back to it (src/engine/proxy-options.ts holdServer). HAProxy's `served` counts
   * them beside the requests in flight, so its load-aware algorithms see them. Absent in
   * hand-made views: none. `heldTotal`: their sum.
   */
  readonly held?: Int32Array;
  readonly heldTotal?: number;
  /**
   * HAProxy's `served` as the proxy layer keeps it: requests sent to the backend and not
   * answered (not those abandoned after a try timeout), plus the slots retries hold. Kept
   * only by the proxy layer, which any maxconn turns on. Absent in hand-made views.
   */
  readonly served?: Int32Array;
  /**
   * 1 when the backend is *full* from the proxy's point of view: it has a maxconn and
   * either requests wait in its proxy queue or the proxy has maxconn requests open on it
   * (HAProxy 2.6: `srv->maxconn && (srv->nbpend || srv->served >= srv_dynamic_maxconn(srv))`).
   * Algorithms that skip full servers (HAProxy roundrobin, static-rr, leastconn, first;
   * nginx's, via max_conns; the generic ones) test it; hash algorithms do not. A request
   * picked for a full backend waits in that backend's proxy queue.
   */
  readonly full: Uint8Array;
  /**
   * Each backend's Envoy priority level (0 is the highest; a backend's `priority`).
   * Absent in hand-made views: every backend is at level 0. Only modules that declare
   * `priorityLevels` are given backends above 0.
   */
  readonly priority?: Int32Array;
  /** Each backend's locality name (Envoy "region/zone/sub_zone"; "" for none). Absent in hand-made views: all "". */
  readonly locality?: readonly string[];
  /** 1 for a backup server (a scenario's `backup: true`). Absent in hand-made views: none is. */
  readonly backup?: Uint8Array;
  /**
   * 1 when the backend is believed usable, before the backup rule hides backups while a
   * primary serves (`up` is that and the rule). Absent in hand-made views: `up`. Session
   * persistence reads it: HAProxy keeps a client's cookie to a running backup server.
   */
  readonly believed?: Uint8Array;
}

export interface BalancerContext {
  readonly backends: BackendView;
  /**
   * A uniform number in (0, 1) that depends only on (run seed, `request`, `draw`). `request`
   * is the request's sequence number (0, 1, 2, ... in arrival order); `draw` tells apart
   * several draws for one request (0, 1, ...). Never depends on how often it was called.
   */
  random(request: number, draw: number): number;
  /** Simulated time of the current event, ms (for slow start, EWMA decay and the like). */
  now(): number;
  /** Options from the scenario's `balancer` section, beyond `algorithm`. */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * For a module that spreads backups (BalancerModule.spreadsBackups) when the scenario has
   * backup servers and no `allbackups`: 1 for each backup server. Absent otherwise.
   */
  readonly firstBackupRule?: Uint8Array;
}

export interface Balancer {
  /**
   * Picks the backend for request `request` (its sequence number) from client key `client`
   * and route key `route`. Returns a backend index, or -1 when no backend can take it (the
   * request is then rejected). Must not return a backend whose `up` is 0 (except Envoy in
   * panic, which balances over every host, and session persistence, which keeps a client on
   * a backup that is `believed` usable while hidden, and under `persist` on its server
   * while it is down). A backend that is not actually
   * serving refuses the request at once.
   */
  pick(request: number, client: number, route: number): number;
  /** Request number `request` was accepted by `backend` (it started service or joined its queue). */
  onDispatch?(backend: number, request: number): void;
  /** Request number `request` finished at `backend` after `latencyMs` (wait + service). */
  onComplete?(backend: number, latencyMs: number, request: number): void;
  /** `backend` went down or came back up as the balancer sees it (`up` changed). */
  onBackendDown?(backend: number): void;
  onBackendUp?(backend: number): void;
  /** `backend`'s effectiveWeight changed (a slow-start step, HAProxy's warm-up tick). */
  onWeightChange?(backend: number): void;
  /**
   * An attempt sent to `backend` was refused at once (down, or its queue full), or a retry
   * gave back the slot of it it held (BackendView.held): HAProxy's server_take_conn and
   * server_drop_conn outside a dispatch or completion — the refused attempt took a
   * connection slot of the server when it was assigned, then dropped it or kept it for
   * its retry. `held` is up to date when this is called. Only with the proxy layer.
   */
  onRefused?(backend: number): void;
  /**
   * A guess, for a time-split replay, of the state after `requests` picks made with every
   * backend eligible (e.g. round-robin: cursor = requests mod backends). A wrong guess
   * costs only speed: the replay re-simulates until the true trajectory meets the
   * guessed one. Leave it out when no cheap guess exists.
   */
  assumePicks?(requests: number): void;
  /**
   * The balancer's state as numbers, for checkpoints of a time-split replay: two balancers
   * with equal state arrays behave identically from then on. A stateless balancer returns
   * []. Without these two methods a time-split replay cannot compare states, so a run of
   * that balancer is not split (it runs on one thread).
   */
  saveState?(): number[];
  loadState?(state: readonly number[]): void;
  /**
   * Session persistence's (persistence.ts); absent otherwise. `repick`: the algorithm's
   * own pick for this request, past the client's pin, and the client pinned to where it
   * goes — what HAProxy does once it clears SF_DIRECT to redispatch (a retry it
   * redispatches; a pinned request whose server's queue is at maxqueue). `pickedDirect`:
   * whether the last pick was a client's pin (HAProxy's SF_DIRECT), not the algorithm's.
   */
  repick?(request: number, client: number, route: number): number;
  pickedDirect?(): boolean;
  /**
   * HAProxy `option persist` (PR_O_PERSIST), declared by session persistence under it: a
   * pinned client is sent to its server even while that is down, so the engine asks `pick`
   * even with no backend up, and a server going down keeps its proxy queue
   * (pendconn_redistribute does nothing). Absent otherwise.
   */
  readonly persist?: boolean;
  /**
   * Session persistence's: a request of `client` that no server could take when it came
   * (it waited in the proxy's backend queue) was sent to `backend`; HAProxy's answer sets
   * the client's cookie there.
   */
  assigned?(backend: number, client: number): void;
}

/**
 * What a balancer module exports: one per file. `create` is called once per run.
 * A user's own balancer file exports one of these as its default export.
 */
export interface BalancerModule {
  /** The name scenarios use (`algorithm: <name>`). */
  readonly name: string;
  /** One line for `lbsim algorithms` and the README. */
  readonly description: string;
  /** Which real load balancer's semantics it follows, if any, and where they are documented. */
  readonly follows?: string;
  /**
   * HAProxy's map-based algorithms (lb_map.c) with these options: with no primary usable
   * and no `allbackups`, HAProxy sizes the map by the first usable backup's weight
   * (update_backend_weight: fbck) but fills it from every usable backup
   * (recalc_server_map), so several backups share the traffic. Such a module is shown every
   * usable backup then (not only the first) and is given `firstBackupRule` to size its map.
   */
  spreadsBackups?(options: Readonly<Record<string, unknown>>): boolean;
  /**
   * True when the module balances over Envoy priority levels (BackendView.priority):
   * a scenario may give backends a `priority` above 0 only with such a module.
   */
  readonly priorityLevels?: boolean;
  /**
   * The request key the module hashes as `pick`'s route key under these options: `path`,
   * the path without its query string (the default; nginx `$uri`, HAProxy `balance uri`),
   * or `uri`, the whole request target (nginx `hash $request_uri`, HAProxy `balance uri
   * whole`). A replayed trace gives it that key (src/traffic/lbt/reader.ts RouteKey).
   */
  routeKey?(options: Readonly<Record<string, unknown>>): RouteKey;
  /**
   * What `lbsim validate` may assume of the spread before any run (src/workflows/validate.ts);
   * a user's module may say the same. `ignoresWeights`: shares are even whatever the
   * weights (only weight 0, drained, counts). `followsLoad`: with these options picks
   * steer by live load, so shares follow capacity rather than configuration.
   * `hashesWhole`: with these options each client or path goes whole to one server, with
   * no bound on that server's load. @default weights followed, not by load, nothing whole
   */
  readonly ignoresWeights?: boolean;
  followsLoad?(options: Readonly<Record<string, unknown>>): boolean;
  hashesWhole?(options: Readonly<Record<string, unknown>>): WholeKey | undefined;
  create(ctx: BalancerContext): Balancer;
}

/** What a hashing balancer sends whole to one server (BalancerModule.hashesWhole). */
export interface WholeKey {
  key: 'client' | 'route';
  /** The option that makes it so, as validate names it: `algorithm` when the algorithm itself hashes that key. */
  field: string;
  /** What would bound a server's load, as a parenthesised clause for validate's message; '' when nothing would. */
  bound: string;
}
