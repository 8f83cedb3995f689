/**
 * The proxy layer: what a real load balancer does between picking a backend and the
 * backend answering. Off by default — a scenario that sets none of these knobs runs the
 * plain `Simulation`, whose hot loop does not know this file exists. `ProxySimulation`
 * overrides the engine's arrival, completion and outage steps:
 *
 * - **maxconn and the proxy's queues** (HAProxy 2.6, src/backend.c assign_server_and_queue,
 *   src/queue.c): the proxy keeps at most `maxconn` requests open on a backend (its
 *   `served`). A backend with a maxconn is *full* while it has that many open or requests
 *   already waiting for it (`srv->maxconn && (srv->nbpend || srv->served >= maxconn)`).
 *   Algorithms that skip full servers (BackendView.full) return -1 when every usable
 *   server is full: the request waits in the *backend* queue (SRV_STATUS_FULL →
 *   pendconn_add with no server). An algorithm that picked a full server (hash-based ones
 *   never skip) makes the request wait in *that server's* queue, unless the queue holds
 *   `maxqueue` already: then 503 at once (SRV_STATUS_FULL from assign_server_and_queue;
 *   HAProxy redispatches that only for cookie persistence, which lbsim has not).
 *   When a backend frees a connection it takes the next request from its own queue or the
 *   backend queue, whichever was queued first; keys are whole ms as HAProxy's (now_ms)
 *   and the server's own queue wins ties (pendconn_process_next_strm: `pkey <= ppkey`).
 *   A backend coming back up takes requests the same way (pendconn_grab_from_px); one
 *   going down hands its queue back to the balancer when redispatch is on
 *   (pendconn_redistribute), else its requests wait for it. With HAProxy `slowstart`
 *   the limit is srv_dynamic_maxconn (BackendState.maxconn, ramped from 1 by
 *   server-health-slow-start.ts), and each warm-up tick grabs from the backend queue up
 *   to the new limit (server_warmup → pendconn_grab_from_px: warmedUp()).
 * - **timeout queue** (HAProxy): a request still queued `timeout_queue` after it joined is
 *   dropped with a 503 (counted rejected and `queueTimeouts`).
 * - **No queue** (`proxy_queue: false`, nginx 1.22 open source): a request that finds
 *   every peer at `max_conns` fails at once (nginx answers 502).
 * - **Envoy 1.28 circuit breakers** (cluster-wide): `max_requests` open at once and
 *   `max_pending_requests` waiting; past either, 503 overflow at once.
 * - **Retries**: an attempt refused by its backend (`refused`: the backend is down, a
 *   connection failure; `503`: the backend's own queue is full) or that outlived
 *   `per_try_timeout` (`timeout`) is retried, up to `retries` more attempts, when the
 *   reason is in `retry_on`. The retry goes to the same backend (`redispatch: never`,
 *   HAProxy's default), through the balancer on the last retry (`last`, HAProxy
 *   `option redispatch`) or on every retry (`always`, nginx proxy_next_upstream, Envoy).
 *   With `last`, HAProxy 2.6 also redispatches earlier (src/stream.c
 *   stream_choose_redispatch): when the server that failed is no longer running (the
 *   balancer believes it down), and, for round-robin-kind algorithms, whenever more than
 *   one server is active. The choice is made when the attempt fails (`keepServer`).
 *   Envoy's `previous_hosts` retry host predicate re-picks a retry that lands on a host
 *   already tried (`previousHosts`).
 *   When a retry starts is `backoff` (RetryBackoff in proxy-options.ts: nginx at once, HAProxy's
 *   turn-around, Envoy's jittered exponential back-off); a delayed retry waits as a Retry
 *   event in the engine's heap, its slot marked WAITING. A timed-out try is abandoned by the proxy — its
 *   connection closes, freeing the proxy's slot — but the backend still does the work
 *   (a *retry storm*: the same work several times). Envoy's limit on concurrent retries
 *   applies when set: `retry_budget` (budget_percent of the requests the proxy holds,
 *   at least min_retry_concurrency) or else `max_retries`; a retry past it fails
 *   (`retryOverflow`).
 *
 * Each attempt has its own id for the balancer, request + attempt · 2^40, so draws of
 * ctx.random differ per attempt and the hooks' books balance; attempt 0 is the request
 * number itself, as in the plain engine. Everything stays allocation-free per request:
 * per-slot columns and rings of slots.
 *
 * Time-split replay: the proxy's queues, waiting retries, pending timers and each
 * request's attempt state are the proxy's part of the canonical EngineState
 * (proxy-state.ts), so these runs are split in time like plain ones.
 */
