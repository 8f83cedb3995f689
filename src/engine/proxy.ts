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
 *   never skip, nor does session persistence) makes the request wait in *that server's*
 *   queue, unless the queue holds `maxqueue` already: then 503 at once (SRV_STATUS_FULL
 *   from assign_server_and_queue; HAProxy redispatches that only for a persistent
 *   request, which lbsim does not model).
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
 * - **Retries** (proxy-retries.ts: which failures, where to, when, and Envoy's limits):
 *   a delayed retry waits as a Retry event in the engine's heap, its slot marked
 *   WAITING. A timed-out try is abandoned by the proxy — its connection closes, freeing
 *   the proxy's slot — but the backend still does the work (a *retry storm*: the same
 *   work several times).
 *
 * Everything stays allocation-free per request: per-slot columns (proxy-slots.ts) and
 * rings of slots.
 *
 * Time-split replay: the proxy's queues, waiting retries, pending timers and each
 * request's attempt state are the proxy's part of the canonical EngineState
 * (proxy-state.ts), so these runs are split in time like plain ones.
 */
import { durationUs } from '../metrics/recorder.ts';
import type { TrafficSource } from '../traffic/source.ts';
import { EventKind, PROXY_PRIORITY } from './events.ts';
import { needsProxy, type ProxyOptions } from './proxy-options.ts';
import { ProxyQueues } from './proxy-queues.ts';
import { attemptId, Retries } from './proxy-retries.ts';
import { AT_PROXY, ProxySlots, SlotStatus } from './proxy-slots.ts';
import { captureProxyState, type ProxyParts, restoreProxyState } from './proxy-state.ts';
import { Failure } from './server-health-types.ts';
import { Simulation } from './simulation.ts';
import type { SimulationOptions } from './simulation-options.ts';
import { type EngineState, readState, writeState } from './state.ts';

/** The engine for a run: the proxy layer only when something needs it. */
export function createEngine(options: SimulationOptions, proxy: ProxyOptions, source: TrafficSource): Simulation {
  return needsProxy(options.backends, proxy) ? new ProxySimulation(options, proxy, source) : new Simulation(options, source);
}

// Where a request slot stands (ProxySlots.state; proxy-state.ts says what each means).
const { Free: FREE, Queued: QUEUED, Sent: SENT, Orphan: ORPHAN, Waiting: WAITING } = SlotStatus;

export class ProxySimulation extends Simulation {
  readonly proxy: ProxyOptions;
  private readonly queues: ProxyQueues;
  /** Requests the proxy holds: queued or sent, not abandoned (Envoy's active + pending). */
  private held = 0;
  /** Requests open on all backends together (for max_requests). */
  private open = 0;
  private readonly retries: Retries;

  /** The requests in flight, with the proxy's columns beside the engine's. */
  declare protected readonly slots: ProxySlots;

