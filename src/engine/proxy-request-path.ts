/**
 * A request's own path through the proxy layer (proxy.ts has the rules and which real
 * load balancer each follows): it arrives, is assigned a backend (or keeps its retry's),
 * and is sent, queued at the proxy or failed there; an attempt its backend refuses is
 * retried or rejected; a backend that frees a connection takes the next queued request
 * (drain); its answer completes it. Each step runs once or more per request in the
 * engine's hot loop, so the rules of DEVELOPERS.md's "Hot loop" hold here: no closures,
 * no allocation per event, fields set in the constructor.
 *
 * The path schedules the proxy's timers (timeout queue, per_try_timeout) and a delayed
 * retry's start as events; ProxySimulation (proxy.ts) runs them, with what else acts on
 * requests from outside their path: the balancer's belief about a server changing, the
 * run's cut-off and time split. Those take the steps here (assign, send, unqueue, drain,
 * retryAfter, failAtProxy) and keep the counters too: hence the protected members. A
 * subclass rather than a part the simulation owns, so that they stay direct calls on
 * one object, as before the split.
 */
import { durationUs } from '../metrics/recorder.ts';
import type { TrafficSource } from '../traffic/source.ts';
import { EventKind, PROXY_PRIORITY } from './events.ts';
import type { ProxyOptions } from './proxy-options.ts';
import { ProxyQueues } from './proxy-queues.ts';
import { attemptId, Retries } from './proxy-retries.ts';
import { AT_PROXY, ProxySlots, SlotStatus } from './proxy-slots.ts';
import { Failure } from './server-health-types.ts';
import { Simulation } from './simulation.ts';
import type { SimulationOptions } from './simulation-options.ts';

// Where a request slot stands (ProxySlots.state; proxy-state.ts says what each means).
const { Sent: SENT, Orphan: ORPHAN, Waiting: WAITING } = SlotStatus;

export abstract class ProxyRequestPath extends Simulation {
  readonly proxy: ProxyOptions;
  protected readonly queues: ProxyQueues;
  /** Requests the proxy holds: queued or sent, not abandoned (Envoy's active + pending). */
  protected held = 0;
  /** Requests open on all backends together (for max_requests). */
  protected open = 0;
  protected readonly retries: Retries;
  /** Session persistence is on: the balancer says whether a pick followed a client's pin (ProxySlots.direct). */
  private readonly pinning: boolean;

  /** The requests in flight, with the proxy's columns beside the engine's. */
  declare protected readonly slots: ProxySlots;

  constructor(options: SimulationOptions, proxy: ProxyOptions, source: TrafficSource, chunkCapacity?: number) {
    super(options, source, chunkCapacity, new ProxySlots(proxy.previousHosts === null && !proxy.excludeTried ? 0 : proxy.retries + 1));
    this.proxy = proxy;
    this.queues = new ProxyQueues(this.backends, this.slots);
    this.retries = new Retries(proxy, this.backends, this.balancer, this.slots, this.recorder, options.seed, Uint8Array.from(options.backends, (s) => (s.backup === true ? 1 : 0)));
    this.recorder.attachProxy(this.queues.depth);
    this.pinning = this.balancer.pickedDirect !== undefined;
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
    this.slots.direct[slot] = 0;
    this.held++;
    this.assign(slot);
  }

