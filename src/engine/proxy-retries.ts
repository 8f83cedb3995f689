/**
 * The proxy layer's retries (proxy.ts): whether a failed attempt is tried again, where,
 * and when.
 *
 * An attempt refused by its backend (`refused`: the backend is down, a connection
 * failure; `503`: the backend's own queue is full) or that outlived `per_try_timeout`
 * (`timeout`) is retried, up to `retries` more attempts, when the reason is in `retry_on`.
 * The retry goes to the same backend (`redispatch: never`, HAProxy's default), through
 * the balancer on the last retry (`last`, HAProxy `option redispatch`) or on every retry
 * (`always`, nginx proxy_next_upstream, Envoy). With `last`, HAProxy 2.6 also
 * redispatches earlier (src/stream.c stream_choose_redispatch): when the server that
 * failed is no longer running (the balancer believes it down), and, for
 * round-robin-kind algorithms, whenever more than one server is active. The choice is
 * made when the attempt fails (`keepServer`). Envoy's `previous_hosts` retry host
 * predicate re-picks a retry that lands on a host already tried; nginx never retries on
 * a peer already tried.
 *
 * When a retry starts is `backoff` (RetryBackoff in proxy-options.ts: nginx at once,
 * HAProxy's turn-around, Envoy's jittered exponential back-off). Envoy's limit on
 * concurrent retries applies when set: `retry_budget` (budget_percent of the requests
 * the proxy holds, at least min_retry_concurrency) or else `max_retries`; a retry past
 * it fails (`retryOverflow`).
 *
 * Each attempt has its own id for the balancer, request + attempt · 2^40 (attemptId), so
 * draws of ctx.random differ per attempt and the hooks' books balance; attempt 0 is the
 * request number itself, as in the plain engine.
 */
import type { Balancer } from '../balancers/types.ts';
import { markMutable } from '../jit/mutable-fields.ts';
import type { Recorder } from '../metrics/recorder.ts';
import type { BackendState } from './backends.ts';
import type { ProxyOptions } from './proxy-options.ts';
import type { ProxySlots } from './proxy-slots.ts';
import { EnvoyBackoff } from './retry-backoff.ts';

const ATTEMPT_SHIFT = 2 ** 40;
/** A re-pick k of the previous_hosts predicate draws as request + attempt · 2^40 + k · 2^47 (attempts ≤ 100 < 2^7; k ≤ 63). */
const RESELECT_SHIFT = 2 ** 47;

/** The balancer's id of the attempt a slot holds. */
export function attemptId(slots: ProxySlots, slot: number): number {
  return slots.request[slot]! + slots.attempt[slot]! * ATTEMPT_SHIFT;
}

export class Retries {
  /** Requests whose current attempt is a retry (Envoy's budget counts them). */
  active = 0;
  readonly onRefused: boolean;
  readonly on503: boolean;
  readonly onTimeout: boolean;
  /** Envoy's back-off intervals and jitter streams (null for the other proxies). */
  private readonly envoyBackoff: EnvoyBackoff | null;

  constructor(
    private readonly proxy: ProxyOptions,
    private readonly backends: BackendState,
    private readonly balancer: Balancer,
    private readonly slots: ProxySlots,
    private readonly recorder: Recorder,
    seed: number,
    /** 1 for a backup server: HAProxy's srv_act counts the others. */
    private readonly backup: Uint8Array,
  ) {
    this.onRefused = proxy.retryOn.includes('refused');
    this.on503 = proxy.retryOn.includes('503');
    this.onTimeout = proxy.retryOn.includes('timeout');
    this.envoyBackoff = proxy.backoff.kind === 'envoy' ? new EnvoyBackoff(proxy.backoff, proxy.retries, seed) : null;
    // First changed at the first retry, after the hot loop is optimized: see jit/mutable-fields.ts.
    markMutable(this, ['active']);
  }

  /** Whether another attempt is allowed: retries left, and room under Envoy's retry budget or max_retries (`held`: requests the proxy holds). */
  allowed(slot: number, held: number): boolean {
    const p = this.proxy;
    if (this.slots.attempt[slot]! >= p.retries) return false;
    const limit = p.budget === null ? p.maxRetries : Math.max(p.budget.minConcurrency, (p.budget.percent / 100) * held);
    if (this.active >= limit) {
      this.recorder.retryOverflow(this.slots.counted[slot] === 1);
      return false;
    }
    return true;
  }

  /** The slot's next attempt is a retry: where it goes is decided now. */
  start(slot: number): void {
    const sl = this.slots;
    sl.attempt[slot]!++;
    sl.keepServer[slot] = this.redispatches(slot) ? 0 : 1;
    // A redispatch clears SF_DIRECT (stream_choose_redispatch): the retry goes past the pin.
    if (sl.keepServer[slot] === 0) sl.direct[slot] = 0;
    this.active++;
    this.recorder.retry(sl.counted[slot] === 1);
  }

  /** The slot's current attempt is over (answered, refused, dropped or abandoned). */
  end(slot: number): void {
    if (this.slots.attempt[slot]! > 0) this.active--;
  }

