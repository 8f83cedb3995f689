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
 *   from assign_server_and_queue), or, for a request sent there by session persistence,
 *   redispatched under `option redispatch` (srv_redispatch_connect; proxy-request-path.ts).
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
 *   work several times). Under HAProxy (ProxyOptions.holdServer) a retry that stays with
 *   its server keeps the slot its failed attempt took there (`served`, BackendView.held)
 *   until it connects again, without a queue, or gives the slot back (a redispatch, the
 *   retries run out); elsewhere a failed attempt frees its slot at once.
 *
 * Everything stays allocation-free per request: per-slot columns (proxy-slots.ts) and
 * rings of slots.
 *
 * Where each part is: a request's own path — arrival, pick, send, the proxy's queues,
 * refusal and retry, drain, completion: the steps the hot loop runs per request — is
 * ProxySimulation's base, ProxyRequestPath (proxy-request-path.ts). ProxySimulation,
 * here, adds what acts on requests from outside that path: the timers (timeout queue,
 * per_try_timeout) and delayed retries coming due, the balancer's belief about a server
 * changing (its queue handed back, or the backend queue grabbed), the cut-off, and the
 * state for time split.
 *
 * Time-split replay: the proxy's queues, waiting retries, pending timers and each
 * request's attempt state are the proxy's part of the canonical EngineState
 * (proxy-state.ts), so these runs are split in time like plain ones.
 */
import type { TrafficSource } from '../traffic/source.ts';
import { EventKind } from './events.ts';
import { needsProxy, type ProxyOptions } from './proxy-options.ts';
import { ProxyRequestPath } from './proxy-request-path.ts';
import { AT_PROXY, SlotStatus } from './proxy-slots.ts';
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

export class ProxySimulation extends ProxyRequestPath {
  constructor(options: SimulationOptions, proxy: ProxyOptions, source: TrafficSource, chunkCapacity?: number) {
    super(options, proxy, source, chunkCapacity);
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
      holdServer: this.proxy.holdServer,
      counters: { held: this.held, open: this.open, activeRetries: this.retries.active },
      queue: this.queue,
      slots: this.slots,
    };
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
      this.slots.direct[next] = this.slots.direct[slot]!;
      if (this.slots.triedStride > 0) this.slots.tried.copyWithin(next * this.slots.triedStride, slot * this.slots.triedStride, (slot + 1) * this.slots.triedStride);
      this.retries.start(next);
      // Under holdServer a retry that stays with b holds a slot of it, as one after a refusal does.
      if (this.proxy.holdServer && this.slots.keepServer[next] === 1) this.hold(b);
    } else {
      this.held--;
      this.recorder.timeout(b, counted);
    }
    // The connection it held goes to a queued request first (it waited), unless its retry holds it; then the retry is placed (after its back-off).
    this.drain(b);
    if (next >= 0) this.retryAfter(next, this.retries.backoffMs(next, false));
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
    // `(options & (PR_O_REDISP|PR_O_PERSIST)) != PR_O_REDISP`: the queue stays.
    if (this.proxy.redispatch === 'never' || this.persist) return;
    // One pass over the queue as it stands (HAProxy walks it once), so nothing can cycle.
    for (let n = bs.proxyQueued[b]!; n > 0 && bs.proxyQueued[b]! > 0; n--) {
      const slot = this.queues.server.peek(b);
      this.unqueue(slot, true);
      // pendconn_redistribute clears SF_ASSIGNED and SF_DIRECT: balanced afresh, past any pin.
      this.slots.keepServer[slot] = 0;
      this.slots.direct[slot] = 0;
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
      this.takeQueued(slot, b);
    }
  }

  protected override abandonSlot(s: number): void {
    if (this.slots.backend[s] === -1 || this.slots.state[s] === ORPHAN) return;
    if (this.slots.state[s] === QUEUED || this.slots.state[s] === WAITING) this.recorder.abandon(-1, this.slots.counted[s] === 1);
    else super.abandonSlot(s);
  }
}