  /** One attempt: pick (or keep) a backend, then send, queue or fail. */
  protected assign(slot: number): void {
    const bs = this.backends;
    const sl = this.slots;
    const attempt = sl.attempt[slot]!;
    // A retry stays with its server unless redispatched (keepServer 0); under holdServer
    // (HAProxy) it still holds the connection slot its failed attempt took there.
    const keeps = attempt > 0 && sl.keepServer[slot] === 1;
    const holding = keeps && this.proxy.holdServer;
    if (this.open >= this.proxy.maxRequests) {
      if (holding) {
        this.releaseHeld(sl.lastBackend[slot]!);
        if (this.balancer.onRefused !== undefined) this.balancer.onRefused(sl.lastBackend[slot]!);
      }
      return this.failAtProxy(slot, false);
    }
    // HAProxy: SI_ST_ASS → connect_server, no queue: its slot is still its own.
    if (holding) return this.send(slot, sl.lastBackend[slot]!, true);
    let b: number;
    const health = this.health;
    if (keeps) b = sl.lastBackend[slot]!;
    else {
      if (health !== null) health.beforePick();
      if (bs.upCount === 0 && !this.persist) b = -1;
      else if (attempt > 0) b = this.retries.pick(slot);
      else {
        b = this.balancer.pick(sl.request[slot]!, sl.client[slot]!, sl.route[slot]!);
        // Sent where its client is pinned (HAProxy SF_DIRECT), not by the algorithm.
        if (this.pinning) sl.direct[slot] = this.balancer.pickedDirect!() ? 1 : 0;
      }
    }
    // HAProxy srv_redispatch_connect, SRV_STATUS_FULL: a request sent directly (a client's
    // pin, SF_DIRECT) to a server full at the proxy with its queue at maxqueue is
    // redispatched under `option redispatch` — the algorithm picks, and the client is
    // pinned to where it goes — else answered 503 below. Only a pin lands here: "normal
    // LB algorithms would never select such a server, and hash algorithms would bring us
    // on the same server again". A retry that kept its pinned server never does under
    // holdServer: it connects on the slot it holds.
    if (b >= 0 && bs.full[b] === 1 && this.proxy.queue && bs.proxyQueued[b]! >= bs.maxqueue[b]! && this.proxy.redispatch !== 'never' && sl.direct[slot] === 1) {
      sl.direct[slot] = 0;
      b = this.balancer.repick!(sl.request[slot]!, sl.client[slot]!, sl.route[slot]!);
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

  /**
   * Sends the attempt to backend b (not full at the proxy, or `holding` a slot of b already:
   * a retry under holdServer); b may still refuse it: in an outage, or its own queue full.
   */
  protected send(slot: number, b: number, holding = false): void {
    const bs = this.backends;
    const t = this.now;
    // The host of this attempt (previous_hosts, nginx's tried peers): where it is sent, refused or not.
    if (this.slots.triedStride > 0) this.slots.tried[slot * this.slots.triedStride + this.slots.attempt[slot]!] = b;
    if (bs.serving[b] === 0) return this.refused(slot, b, this.retries.onRefused, holding);
    const idle = bs.busy[b]! < bs.concurrency[b]!;
    if (!idle && bs.queued[b]! >= bs.queueLimit[b]!) return this.refused(slot, b, this.retries.on503, holding);
    if (this.health !== null) this.health.picked(b);
    this.slots.backend[slot] = b;
    this.admitAt(b, slot, idle);
    // A held slot is now the attempt's own: `served` already counts it.
    if (holding) {
      bs.held[b]!--;
      bs.heldTotal--;
    } else bs.served[b]!++;
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

  /**
   * Backend b refused the attempt at once (down, or its queue full): retry or reject.
   * `holding`: the attempt was a retry on a slot of b it held (holdServer). Under
   * holdServer a retry that stays with b holds a slot of it from now on (HAProxy counted
   * the failed attempt in b's `served`, and keeps it there); one that leaves b, or no
   * retry, gives it back (sess_change_server(s, NULL), and b's queue moves on).
   */
  private refused(slot: number, b: number, retryable: boolean, holding: boolean): void {
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
      if (this.proxy.holdServer) {
        const keeps = this.slots.keepServer[slot] === 1;
        if (keeps && !holding) this.hold(b);
        else if (!keeps && holding) this.releaseHeld(b);
      }
      // HAProxy took a slot of b for the attempt and drops it now, or keeps it for the retry;
      // a retry that held one and stays has nothing to tell.
      if (this.balancer.onRefused !== undefined && !(holding && this.slots.keepServer[slot] === 1)) this.balancer.onRefused(b);
      this.retryAfter(slot, this.retries.backoffMs(slot, this.backends.serving[b] === 0));
      return;
    }
    this.held--;
    this.recorder.reject(b, counted);
    this.slots.release(slot);
    if (holding) this.releaseHeld(b);
    if (this.balancer.onRefused !== undefined) this.balancer.onRefused(b);
  }

  /** A retry staying with b keeps a slot of it (holdServer): b's `served` counts it. */
  protected hold(b: number): void {
    this.backends.served[b]!++;
    this.backends.held[b]!++;
    this.backends.heldTotal++;
    this.backends.updateFull(b);
  }

  /** A slot of b a retry held is given back: b takes its next queued request (the caller tells the balancer). */
  protected releaseHeld(b: number): void {
    this.backends.served[b]!--;
    this.backends.held[b]!--;
    this.backends.heldTotal--;
    this.backends.updateFull(b);
    this.drain(b);
  }

  /** The proxy's own 503/502: no queue, maxqueue, a circuit breaker, or (queueTimeout) timeout queue. */
  protected failAtProxy(slot: number, queueTimeout: boolean): void {
    this.retries.end(slot);
    this.held--;
    this.recorder.rejectAtProxy(this.slots.counted[slot] === 1, queueTimeout);
    this.slots.release(slot);
  }

  /** The retry in `slot` starts after `delayMs` (at once when 0). */
  protected retryAfter(slot: number, delayMs: number): void {
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
  protected unqueue(slot: number, head: boolean): void {
    if (this.proxy.timeoutQueueMs !== Number.POSITIVE_INFINITY) this.idleTimers++;
    this.recorder.touchProxy();
    this.queues.leave(slot, head);
  }

  /**
   * Backend b may take queued requests: while it has fewer than maxconn open, the older of
   * its own queue's head and the backend queue's head (ProxyQueues.nextFor). The backend
   * queue only while the balancer may choose b (`up`, a weight); its own queue always, as
   * HAProxy 2.6's process_srv_queue does (`px_ok` gates only the backend's queue): a
   * backup hidden while the primaries serve still serves the requests persistence pinned
   * to it, and a server believed down whose queue was not handed back (no `option
   * redispatch`, or `option persist`) still sends it its queued requests as its
   * connections close — refused if it is really down, then retried or failed.
   */
  protected drain(b: number): void {
    const bs = this.backends;
    const usable = bs.up[b] === 1 && bs.weight[b]! > 0;
    while (bs.served[b]! < bs.maxconn[b]!) {
      const slot = this.queues.nextFor(b, usable);
      if (slot < 0) return;
      this.takeQueued(slot, b);
    }
  }

  /**
   * Backend b takes `slot`, the head of its line, from the proxy's queue. One that waited
   * in the backend-wide line was balanced to no server, so the balancer learns where it
   * went once it is sent (Balancer.assigned: session persistence pins its client there).
   */
  protected takeQueued(slot: number, b: number): void {
    const sl = this.slots;
    const shared = sl.line[slot] === -1;
    this.unqueue(slot, true);
    this.recorder.leftProxyQueue(b, this.now - sl.queuedAt[slot]!, sl.counted[slot] === 1);
    this.send(slot, b);
    if (shared && this.balancer.assigned !== undefined && sl.state[slot] === SENT && sl.backend[slot] === b) this.balancer.assigned(b, sl.client[slot]!);
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

}