import { durationUs } from '../metrics/recorder.ts';
import type { TrafficSource } from '../traffic/source.ts';
import { needsProxy, type ProxyOptions } from './proxy-options.ts';
import { EnvoyBackoff } from './retry-backoff.ts';
import { Failure } from './server-health-types.ts';
import { EventKind, PROXY_PRIORITY, Simulation, type SimulationOptions } from './simulation.ts';
import { SlotRings } from './slot-rings.ts';
import { AT_PROXY, captureProxyState, type ProxyParts, restoreProxyState, SlotStatus } from './proxy-state.ts';
import { type EngineState, readState, writeState } from './state.ts';

/** The engine for a run: the proxy layer only when something needs it. */
export function createEngine(options: SimulationOptions, proxy: ProxyOptions, source: TrafficSource): Simulation {
  return needsProxy(options.backends, proxy) ? new ProxySimulation(options, proxy, source) : new Simulation(options, source);
}

// Where a request slot stands (ProxySimulation.state; proxy-state.ts says what each means).
const { Free: FREE, Queued: QUEUED, Sent: SENT, Orphan: ORPHAN, Waiting: WAITING } = SlotStatus;
const ATTEMPT_SHIFT = 2 ** 40;
/** A re-pick k of the previous_hosts predicate draws as request + attempt · 2^40 + k · 2^47 (attempts ≤ 100 < 2^7; k ≤ 63). */
const RESELECT_SHIFT = 2 ** 47;

export class ProxySimulation extends Simulation {
  readonly proxy: ProxyOptions;
  /** One line per backend (its lengths are BackendState.proxyQueued). */
  private readonly serverLines: SlotRings;
  /** The backend-wide queue (HAProxy's px->queue): one line. */
  private readonly sharedLine = new SlotRings(1);
  /** Requests waiting in all lines (the recorder reads it). */
  private readonly depth = new Int32Array(1);
  /** Requests the proxy holds: queued or sent, not abandoned (Envoy's active + pending). */
  private held = 0;
  /** Requests open on all backends together (for max_requests). */
  private open = 0;
  /** Requests whose current attempt is a retry. */
  private activeRetries = 0;
  private readonly retryOnRefused: boolean;
  private readonly retryOn503: boolean;
  private readonly retryOnTimeout: boolean;
  /** Envoy's back-off intervals and jitter streams (null for the other proxies). */
  private readonly envoyBackoff: EnvoyBackoff | null;

  // Per-slot columns, beside the engine's.
  private state = new Uint8Array(1024);
  private client = new Float64Array(1024);
  private route = new Float64Array(1024);
  private attempt = new Int32Array(1024);
  private lastBackend = new Int32Array(1024);
  /** 1 when the slot's retry stays with lastBackend (decided when the attempt failed). */
  private keepServer = new Uint8Array(1024);
  /** previous_hosts and nginx: the host of each attempt, `triedStride` (retries + 1) per slot; empty when neither is on. */
  private tried: Int32Array;
  private readonly triedStride: number;
  private line = new Int32Array(1024);
  private queuedAt = new Float64Array(1024);
  private sentAt = new Float64Array(1024);