  constructor(options: SimulationOptions, proxy: ProxyOptions, source: TrafficSource, chunkCapacity?: number) {
    super(options, source, chunkCapacity, new ProxySlots(proxy.previousHosts === null && !proxy.excludeTried ? 0 : proxy.retries + 1));
    this.proxy = proxy;
    this.queues = new ProxyQueues(this.backends, this.slots);
    this.retries = new Retries(proxy, this.backends, this.balancer, this.slots, this.recorder, options.seed, Uint8Array.from(options.backends, (s) => (s.backup === true ? 1 : 0)));
    this.recorder.attachProxy(this.queues.depth);
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
          // A backup hidden again behind returning primaries still runs: HAProxy
          // redistributes the queue of a server going down only (its own queue stays).
          if (this.backends.believed[b] === 0) this.believedDown(b);
          else this.backends.updateFull(b);
        },
      });
      health.onWarmupTick = (b) => this.warmedUp(b);
    }
  }

  override snapshot(): EngineState {
    const { state, slots } = this.capture();
    return writeState({ ...state, proxy: captureProxyState(this.proxyParts(), slots) });
  }

  override restore(state: EngineState): void {
    const s = readState(state, this.backends.count);
    const atBackends = this.restoreDecoded(s);
    const counters = restoreProxyState(this.proxyParts(), s.proxy, atBackends);
    this.held = counters.held;
    this.open = counters.open;
    this.retries.active = counters.activeRetries;
    this.recorder.attachProxy(this.queues.depth);
  }

  /** What proxy-state.ts reads and writes (off the hot path: snapshots and restores only). */
  private proxyParts(): ProxyParts {
    return {
      backends: this.backends,
      queues: this.queues,
      timeoutQueueMs: this.proxy.timeoutQueueMs,
      perTryTimeoutMs: this.proxy.perTryTimeoutMs,
      counters: { held: this.held, open: this.open, activeRetries: this.retries.active },
      queue: this.queue,
      slots: this.slots,
    };
  }

  protected override arrive(): void {
    const t = this.now;
    const c = this.chunk;
    const i = this.cursor;
    const request = this.arrived++;
    const counted = t >= this.warmupMs;
    this.recorder.arrive(counted);
    // take(), not fill(): no fractional double passed on the hot path (see EventQueue.at).
    const slot = this.slots.take(request, AT_PROXY, counted);
    this.slots.arrival[slot] = t;
    this.slots.work[slot] = c.work[i]!;
    this.slots.client[slot] = c.client[i]!;
    this.slots.route[slot] = c.route[i]!;
    this.slots.attempt[slot] = 0;
    this.slots.lastBackend[slot] = -1;
    this.held++;
    this.assign(slot);
  }

  /** One attempt: pick (or keep) a backend, then send, queue or fail. */
  private assign(slot: number): void {
    const bs = this.backends;
    if (this.open >= this.proxy.maxRequests) return this.failAtProxy(slot, false);
    const attempt = this.slots.attempt[slot]!;
    let b: number;
    const health = this.health;
    // A retry stays with its server unless redispatched (keepServer 0).
    if (attempt > 0 && this.slots.keepServer[slot] === 1) b = this.slots.lastBackend[slot]!;
    else {
      if (health !== null) health.beforePick();
      if (bs.upCount === 0) b = -1;
      else if (attempt > 0) b = this.retries.pick(slot);
      else b = this.balancer.pick(this.slots.request[slot]!, this.slots.client[slot]!, this.slots.route[slot]!);
    }
    if (b < 0) {
      if (!this.anyFull()) {
        // Nothing up and weighted: as the plain engine, rejected for want of a backend.
        this.retries.end(slot);
        this.held--;
        this.recorder.reject(-1, this.slots.counted[slot] === 1);
        if (health !== null) health.noBackend();
        this.slots.release(slot);
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

  /** Any usable backend full at the proxy: then a -1 pick means "wait", not "no backend". */
  private anyFull(): boolean {
    const bs = this.backends;
    for (let b = 0; b < bs.count; b++) if (bs.full[b] === 1 && bs.up[b] === 1 && bs.weight[b]! > 0) return true;
    return false;
  }

  /** Sends the attempt to backend b (not full at the proxy); b may still refuse it: in an outage, or its own queue full. */
  private send(slot: number, b: number): void {
    const bs = this.backends;
    const t = this.now;
    // The host of this attempt (previous_hosts, nginx's tried peers): where it is sent, refused or not.
    if (this.slots.triedStride > 0) this.slots.tried[slot * this.slots.triedStride + this.slots.attempt[slot]!] = b;
    if (bs.serving[b] === 0) return this.refused(slot, b, this.retries.onRefused);
    const idle = bs.busy[b]! < bs.concurrency[b]!;
    if (!idle && bs.queued[b]! >= bs.queueLimit[b]!) return this.refused(slot, b, this.retries.on503);
    if (this.health !== null) this.health.picked(b);
    this.slots.backend[slot] = b;
    this.admitAt(b, slot, idle);
    bs.served[b]!++;
    this.open++;
    this.backends.updateFull(b);
    this.slots.state[slot] = SENT;
    this.slots.sentAt[slot] = t;
    this.slots.lastBackend[slot] = b;
    this.recorder.admit(b, this.slots.counted[slot] === 1);
    if (this.proxy.perTryTimeoutMs !== Number.POSITIVE_INFINITY) {
      this.queue.at = t + this.proxy.perTryTimeoutMs;
      this.queue.schedule(PROXY_PRIORITY.TryTimeout, EventKind.TryTimeout, slot);
    }
    if (this.onDispatch !== undefined) this.onDispatch(b, attemptId(this.slots, slot));
  }

  /** Backend b refused the attempt at once (down, or its queue full): retry or reject. */
  private refused(slot: number, b: number, retryable: boolean): void {
    const counted = this.slots.counted[slot] === 1;
    this.recorder.pick(b, counted);
    const health = this.health;
    if (health !== null) {
      health.picked(b);
      health.failed(b, this.backends.serving[b] === 0 ? Failure.Refused : Failure.Rejected, counted);
    }
    this.slots.lastBackend[slot] = b;
    this.retries.end(slot);
    if (retryable && this.retries.allowed(slot, this.held)) {
      this.recorder.refused(b, counted);
      this.retries.start(slot);
      this.retryAfter(slot, this.retries.backoffMs(slot, this.backends.serving[b] === 0));
      return;
    }
    this.held--;
    this.recorder.reject(b, counted);
    this.slots.release(slot);
  }

  /** The proxy's own 503/502: no queue, maxqueue, a circuit breaker, or (queueTimeout) timeout queue. */
  private failAtProxy(slot: number, queueTimeout: boolean): void {
    this.retries.end(slot);
    this.held--;
    this.recorder.rejectAtProxy(this.slots.counted[slot] === 1, queueTimeout);
    this.slots.release(slot);
  }

  /** The retry in `slot` starts after `delayMs` (at once when 0). */
  private retryAfter(slot: number, delayMs: number): void {
    if (delayMs === 0) return this.assign(slot);
    this.slots.state[slot] = WAITING;
    this.slots.backend[slot] = AT_PROXY;
    this.queue.at = this.now + delayMs;
    this.queue.schedule(PROXY_PRIORITY.Retry, EventKind.Retry, slot);
  }

  /** Queues the request at the proxy: for backend b, or (b = -1) in the backend-wide queue. */
  private enqueue(slot: number, b: number): void {
    const t = this.now;
    if (this.queues.length >= this.proxy.maxPending) return this.failAtProxy(slot, false);
    const rec = this.recorder;
    rec.touchProxy();
    this.queues.join(slot, b, t);
    rec.proxyQueueGrew();
    rec.enteredProxyQueue(this.slots.counted[slot] === 1);
    if (this.proxy.timeoutQueueMs !== Number.POSITIVE_INFINITY) {
      this.queue.at = t + this.proxy.timeoutQueueMs;
      this.queue.schedule(PROXY_PRIORITY.QueueTimeout, EventKind.QueueTimeout, slot);
    }
  }

  /** Takes a queued slot out of its line (`head`: it is known to be the line's head); its timer, if any, goes idle. */
  private unqueue(slot: number, head: boolean): void {
    if (this.proxy.timeoutQueueMs !== Number.POSITIVE_INFINITY) this.idleTimers++;
    this.recorder.touchProxy();
    this.queues.leave(slot, head);
  }

  /**
   * Backend b may take queued requests: while it has fewer than maxconn open, the older of
   * its own queue's head and the backend queue's head (ProxyQueues.nextFor). The backend
   * queue only while the balancer may choose b (`up`, a weight); its own queue while it is
   * believed usable: a backup hidden while the primaries serve still serves the requests
   * persistence pinned to it (pendconn_grab_from_px refuses it the backend queue, not its own).
   */
  private drain(b: number): void {
    const bs = this.backends;
    const t = this.now;
    if (bs.believed[b] === 0) return;
    const usable = bs.up[b] === 1 && bs.weight[b]! > 0;
    while (bs.served[b]! < bs.maxconn[b]!) {
      const slot = this.queues.nextFor(b, usable);
      if (slot < 0) return;
      this.unqueue(slot, true);
      this.recorder.leftProxyQueue(b, t - this.slots.queuedAt[slot]!, this.slots.counted[slot] === 1);
      this.send(slot, b);
    }
  }

  protected override proxyEvent(kind: number, slot: number): void {
    if (kind === EventKind.QueueTimeout) this.queueTimeout(slot);
    else if (kind === EventKind.TryTimeout) this.tryTimeout(slot);
    else {
      // A retry's wait is over: the attempt starts now.
      this.slots.state[slot] = FREE;
      this.assign(slot);
    }
  }

  /** timeout queue: dropped with a 503. Stale events (the slot left the queue, maybe reused) are ignored. */
  private queueTimeout(slot: number): void {
    const t = this.now;
    if (this.slots.state[slot] !== QUEUED || this.slots.queuedAt[slot]! + this.proxy.timeoutQueueMs !== t) {
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
    if (this.slots.state[slot] !== SENT || this.slots.sentAt[slot]! + this.proxy.perTryTimeoutMs !== t) {
      this.idleTimers--;
      return;
    }
    const bs = this.backends;
    const b = this.slots.backend[slot]!;
    const counted = this.slots.counted[slot] === 1;
    // A try timeout is a failure the proxy sees (a 504 to Envoy's outlier detection).
    if (this.health !== null) this.health.failed(b, Failure.TimedOut, counted);
    this.slots.state[slot] = ORPHAN;
    bs.served[b]!--;
    this.open--;
    this.backends.updateFull(b);
    this.retries.end(slot);
    let next = -1;
    if (this.retries.onTimeout && this.retries.allowed(slot, this.held)) {
      next = this.slots.fill(this.slots.request[slot]!, this.slots.arrival[slot]!, this.slots.work[slot]!, AT_PROXY, counted);
      this.slots.client[next] = this.slots.client[slot]!;
      this.slots.route[next] = this.slots.route[slot]!;
      this.slots.attempt[next] = this.slots.attempt[slot]!;
      this.slots.lastBackend[next] = b;
      if (this.slots.triedStride > 0) this.slots.tried.copyWithin(next * this.slots.triedStride, slot * this.slots.triedStride, (slot + 1) * this.slots.triedStride);
      this.retries.start(next);
    } else {
      this.held--;
      this.recorder.timeout(b, counted);
    }
    // The connection it held goes to a queued request first (it waited), then the retry is placed (after its back-off).
    this.drain(b);
    if (next >= 0) this.retryAfter(next, this.retries.backoffMs(next, false));
  }

  protected override complete(slot: number): void {
    const t = this.now;
    const bs = this.backends;
    const b = this.slots.backend[slot]!;
    const id = attemptId(this.slots, slot);
    const service = t - this.slots.sentAt[slot]!;
    if (this.slots.state[slot] === ORPHAN) {
      // Work nobody waits for any more: only the backend's slot is freed.
      this.recorder.touch(b);
      this.freeBackendSlot(b, slot);
      if (this.onComplete !== undefined) this.onComplete(b, service, id);
      return;
    }
    const latency = t - this.slots.arrival[slot]!;
    const counted = this.slots.counted[slot] === 1;
    if (latency > this.timeoutMs) this.recorder.finishLate(b, counted);
    else this.recorder.finish(b, durationUs(latency), counted);
    // Answered before its try timed out: that timer goes idle.
    if (this.proxy.perTryTimeoutMs !== Number.POSITIVE_INFINITY) this.idleTimers++;
    this.retries.end(slot);
    this.held--;
    bs.served[b]!--;
    this.open--;
    this.freeBackendSlot(b, slot);
    this.backends.updateFull(b);
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
    this.backends.updateFull(b); // slow start stopped: the usual maxconn again
    if (this.proxy.redispatch === 'never') return;
    // One pass over the queue as it stands (HAProxy walks it once), so nothing can cycle.
    for (let n = bs.proxyQueued[b]!; n > 0 && bs.proxyQueued[b]! > 0; n--) {
      const slot = this.queues.server.peek(b);
      this.unqueue(slot, true);
      this.slots.keepServer[slot] = 0;
      this.assign(slot);
    }
  }

  /** The balancer now takes b for up: it takes queued requests (pendconn_grab_from_px and its own queue), up to its maxconn now (1 when slow start begins). */
  private believedUp(b: number): void {
    this.backends.updateFull(b);
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
    this.backends.updateFull(b);
    if (bs.weight[b]! <= 0) return;
    while (bs.served[b]! < bs.maxconn[b]!) {
      const slot = this.queues.nextShared();
      if (slot < 0) return;
      this.unqueue(slot, true);
      this.recorder.leftProxyQueue(b, this.now - this.slots.queuedAt[slot]!, this.slots.counted[slot] === 1);
      this.send(slot, b);
    }
  }

  protected override abandonSlot(s: number): void {
    if (this.slots.backend[s] === -1 || this.slots.state[s] === ORPHAN) return;
    if (this.slots.state[s] === QUEUED || this.slots.state[s] === WAITING) this.recorder.abandon(-1, this.slots.counted[s] === 1);
    else super.abandonSlot(s);
  }
}
