/**
 * The proxy layer's knobs (src/engine/proxy.ts has what each one does and which proxy it
 * follows): the options a scenario or an imported config gives, their defaults, and
 * whether a run needs the layer at all. Kept apart so that reading a scenario does not
 * load the engine.
 */
import type { BackendSpec } from './backends.ts';

export type RetryOn = 'refused' | '503' | 'timeout';
export type Redispatch = 'never' | 'last' | 'always';

/** How long the proxy waits between a failed attempt and its retry. */
export type RetryBackoff =
  /** nginx 1.22 proxy_next_upstream: the next peer is tried at once (ngx_http_upstream_next). */
  | { kind: 'none' }
  /**
   * HAProxy 2.6 (src/stream.c back_handle_st_cer): after a *connection* failure (lbsim's
   * `refused`), the stream waits `turnAroundMs` = MIN(1000, timeout connect) ms
   * (SI_ST_TAR) "when retrying on the same server": when the retry keeps its server, or
   * the algorithm is not of the round-robin kind (ProxyOptions.roundRobinKind), or at
   * most one server is active (srv_act <= 1, here the
   * servers the balancer sees up). L7 retries (retry-on 503, response timeouts:
   * do_l7_retry) do not wait.
   */
  | { kind: 'haproxy'; turnAroundMs: number }
  /**
   * Envoy 1.28 route retry_back_off (source/common/common/backoff_strategy.cc
   * JitteredExponentialBackOffStrategy): retry n waits `random() % interval_n` ms, with
   * interval_1 = base, then doubled while below max / 2, else max ("fully jittered
   * exponential back-off": [0, 25), [0, 50), [0, 100), [0, 200), [0, 250) ms by default).
   */
  | { kind: 'envoy'; baseMs: number; maxMs: number };

/** Envoy 1.28's defaults: base_interval 25 ms, max_interval 10 × base. */
export const ENVOY_BACKOFF_DEFAULTS = { baseMs: 25, maxMs: 250 } as const;
/** HAProxy 2.6: the turn-around is MIN(1000, timeout connect) ms; 1000 without a timeout connect. */
export const HAPROXY_TURN_AROUND_MS = 1000;

export interface ProxyOptions {
  /** Requests that find every usable backend full wait at the proxy (HAProxy); false: fail at once (nginx 502). @default true (false for nginx/*) */
  queue: boolean;
  /** HAProxy `timeout queue`, ms: longest wait in a proxy queue, then 503. @default Infinity */
  timeoutQueueMs: number;
  /** Envoy circuit breaker `max_requests`: most requests open on all backends together. @default Infinity */
  maxRequests: number;
  /** Envoy circuit breaker `max_pending_requests`: most requests waiting at the proxy. @default Infinity */
  maxPending: number;
  /** More attempts after the first (HAProxy `retries`, Envoy `num_retries`, nginx tries − 1). @default 0 */
  retries: number;
  /** Which failures are retried. @default ['refused'] (HAProxy's retry-on conn-failure) */
  retryOn: readonly RetryOn[];
  /** Where a retry goes. @default 'never' for haproxy/*, else 'always' */
  redispatch: Redispatch;
  /**
   * With `last` (HAProxy `option redispatch <interval>`, src/stream.c
   * stream_choose_redispatch): P > 0 redispatches every Pth retry; N < 0 the retries k
   * with k % (retries + 1 + N) == 0, so the default -1 is the last retry; 0 only when the
   * server is down or the algorithm is of the round-robin kind. @default -1
   */
  redispatchAfter: number;
  /** A try not answered within this is abandoned (and retried if `timeout` is in retryOn), ms. @default Infinity */
  perTryTimeoutMs: number;
  /** Envoy circuit breaker `max_retries`: most retries in flight at once. @default Infinity */
  maxRetries: number;
  /** Envoy `retry_budget`: retries in flight ≤ max(minConcurrency, percent % of requests held). @default null */
  budget: { percent: number; minConcurrency: number } | null;
  /** The wait before a retry. @default { kind: 'none' } (the scenario gives haproxy/* HAProxy's turn-around and envoy/* Envoy's back-off) */
  backoff: RetryBackoff;
  /** HAProxy: the balance algorithm is of the round-robin kind (BE_LB_KIND_RR: roundrobin, static-rr, random), which changes redispatch and the turn-around. @default false */
  roundRobinKind: boolean;
  /**
   * HAProxy 2.6: a retry that stays with its server keeps the connection slot its failed
   * attempt took there (the stream's `served` place: back_handle_st_cer releases it only
   * when stream_choose_redispatch redispatches, or when the retries run out), and
   * connects again without a queue (SI_ST_ASS → connect_server). Meanwhile that slot
   * counts against the server's maxconn. false: a failed attempt frees its slot, and its
   * retry competes for one again (nginx, Envoy). @default false (true for haproxy/*)
   */
  holdServer: boolean;
  /**
   * Envoy's `previous_hosts` retry host predicate: a retry's pick that lands on a host this
   * request already tried is made again, up to `maxAttempts` more times
   * (`host_selection_retry_max_attempts`), and the last pick is used whatever it is
   * (LoadBalancerBase::chooseHost). null: a retry may go to any host, the same included
   * (Envoy's default). @default null
   */
  previousHosts: { maxAttempts: number } | null;
  /** nginx: a retry never goes to a peer the request already tried (the `tried` bitmap). @default false (true for nginx/*) */
  excludeTried: boolean;
}

export const PROXY_DEFAULTS: ProxyOptions = {
  queue: true,
  timeoutQueueMs: Number.POSITIVE_INFINITY,
  maxRequests: Number.POSITIVE_INFINITY,
  maxPending: Number.POSITIVE_INFINITY,
  retries: 0,
  retryOn: ['refused'],
  redispatch: 'always',
  redispatchAfter: -1,
  perTryTimeoutMs: Number.POSITIVE_INFINITY,
  maxRetries: Number.POSITIVE_INFINITY,
  budget: null,
  backoff: { kind: 'none' },
  roundRobinKind: false,
  holdServer: false,
  previousHosts: null,
  excludeTried: false,
};

/**
 * Whether anything needs the proxy layer; when not, the plain engine runs. Retries alone
 * need it only when an attempt can fail: a backend can be down (an outage) or refuse
 * (a bounded queue), or a try can time out — e.g. an imported haproxy.cfg's default
 * `retries 3` over unbounded, never-failing backends changes nothing.
 */
export function needsProxy(backends: readonly BackendSpec[], p: ProxyOptions): boolean {
  const finite = Number.isFinite;
  const canFail = finite(p.perTryTimeoutMs) || backends.some((b) => finite(b.queue) || b.outages.length > 0);
  return (
    backends.some((b) => finite(b.maxconn ?? Infinity) || finite(b.maxqueue ?? Infinity)) ||
    (p.retries > 0 && canFail) ||
    finite(p.timeoutQueueMs) ||
    finite(p.maxRequests) ||
    finite(p.maxPending) ||
    finite(p.perTryTimeoutMs)
  );
}