  constructor(options: SimulationOptions, proxy: ProxyOptions, source: TrafficSource, chunkCapacity?: number) {
    super(options, source, chunkCapacity);
    this.proxy = proxy;
    this.serverLines = new SlotRings(this.backends.count, this.backends.proxyQueued);
    this.retryOnRefused = proxy.retryOn.includes('refused');
    this.retryOn503 = proxy.retryOn.includes('503');
    this.retryOnTimeout = proxy.retryOn.includes('timeout');
    this.triedStride = proxy.previousHosts === null && !proxy.excludeTried ? 0 : proxy.retries + 1;
    this.tried = new Int32Array(this.slotArrival.length * this.triedStride);
    this.envoyBackoff = proxy.backoff.kind === 'envoy' ? new EnvoyBackoff(proxy.backoff, proxy.retries, options.seed) : null;
    this.recorder.attachProxy(this.depth);
    const health = this.health;
    if (health !== null) {
      // With health knobs the balancer learns of a server going down or up from checks
      // (server-health.ts), not from the outage: the proxy's queues follow that belief.
      const inner = this.balancer;
      health.attach({
        pick: (r, c, k) => inner.pick(r, c, k),
        onWeightChange: (b) => inner.onWeightChange?.(b),
        onBackendUp: (b) => {
          inner.onBackendUp?.(b);
          this.believedUp(b);
        },
        onBackendDown: (b) => {
          inner.onBackendDown?.(b);
          this.believedDown(b);
        },
      });
      health.onWarmupTick = (b) => this.warmedUp(b);
    }
  }

  override snapshot(): EngineState {
    const { state, slots } = this.capture();
    return writeState({ ...state, proxy: captureProxyState(this.parts(), slots) });
  }

  override restore(state: EngineState): void {
    const s = readState(state, this.backends.count);
    const atBackends = this.restoreDecoded(s);
    const counters = restoreProxyState(this.parts(), s.proxy, atBackends);
    this.held = counters.held;
    this.open = counters.open;
    this.activeRetries = counters.activeRetries;
    this.recorder.attachProxy(this.depth);
  }

  /** What proxy-state.ts reads and writes (off the hot path: snapshots and restores only). */
  private parts(): ProxyParts {
    return {
      backends: this.backends,
      serverLines: this.serverLines,
      sharedLine: this.sharedLine,
      depth: this.depth,
      timeoutQueueMs: this.proxy.timeoutQueueMs,
      perTryTimeoutMs: this.proxy.perTryTimeoutMs,
      counters: { held: this.held, open: this.open, activeRetries: this.activeRetries },
      queue: this.queue,
      fillSlot: (request, arrival, work, backend, counted) => this.fillSlot(request, arrival, work, backend, counted),
      // Read again after each fillSlot: growSlots replaces the arrays.
      columns: () => ({
        request: this.slotRequest, arrival: this.slotArrival, work: this.slotWork, backend: this.slotBackend, counted: this.slotCounted,
        state: this.state, client: this.client, route: this.route, attempt: this.attempt, lastBackend: this.lastBackend, keepServer: this.keepServer,
        tried: this.tried, triedStride: this.triedStride, line: this.line, queuedAt: this.queuedAt, sentAt: this.sentAt,
      }),
    };
  }

  protected override arrive(): void {
    const t = this.now;
    const c = this.chunk;
    const i = this.cursor;
    const request = this.arrived++;
    const counted = t >= this.warmupMs;
    this.recorder.arrive(counted);
    const slot = this.fillSlot(request, t, c.work[i]!, AT_PROXY, counted);
    this.client[slot] = c.client[i]!;
    this.route[slot] = c.route[i]!;
    this.attempt[slot] = 0;
    this.lastBackend[slot] = -1;
    this.held++;
    this.assign(slot);
  }