  /**
   * Whether the retry the slot now holds goes through the balancer. `last` is HAProxy's
   * option redispatch (stream_choose_redispatch): the last retry, or with an interval
   * (`option redispatch <interval>`, ProxyOptions.redispatchAfter) every Pth retry or
   * the Nth before the last; or the server that failed is no longer running
   * (`cur_state < SRV_ST_RUNNING`: believed down); or the request was not sent by a
   * client's pin (`!(s->flags & SF_DIRECT)`), the algorithm is of the round-robin kind and
   * more than one server is active (`srv_act > 1`): a pinned request keeps its server.
   */
  private redispatches(slot: number): boolean {
    const r = this.proxy.redispatch;
    if (r !== 'last') return r === 'always';
    const b = this.slots.lastBackend[slot]!;
    const bs = this.backends;
    // k = conn_retries − si->conn_retries: this retry's number, 1-based.
    const k = this.slots.attempt[slot]!;
    const after = this.proxy.redispatchAfter;
    // C's % by a negative divisor tests multiples of its magnitude; by zero HAProxy would fault (SIGFPE): no interval then.
    const interval = after > 0 ? after : after < 0 ? Math.abs(this.proxy.retries + 1 + after) : 0;
    // A server below RUNNING: believed down (a backup hidden behind the primaries still runs).
    return (interval > 0 && k % interval === 0) || (b >= 0 && bs.believed[b] === 0) || (this.proxy.roundRobinKind && this.slots.direct[slot] === 0 && this.activeAboveOne());
  }

  /**
   * HAProxy's `srv_act > 1`: more than one usable server that is not a backup (recount_servers).
   * Backups serving in their place (one, or several with allbackups or a static-rr map) do not count.
   */
  private activeAboveOne(): boolean {
    const bs = this.backends;
    let n = 0;
    for (let b = 0; b < bs.count; b++) if (bs.up[b] === 1 && this.backup[b] === 0 && bs.weight[b]! > 0 && ++n > 1) return true;
    return false;
  }

  /**
   * The wait before the retry the slot now holds (its attempt already counts it);
   * `connectionFailure`: the attempt was refused because the backend is down.
   */
  backoffMs(slot: number, connectionFailure: boolean): number {
    const bo = this.proxy.backoff;
    if (bo.kind === 'none') return 0;
    if (bo.kind === 'haproxy') {
      if (!connectionFailure) return 0;
      // "only wait when we're retrying on the same server"
      const sameServer = this.slots.keepServer[slot] === 1 || !this.proxy.roundRobinKind || !this.activeAboveOne();
      return sameServer ? bo.turnAroundMs : 0;
    }
    return this.envoyBackoff!.delayMs(this.slots.attempt[slot]!, this.slots.request[slot]!);
  }

  /** The balancer's pick for a retry it balances (some backend is up): nginx skips the peers tried, Envoy's previous_hosts re-picks. */
  pick(slot: number): number {
    const b = this.proxy.excludeTried ? this.pickUntried(slot) : this.balanced(attemptId(this.slots, slot), this.slots.client[slot]!, this.slots.route[slot]!);
    return this.proxy.previousHosts === null ? b : this.avoidPreviousHosts(slot, b);
  }

  /**
   * The algorithm's pick for a balanced retry: past a client's pin under session
   * persistence (Balancer.repick), as HAProxy clears SF_DIRECT before it redispatches.
   */
  private balanced(id: number, client: number, route: number): number {
    const b = this.balancer;
    return b.repick !== undefined ? b.repick(id, client, route) : b.pick(id, client, route);
  }

  /** Envoy previous_hosts: pick again while the pick is a host this request already tried, up to maxAttempts times; the last pick stands. */
  private avoidPreviousHosts(slot: number, first: number): number {
    const sl = this.slots;
    const attempt = sl.attempt[slot]!;
    const base = slot * sl.triedStride;
    const id = attemptId(sl, slot);
    let b = first;
    for (let k = 1; k <= this.proxy.previousHosts!.maxAttempts && b >= 0; k++) {
      let seen = false;
      for (let i = 0; i < attempt; i++) if (sl.tried[base + i] === b) seen = true;
      if (!seen) break;
      b = this.balanced(id + k * RESELECT_SHIFT, sl.client[slot]!, sl.route[slot]!);
    }
    return b;
  }

  /**
   * nginx 1.22: a retry (proxy_next_upstream) never goes to a peer this request already
   * tried — every nginx balancer skips the peers in its `rrp->tried` bitmap exactly as it
   * skips one at max_conns (ngx_http_upstream_get_peer, get_least_conn_peer,
   * get_hash_peer, get_ip_hash_peer, get_random_peer: `continue` / `goto next`). So the
   * tried peers are shown full to the balancer for this one pick. The hashes restart
   * their rehash sequence where nginx continues it; the two agree whenever the first
   * attempt's pick was its first usable candidate. No peer left: -1 (nginx's
   * NGX_BUSY, "no live upstreams").
   */
  private pickUntried(slot: number): number {
    const bs = this.backends;
    const sl = this.slots;
    const attempt = sl.attempt[slot]!;
    const base = slot * sl.triedStride;
    for (let i = 0; i < attempt; i++) bs.full[sl.tried[base + i]!] = 1;
    const b = this.balanced(attemptId(sl, slot), sl.client[slot]!, sl.route[slot]!);
    for (let i = 0; i < attempt; i++) bs.updateFull(sl.tried[base + i]!);
    return b;
  }
}