  /** One attempt: pick (or keep) a backend, then send, queue or fail. */
  private assign(slot: number): void {
    const bs = this.backends;
    if (this.open >= this.proxy.maxRequests) return this.failAtProxy(slot, false);
    const attempt = this.attempt[slot]!;
    let b: number;
    const health = this.health;
    // A retry stays with its server unless redispatched (keepServer 0).
    if (attempt > 0 && this.keepServer[slot] === 1) b = this.lastBackend[slot]!;
    else {
      if (health !== null) health.beforePick();
      if (bs.upCount === 0) b = -1;
      else if (attempt > 0 && this.proxy.excludeTried) b = this.pickUntried(slot);
      else b = this.balancer.pick(this.slotRequest[slot]! + attempt * ATTEMPT_SHIFT, this.client[slot]!, this.route[slot]!);
      if (attempt > 0 && this.proxy.previousHosts !== null) b = this.avoidPreviousHosts(slot, b);
    }
    if (b < 0) {
      if (!this.anyFull()) {
        // Nothing up and weighted: as the plain engine, rejected for want of a backend.
        this.endAttempt(slot);
        this.held--;
        this.recorder.reject(-1, this.slotCounted[slot] === 1);
        if (health !== null) health.noBackend();
        this.releaseSlot(slot);
        return;
      }
      if (!this.proxy.queue) return this.failAtProxy(slot, false);
      return this.enqueue(slot, -1);
    }
    if (bs.full[b] === 1) {
      if (!this.proxy.queue || bs.proxyQueued[b]! >= bs.maxqueue[b]!) return this.failAtProxy(slot, false);
      return this.enqueue(slot, b);
    }
    this.send(slot, b);
  }

  /**
   * Whether the retry the slot now holds goes through the balancer. `last` is HAProxy's
   * option redispatch (stream_choose_redispatch): the last retry, or with an interval
   * (`option redispatch <interval>`, ProxyOptions.redispatchAfter) every Pth retry or
   * the Nth before the last; or the server that
   * failed is no longer running (`cur_state < SRV_ST_RUNNING`: believed down); or the
   * algorithm is of the round-robin kind and more than one server is active (`srv_act > 1`).
   */
  private redispatches(slot: number): boolean {
    const r = this.proxy.redispatch;
    if (r !== 'last') return r === 'always';
    const b = this.lastBackend[slot]!;
    const bs = this.backends;
    // k = conn_retries − si->conn_retries: this retry's number, 1-based.
    const k = this.attempt[slot]!;
    const after = this.proxy.redispatchAfter;
    // C's % by a negative divisor tests multiples of its magnitude; by zero HAProxy would fault (SIGFPE): no interval then.
    const interval = after > 0 ? after : after < 0 ? Math.abs(this.proxy.retries + 1 + after) : 0;
    return (interval > 0 && k % interval === 0) || (b >= 0 && bs.up[b] === 0) || (this.proxy.roundRobinKind && bs.upCount > 1);
  }

  /** Envoy previous_hosts: pick again while the pick is a host this request already tried, up to maxAttempts times; the last pick stands. */
  private avoidPreviousHosts(slot: number, first: number): number {
    const attempt = this.attempt[slot]!;
    const base = slot * this.triedStride;
    const id = this.slotRequest[slot]! + attempt * ATTEMPT_SHIFT;
    let b = first;
    for (let k = 1; k <= this.proxy.previousHosts!.maxAttempts && b >= 0; k++) {
      let seen = false;
      for (let i = 0; i < attempt; i++) if (this.tried[base + i] === b) seen = true;
      if (!seen) break;
      b = this.balancer.pick(id + k * RESELECT_SHIFT, this.client[slot]!, this.route[slot]!);
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
    const attempt = this.attempt[slot]!;
    const base = slot * this.triedStride;
    for (let i = 0; i < attempt; i++) bs.full[this.tried[base + i]!] = 1;
    const b = this.balancer.pick(this.slotRequest[slot]! + attempt * ATTEMPT_SHIFT, this.client[slot]!, this.route[slot]!);
    for (let i = 0; i < attempt; i++) this.updateFull(this.tried[base + i]!);
    return b;
  }

  /** Any usable backend full at the proxy: then a -1 pick means "wait", not "no backend". */
  private anyFull(): boolean {
    const bs = this.backends;
    for (let b = 0; b < bs.count; b++) if (bs.full[b] === 1 && bs.up[b] === 1 && bs.weight[b]! > 0) return true;
    return false;
  }

  private updateFull(b: number): void {
    const bs = this.backends;
    const m = bs.maxconn[b]!;
    bs.full[b] = m !== Number.POSITIVE_INFINITY && (bs.proxyQueued[b]! > 0 || bs.served[b]! >= m) ? 1 : 0;
  }

  /** Sends the attempt to backend b (not full at the proxy); b may still refuse it: in an outage, or its own queue full. */
  private send(slot: number, b: number): void {
    const bs = this.backends;
    const t = this.now;
    // The host of this attempt (previous_hosts, nginx's tried peers): where it is sent, refused or not.
    if (this.triedStride > 0) this.tried[slot * this.triedStride + this.attempt[slot]!] = b;
    if (bs.serving[b] === 0) return this.refused(slot, b, this.retryOnRefused);
    const idle = bs.busy[b]! < bs.concurrency[b]!;
    if (!idle && bs.queued[b]! >= bs.queueLimit[b]!) return this.refused(slot, b, this.retryOn503);
    if (this.health !== null) this.health.picked(b);
    this.slotBackend[slot] = b;
    this.admitAt(b, slot, idle);
    bs.served[b]!++;
    this.open++;
    this.updateFull(b);
    this.state[slot] = SENT;
    this.sentAt[slot] = t;
    this.lastBackend[slot] = b;
    this.recorder.admit(b, this.slotCounted[slot] === 1);
    if (this.proxy.perTryTimeoutMs !== Number.POSITIVE_INFINITY) this.queue.push(t + this.proxy.perTryTimeoutMs, PROXY_PRIORITY.TryTimeout, EventKind.TryTimeout, slot);
    if (this.onDispatch !== undefined) this.onDispatch(b, this.attemptId(slot));
  }

  private attemptId(slot: number): number {
    return this.slotRequest[slot]! + this.attempt[slot]! * ATTEMPT_SHIFT;
  }

  /** Backend b refused the attempt at once (down, or its queue full): retry or reject. */
  private refused(slot: number, b: number, retryable: boolean): void {
    const counted = this.slotCounted[slot] === 1;
    this.recorder.pick(b, counted);
    const health = this.health;
    if (health !== null) {
      health.picked(b);
      health.failed(b, this.backends.serving[b] === 0 ? Failure.Refused : Failure.Rejected, counted);
    }
    this.lastBackend[slot] = b;
    this.endAttempt(slot);
    if (retryable && this.mayRetry(slot)) {
      this.recorder.refused(b, counted);
      this.startRetry(slot);
      this.retryAfter(slot, this.backoffMs(slot, this.backends.serving[b] === 0));
      return;
    }
    this.held--;
    this.recorder.reject(b, counted);
    this.releaseSlot(slot);
  }

  /** The proxy's own 503/502: no queue, maxqueue, a circuit breaker, or (queueTimeout) timeout queue. */
  private failAtProxy(slot: number, queueTimeout: boolean): void {
    this.endAttempt(slot);
    this.held--;
    this.recorder.rejectAtProxy(this.slotCounted[slot] === 1, queueTimeout);
    this.releaseSlot(slot);
  }

  /** Whether another attempt is allowed: retries left, and room under Envoy's retry budget or max_retries. */
  private mayRetry(slot: number): boolean {
    const p = this.proxy;
    if (this.attempt[slot]! >= p.retries) return false;
    const limit = p.budget === null ? p.maxRetries : Math.max(p.budget.minConcurrency, (p.budget.percent / 100) * this.held);
    if (this.activeRetries >= limit) {
      this.recorder.retryOverflow(this.slotCounted[slot] === 1);
      return false;
    }
    return true;
  }

  /**
   * The wait before the retry the slot now holds (its attempt already counts it);
   * `connectionFailure`: the attempt was refused because the backend is down.
   */
  private backoffMs(slot: number, connectionFailure: boolean): number {
    const bo = this.proxy.backoff;
    if (bo.kind === 'none') return 0;
    const attempt = this.attempt[slot]!;
    if (bo.kind === 'haproxy') {
      if (!connectionFailure) return 0;
      // "only wait when we're retrying on the same server"
      const sameServer = this.keepServer[slot] === 1 || !this.proxy.roundRobinKind || this.backends.upCount <= 1;
      return sameServer ? bo.turnAroundMs : 0;
    }
    return this.envoyBackoff!.delayMs(attempt, this.slotRequest[slot]!);
  }

  /** The retry in `slot` starts after `delayMs` (at once when 0). */
  private retryAfter(slot: number, delayMs: number): void {
    if (delayMs === 0) return this.assign(slot);
    this.state[slot] = WAITING;
    this.slotBackend[slot] = AT_PROXY;
    this.queue.push(this.now + delayMs, PROXY_PRIORITY.Retry, EventKind.Retry, slot);
  }

  private startRetry(slot: number): void {
    this.attempt[slot]!++;
    this.keepServer[slot] = this.redispatches(slot) ? 0 : 1;
    this.activeRetries++;
    this.recorder.retry(this.slotCounted[slot] === 1);
  }

  /** The slot's current attempt is over (answered, refused, dropped or abandoned). */
  private endAttempt(slot: number): void {
    if (this.attempt[slot]! > 0) this.activeRetries--;
  }

  /** Queues the request at the proxy: for backend b, or (b = -1) in the backend-wide queue. */
  private enqueue(slot: number, b: number): void {
    const t = this.now;
    if (this.depth[0]! >= this.proxy.maxPending) return this.failAtProxy(slot, false);
    const rec = this.recorder;
    rec.touchProxy();
    if (b < 0) this.sharedLine.push(0, slot);
    else {
      this.serverLines.push(b, slot);
      this.updateFull(b);
    }
    this.depth[0]!++;
    rec.proxyQueueGrew();
    rec.enteredProxyQueue(this.slotCounted[slot] === 1);
    this.state[slot] = QUEUED;
    this.line[slot] = b;
    this.queuedAt[slot] = t;
    this.slotBackend[slot] = AT_PROXY;
    if (this.proxy.timeoutQueueMs !== Number.POSITIVE_INFINITY) this.queue.push(t + this.proxy.timeoutQueueMs, PROXY_PRIORITY.QueueTimeout, EventKind.QueueTimeout, slot);
  }

  /** Takes a queued slot out of its line (`head`: it is known to be the line's head); its timer, if any, goes idle. */
  private unqueue(slot: number, head: boolean): void {
    if (this.proxy.timeoutQueueMs !== Number.POSITIVE_INFINITY) this.idleTimers++;
    this.recorder.touchProxy();
    const b = this.line[slot]!;
    const lines = b < 0 ? this.sharedLine : this.serverLines;
    const i = b < 0 ? 0 : b;
    if (head || lines.peek(i) === slot) lines.shift(i);
    else lines.remove(i, slot);
    if (b >= 0) this.updateFull(b);
    this.depth[0]!--;
    this.state[slot] = FREE;
  }

  /**
   * Backend b may take queued requests: while it has fewer than maxconn open, the older of
   * its own queue's head and the backend queue's head (HAProxy pendconn_process_next_strm:
   * ms keys, the server's queue first on a tie). The backend queue only while b is usable.
   */
  private drain(b: number): void {
    const bs = this.backends;
    const t = this.now;
    if (bs.up[b] === 0) return;
    const shared = this.sharedLine;
    const own = this.serverLines;
    const usable = bs.weight[b]! > 0;
    while (bs.served[b]! < bs.maxconn[b]!) {
      const mine = bs.proxyQueued[b]! > 0;
      const theirs = usable && shared.lengths[0]! > 0;
      if (!mine && !theirs) return;
      const fromOwn = mine && (!theirs || Math.floor(this.queuedAt[own.peek(b)]!) <= Math.floor(this.queuedAt[shared.peek(0)]!));
      const slot = fromOwn ? own.peek(b) : shared.peek(0);
      this.unqueue(slot, true);
      this.recorder.leftProxyQueue(b, t - this.queuedAt[slot]!, this.slotCounted[slot] === 1);
      this.send(slot, b);
    }
  }

  protected override proxyEvent(kind: number, slot: number): void {
    if (kind === EventKind.QueueTimeout) this.queueTimeout(slot);
    else if (kind === EventKind.TryTimeout) this.tryTimeout(slot);
    else {
      // A retry's wait is over: the attempt starts now.
      this.state[slot] = FREE;
      this.assign(slot);
    }
  }

  /** timeout queue: dropped with a 503. Stale events (the slot left the queue, maybe reused) are ignored. */
  private queueTimeout(slot: number): void {
    const t = this.now;
    if (this.state[slot] !== QUEUED || this.queuedAt[slot]! + this.proxy.timeoutQueueMs !== t) {
      this.idleTimers--;
      return;
    }
    this.unqueue(slot, false);
    this.idleTimers--; // unqueue() counted this timer idle: it is the one running

    this.failAtProxy(slot, true);
  }

  /** per_try_timeout: the proxy abandons the try (the backend keeps the work) and retries, or the request times out. */
  private tryTimeout(slot: number): void {
    const t = this.now;
    if (this.state[slot] !== SENT || this.sentAt[slot]! + this.proxy.perTryTimeoutMs !== t) {
      this.idleTimers--;
      return;
    }
    const bs = this.backends;
    const b = this.slotBackend[slot]!;
    const counted = this.slotCounted[slot] === 1;
    // A try timeout is a failure the proxy sees (a 504 to Envoy's outlier detection).
    if (this.health !== null) this.health.failed(b, Failure.TimedOut, counted);
    this.state[slot] = ORPHAN;
    bs.served[b]!--;
    this.open--;
    this.updateFull(b);
    this.endAttempt(slot);
    let next = -1;
    if (this.retryOnTimeout && this.mayRetry(slot)) {
      next = this.fillSlot(this.slotRequest[slot]!, this.slotArrival[slot]!, this.slotWork[slot]!, AT_PROXY, counted);
      this.client[next] = this.client[slot]!;
      this.route[next] = this.route[slot]!;
      this.attempt[next] = this.attempt[slot]!;
      this.lastBackend[next] = b;
      if (this.triedStride > 0) this.tried.copyWithin(next * this.triedStride, slot * this.triedStride, (slot + 1) * this.triedStride);
      this.startRetry(next);
    } else {
      this.held--;
      this.recorder.timeout(b, counted);
    }
    // The connection it held goes to a queued request first (it waited), then the retry is placed (after its back-off).
    this.drain(b);
    if (next >= 0) this.retryAfter(next, this.backoffMs(next, false));
  }

  protected override complete(slot: number): void {
    const t = this.now;
    const bs = this.backends;
    const b = this.slotBackend[slot]!;
    const id = this.attemptId(slot);
    const service = t - this.sentAt[slot]!;
    if (this.state[slot] === ORPHAN) {
      // Work nobody waits for any more: only the backend's slot is freed.
      this.recorder.touch(b);
      this.freeBackendSlot(b, slot);
      if (this.onComplete !== undefined) this.onComplete(b, service, id);
      return;
    }
    const latency = t - this.slotArrival[slot]!;
    const counted = this.slotCounted[slot] === 1;
    if (latency > this.timeoutMs) this.recorder.finishLate(b, counted);
    else this.recorder.finish(b, durationUs(latency), counted);
    // Answered before its try timed out: that timer goes idle.
    if (this.proxy.perTryTimeoutMs !== Number.POSITIVE_INFINITY) this.idleTimers++;
    this.endAttempt(slot);
    this.held--;
    bs.served[b]!--;
    this.open--;
    this.freeBackendSlot(b, slot);
    this.updateFull(b);
    if (this.onComplete !== undefined) this.onComplete(b, service, id);
    const health = this.health;
    if (health !== null) {
      if (latency > this.timeoutMs) health.failed(b, Failure.TimedOut, counted);
      else health.succeeded(b);
    }
    this.drain(b);
  }

  protected override goDown(b: number): void {
    super.goDown(b);
    // Without health knobs the balancer sees the outage at once; with them, when detected (the hook in the constructor).
    if (this.health === null && this.backends.downDepth[b] === 1) this.believedDown(b);
  }

  protected override comeUp(b: number): void {
    super.comeUp(b);
    if (this.health === null && this.backends.up[b] === 1) this.believedUp(b);
  }

  /**
   * The balancer now takes b for down: pendconn_redistribute (HAProxy 2.6 queue.c, with
   * option redispatch) hands its queue back to the balancer. It clears the stream's
   * assigned server (SF_ASSIGNED), so a queued *retry* is balanced again too rather than
   * sent back to b: clearing keepServer does that here (and keeps a retry bound to a
   * down, full b from re-queueing on it forever).
   */
  private believedDown(b: number): void {
    const bs = this.backends;
    this.updateFull(b); // slow start stopped: the usual maxconn again
    if (this.proxy.redispatch === 'never') return;
    // One pass over the queue as it stands (HAProxy walks it once), so nothing can cycle.
    for (let n = bs.proxyQueued[b]!; n > 0 && bs.proxyQueued[b]! > 0; n--) {
      const slot = this.serverLines.peek(b);
      this.unqueue(slot, true);
      this.keepServer[slot] = 0;
      this.assign(slot);
    }
  }

  /** The balancer now takes b for up: it takes queued requests (pendconn_grab_from_px and its own queue), up to its maxconn now (1 when slow start begins). */
  private believedUp(b: number): void {
    this.updateFull(b);
    this.drain(b);
  }

  /**
   * A HAProxy slow-start tick of b ran (server.c server_warmup): its maxconn may have
   * grown. pendconn_grab_from_px(): while b (usable) has fewer than its maxconn open,
   * it takes the head of the *backend* queue; its own queue waits for its connections
   * to close (process_srv_queue, drain()).
   */
  private warmedUp(b: number): void {
    const bs = this.backends;
    this.updateFull(b);
    if (bs.weight[b]! <= 0) return;
    const shared = this.sharedLine;
    while (bs.served[b]! < bs.maxconn[b]! && shared.lengths[0]! > 0) {
      const slot = shared.peek(0);
      this.unqueue(slot, true);
      this.recorder.leftProxyQueue(b, this.now - this.queuedAt[slot]!, this.slotCounted[slot] === 1);
      this.send(slot, b);
    }
  }

  protected override abandonSlot(s: number): void {
    if (this.slotBackend[s] === -1 || this.state[s] === ORPHAN) return;
    if (this.state[s] === QUEUED || this.state[s] === WAITING) this.recorder.abandon(-1, this.slotCounted[s] === 1);
    else super.abandonSlot(s);
  }

  protected override releaseSlot(slot: number): void {
    this.state[slot] = FREE;
    super.releaseSlot(slot);
  }

  protected override growSlots(): void {
    super.growSlots();
    const cap = this.slotArrival.length;
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(a: T): T => {
      const next = new (a.constructor as new (n: number) => T)(cap);
      next.set(a);
      return next;
    };
    this.state = grow(this.state);
    this.client = grow(this.client);
    this.route = grow(this.route);
    this.attempt = grow(this.attempt);
    this.lastBackend = grow(this.lastBackend);
    this.keepServer = grow(this.keepServer);
    const tried = new Int32Array(cap * this.triedStride);
    tried.set(this.tried);
    this.tried = tried;
    this.line = grow(this.line);
    this.queuedAt = grow(this.queuedAt);
    this.sentAt = grow(this.sentAt);
  }
}
