/**
 * The discrete-event engine. One pending arrival (the next request of the traffic
 * stream) plus a typed-array heap of scheduled events (completions, outage starts and
 * ends). Requests in flight live in columnar "slots" reused through a free list, so the
 * hot loop allocates nothing per request or per event.
 *
 * Event order at equal times (part of the determinism contract):
 *   1. completions, 2. backends coming back up, 3. backends going down,
 *   4. server-health work (server-health.ts), in this order: health checks, passive-check
 *      recoveries, outlier-detection sweeps, slow-start weight ticks;
 *   5. proxy queue timeouts, 6. per-try timeouts (both only with the proxy layer,
 *      src/engine/proxy.ts: a request whose queue timeout falls at the instant a slot
 *      frees is served — it waited exactly `timeout_queue`, not longer — and an answer
 *      arriving at the instant its try times out counts as an answer); 7. retries whose
 *      back-off or turn-around ends (proxy layer); 8. arrivals.
 * Within one kind, the event scheduled first runs first (health work has at most one
 * pending event per sub-kind, and handles every backend due then in index order).
 * So a request arriving at the instant another finishes sees the freed slot, a request
 * arriving at the instant an outage starts is refused, and a health check at that
 * instant fails.
 *
 * A simulation may cover a *window* [startMs, endMs) of a longer run: it starts from a
 * given (or guessed) state at startMs and stops before the first event at or after endMs.
 * See src/parallel/time-split.ts.
 *
 * The engine knows nothing of files, terminals or threads: traffic comes from a
 * TrafficSource, decisions from a Balancer, and statistics go to a Recorder.
 */
import type { Balancer, BalancerContext, BalancerModule } from '../balancers/types.ts';
import { durationUs, instantUs, Recorder } from '../metrics/recorder.ts';
import { Purpose, streamKey, uniform } from '../random/counter-rng.ts';
import { RequestChunk, type TrafficSource } from '../traffic/source.ts';
import { BackendState, type BackendSpec } from './backends.ts';
import { EventQueue } from './event-queue.ts';
import { Failure, ServerHealth, type ServerSetSpec, SERVER_SET_DEFAULTS, usesServerHealth } from './server-health.ts';
import { type DecodedState, type EngineState, readState, writeState } from './state.ts';

/**
 * Event kinds double as their priority at equal times (lower runs first); a Health event's
 * payload is its HealthTask, and its priority is HEALTH_PRIORITY + task.
 */
export const EventKind = { Completion: 0, BackendUp: 1, BackendDown: 2, Health: 3, QueueTimeout: 4, TryTimeout: 5, Retry: 6 } as const;
const HEALTH_PRIORITY = 3;
/** Priorities of the proxy layer's events: after the four health tasks (HEALTH_PRIORITY + 0..3). */
export const PROXY_PRIORITY = { QueueTimeout: HEALTH_PRIORITY + 4, TryTimeout: HEALTH_PRIORITY + 5, Retry: HEALTH_PRIORITY + 6 } as const;

export interface SimulationOptions {
  backends: readonly BackendSpec[];
  balancer: BalancerModule;
  /** Options of the scenario's balancer section, passed to the balancer. @default {} */
  balancerOptions?: Record<string, unknown>;
  seed: number;
  /** Time-series bucket. @default 1000 */
  intervalMs?: number;
  /** Requests arriving before this are simulated but not counted. @default 0 */
  warmupMs?: number;
  /** Client timeout. @default Infinity (none) */
  timeoutMs?: number;
  /** Start of the window this simulation covers (an interval boundary). @default 0 */
  startMs?: number;
  /** End of the window: stop before the first event at or after it. @default Infinity (run to the end) */
  endMs?: number;
  /** Sequence number of the window's first request (the requests before it). @default 0 */
  firstRequest?: number;
  /** Where the traffic as a whole ends (duration or last arrival), for the timeout cut-off. @default source.endTime */
  trafficEndMs?: number;
  /** Balancer-wide server-health knobs (backups, outlier detection); per-backend ones are in `backends`. @default SERVER_SET_DEFAULTS */
  serverSet?: ServerSetSpec;
}

/** The request slots a state lists at the backends: in service (in completion order) and in each backend's line. */
export interface StateSlots {
  inService: number[];
  waiting: number[][];
}

export const SIMULATION_DEFAULTS = { intervalMs: 1000, warmupMs: 0, timeoutMs: Number.POSITIVE_INFINITY, startMs: 0, endMs: Number.POSITIVE_INFINITY, firstRequest: 0 } as const;

/** Draw indices a balancer may use per request through ctx.random(request, draw) with precomputed keys; more are derived on demand. */
const PRECOMPUTED_DRAWS = 8;

export class Simulation {
  readonly backends: BackendState;
  readonly recorder: Recorder;
  readonly balancer: Balancer;
  /** What the balancer knows of its servers; null when no health knob is used (then `up` is the truth). */
  readonly health: ServerHealth | null;
  readonly timeoutMs: number;
  readonly warmupMs: number;
  readonly startMs: number;
  readonly endMs: number;
  /** A pause requested by runUntil(): events at or after it wait. */
  private pauseAt = Number.POSITIVE_INFINITY;
  /** Traffic end plus timeout: every request still in flight then has timed out, so the run stops there. */
  readonly stopAt: number;
  /** When the traffic ends (last arrival at or before it). */
  readonly trafficEnd: number;

  /** Simulated time of the last event (or the window's start or end), ms. */
  now: number;
  /** Time of the last event processed; -Infinity before the first. */
  lastEventMs = Number.NEGATIVE_INFINITY;
  /** Proxy timers in the event queue whose request has moved on (src/engine/proxy.ts): they will do nothing. */
  protected idleTimers = 0;
  /** Events processed (arrivals + scheduled events). */
  events = 0;
  /** Sequence number of the next request to arrive. */
  arrived: number;
  done = false;

  private readonly source: TrafficSource;
  protected readonly queue = new EventQueue(1024);
  protected readonly chunk: RequestChunk;
  protected cursor = 0;
  private nextArrival = Number.NEGATIVE_INFINITY;

  // Request slots (columnar) and their free list.
  protected slotArrival = new Float64Array(1024);
  protected slotWork = new Float64Array(1024);
  protected slotRequest = new Float64Array(1024);
  protected slotBackend = new Int32Array(1024).fill(-1);
  protected slotCounted = new Uint8Array(1024);
  private free = new Int32Array(1024);
  private freeTop = 0;
  private slotsUsed = 0;

  protected readonly onDispatch: ((b: number, request: number) => void) | undefined;
  protected readonly onComplete: ((b: number, latencyMs: number, request: number) => void) | undefined;

  constructor(options: SimulationOptions, source: TrafficSource, chunkCapacity = 16_384) {
    const d = SIMULATION_DEFAULTS;
    const intervalMs = options.intervalMs ?? d.intervalMs;
    this.warmupMs = options.warmupMs ?? d.warmupMs;
    this.timeoutMs = options.timeoutMs ?? d.timeoutMs;
    this.startMs = options.startMs ?? d.startMs;
    this.endMs = options.endMs ?? d.endMs;
    this.now = this.startMs;
    // A small integer as one (see readState): a request count summed from a trace's index is a heap number.
    this.arrived = Math.floor(options.firstRequest ?? d.firstRequest);
    this.source = source;
    this.chunk = new RequestChunk(chunkCapacity);
    this.backends = new BackendState(options.backends);
    this.recorder = new Recorder({ backends: this.backends.count, intervalMs, warmupMs: this.warmupMs, startMs: this.startMs });
    this.trafficEnd = options.trafficEndMs ?? source.endTime;
    this.stopAt = this.trafficEnd + this.timeoutMs;
    // Outages already open at the window's start: their backends start out of service. The
    // state at startMs is before its events run, so an outage ending at startMs is still
    // open (its BackendUp event, at startMs, is scheduled below), as one starting then is not.
    const bs = this.backends;
    options.backends.forEach((spec, b) => {
      for (const w of spec.outages) if (w.from < this.startMs && w.to >= this.startMs && bs.downDepth[b]!++ === 0) bs.serving[b] = 0;
    });
    const serverSet = options.serverSet ?? SERVER_SET_DEFAULTS;
    this.health = usesServerHealth(options.backends, serverSet)
      ? new ServerHealth(options.backends, serverSet, this.backends, this.recorder, this, (task, t) => this.queue.push(t, HEALTH_PRIORITY + task, EventKind.Health, task), this.warmupMs)
      : null;
    // With health knobs the balancer is created seeing the (guessed) beliefs and hidden backups.
    this.health?.start(this.startMs);

    const keys = Array.from({ length: PRECOMPUTED_DRAWS }, (_, k) => streamKey(options.seed, Purpose.Balancer, k));
    const seed = options.seed;
    const ctx: BalancerContext = {
      backends: this.backends,
      now: () => this.now,
      options: options.balancerOptions ?? {},
      random(request, draw) {
        const k = draw < PRECOMPUTED_DRAWS ? keys[draw]! : streamKey(seed, Purpose.Balancer, draw);
        return uniform(k.k1, k.k2, request);
      },
    };
    this.balancer = options.balancer.create(ctx);
    this.onDispatch = this.balancer.onDispatch?.bind(this.balancer);
    this.onComplete = this.balancer.onComplete?.bind(this.balancer);
    this.health?.attach(this.balancer);

    // Without health knobs the balancer was created with every backend up; those in an
    // outage at the window's start are down from here (createSimulation tells it).
    if (this.health === null) {
      for (let b = 0; b < bs.count; b++) {
        if (bs.serving[b] === 0) {
          bs.up[b] = 0;
          bs.upCount--;
        }
      }
    }
    options.backends.forEach((spec, b) => {
      for (const w of spec.outages) {
        if (w.to < this.startMs) continue;
        if (w.from >= this.startMs) this.queue.push(w.from, EventKind.BackendDown, EventKind.BackendDown, b);
        this.queue.push(w.to, EventKind.BackendUp, EventKind.BackendUp, b);
      }
    });
    this.recorder.attach(bs.busy, bs.queued);
    for (let i = 0; i < this.free.length; i++) this.free[i] = this.free.length - 1 - i;
    this.freeTop = this.free.length;
    this.loadNextArrival();
  }

  /** Runs to the end (of the run or of the window). */
  run(): void {
    while (!this.advance(1 << 20));
  }

  /**
   * Runs every event before `tMs` (an interval boundary inside the window) and stops
   * there with the recorder's clock at tMs: the state is then the state *at* tMs, ready
   * for snapshot() and recorder.checkpoint(). Returns false if the run ended first.
   */
  runUntil(tMs: number): boolean {
    while (!this.advanceUntil(tMs, 1 << 20));
    return !this.done;
  }

  /**
   * One slice of runUntil(tMs): up to `maxEvents` events before tMs. Returns true once it
   * paused at tMs or the run ended, so a caller can run to a boundary in slices.
   */
  advanceUntil(tMs: number, maxEvents: number): boolean {
    this.pauseAt = tMs;
    const stopped = this.advance(maxEvents);
    this.pauseAt = Number.POSITIVE_INFINITY;
    return stopped;
  }

  /** Ends the run at the instant runUntil() paused at, as if the window ended there. */
  stopHere(): void {
    this.recorder.closeAtBoundary(instantUs(this.now));
    this.done = true;
  }

  /**
   * Processes up to `maxEvents` events and returns true when the run has ended (or
   * reached a pause of runUntil()). Callers that show progress run it in slices and read
   * `now`, `events` and the backend state between slices.
   */
  advance(maxEvents: number): boolean {
    if (this.done) return true;
    const q = this.queue;
    // Events before `limit` and not after stopAt run here; the next one beyond either
    // ends the run, the window or the slice (stopBefore), so the loop tests two bounds.
    const limit = Math.min(this.pauseAt, this.endMs);
    const stopAt = this.stopAt;
    const health = this.health;
    for (let n = 0; n < maxEvents; n++) {
      const na = this.nextArrival;
      // Health checks and ticks go on for ever, and a proxy timer whose request is gone does
      // nothing: once only these are left, the run is over.
      const over = na === Number.POSITIVE_INFINITY && q.size === (health === null ? 0 : health.queued) + this.idleTimers;
      const ht = over ? Number.POSITIVE_INFINITY : q.peekTime();
      // One exit and one tick for both kinds of event: each call site V8 inlines is a copy
      // of its own, and a copy's first rare path taken (a pause, a boundary) deoptimizes.
      const t = ht <= na ? ht : na;
      if (t >= limit || t > stopAt) return this.stopBefore(over);
      this.tick(t);
      if (ht <= na) {
        const kind = q.peekKind();
        const payload = q.peekPayload();
        // A completion takes its own event off the heap (see complete()).
        if (kind === EventKind.Completion) this.complete(payload);
        else {
          q.pop();
          if (kind === EventKind.BackendDown) this.goDown(payload);
          else if (kind === EventKind.BackendUp) this.comeUp(payload);
          else if (kind === EventKind.Health) health!.run(payload);
          else this.proxyEvent(kind, payload);
        }
      } else {
        this.arrive();
        this.loadNextArrival();
      }
      this.events++;
    }
    return false;
  }

  /**
   * The next event lies at or after the pause or the window's end, or after stopAt, or
   * there is none: pause there, end the window, cut the run off, or finish it — in that
   * order of precedence. `over`: only events that never end the run are left (advance).
   * The times are read again here, not passed: V8 boxes a double passed to a call it did
   * not inline, and optimized code may box it on every event, not only when it calls
   * (measured: ~16 bytes an event, 64 extra scavenges and ~6% of a 20 M-request window).
   */
  private stopBefore(over: boolean): true {
    const na = this.nextArrival;
    const ht = over ? Number.POSITIVE_INFINITY : this.queue.peekTime();
    const p = this.pauseAt;
    // A pause needs something left to run; with nothing left the run ends instead.
    if (p !== Number.POSITIVE_INFINITY && ht >= p && na >= p && (ht !== Number.POSITIVE_INFINITY || na !== Number.POSITIVE_INFINITY)) return this.pause();
    const t = Math.min(ht, na);
    if (t === Number.POSITIVE_INFINITY) return this.endMs === Number.POSITIVE_INFINITY ? this.finish(this.now) : this.endWindow();
    if (t >= this.endMs) return this.endWindow();
    return this.cutOff();
  }

  /** The engine's state now, in canonical form (see state.ts). */
  snapshot(): EngineState {
    return writeState(this.capture().state);
  }

  /**
   * The canonical state (its proxy part empty) and, beside it, the slot of each request
   * it lists: in service (in completion order) and waiting at each backend. The proxy
   * layer adds its own part, naming those requests by their place in these lists.
   */
  protected capture(): { state: DecodedState; slots: StateSlots } {
    const bs = this.backends;
    const completions = this.queue.pendingOf(EventKind.Completion);
    const slotOf = (s: number) => ({
      request: this.slotRequest[s]!,
      arrival: this.slotArrival[s]!,
      work: this.slotWork[s]!,
      backend: this.slotBackend[s]!,
      counted: this.slotCounted[s]!,
    });
    const slots: StateSlots = { inService: completions.map((c) => c.payload), waiting: Array.from({ length: bs.count }, (_, b) => bs.waiting(b)) };
    const state: DecodedState = {
      downDepth: Array.from(bs.downDepth),
      busy: Array.from(bs.busy),
      inService: completions.map((c) => ({ ...slotOf(c.payload), finish: c.time })),
      waiting: slots.waiting.map((line) => line.map(slotOf)),
      balancer: this.balancer.saveState?.() ?? [],
      health: this.health?.saveState() ?? [],
      proxy: [],
    };
    return { state, slots };
  }

  /**
   * Replaces the start state with `state` (taken by snapshot() at this simulation's
   * startMs in another run). Precondition: nothing has been simulated yet.
   */
  restore(state: EngineState): void {
    this.restoreDecoded(readState(state, this.backends.count));
  }

  /** restore() of a decoded state; returns the slots it filled, in the order the state lists them. */
  protected restoreDecoded(s: DecodedState): StateSlots {
    const bs = this.backends;
    for (let b = 0; b < bs.count; b++) {
      bs.downDepth[b] = s.downDepth[b]!;
      bs.serving[b] = s.downDepth[b] === 0 ? 1 : 0;
      if (this.health === null) bs.up[b] = bs.serving[b]!;
      bs.busy[b] = s.busy[b]!;
    }
    if (this.health === null) {
      // Written only when it changes: V8 treats a field never written since construction as a
      // constant, and writing it deoptimizes all the code that assumed so (measured: a
      // fix-up's first 22 k events ran ~5× slower after a restore that wrote the same count).
      const up = s.downDepth.filter((x) => x === 0).length;
      if (bs.upCount !== up) bs.upCount = up;
    }
    // The beliefs, and the balancer told of what they change, before it loads its own state.
    else this.health.loadState(s.health);
    const slots: StateSlots = { inService: [], waiting: [] };
    for (const r of s.inService) {
      const slot = this.fillSlot(r.request, r.arrival, r.work, r.backend, r.counted === 1);
      this.queue.push(r.finish, EventKind.Completion, EventKind.Completion, slot);
      slots.inService.push(slot);
    }
    s.waiting.forEach((line, b) => {
      const filled: number[] = [];
      for (const r of line) {
        const slot = this.fillSlot(r.request, r.arrival, r.work, b, r.counted === 1);
        bs.enqueue(b, slot);
        filled.push(slot);
      }
      slots.waiting.push(filled);
    });
    for (let b = 0; b < bs.count; b++) bs.inFlight[b] = bs.busy[b]! + bs.queued[b]!;
    if (s.balancer.length > 0) this.balancer.loadState?.(s.balancer);
    this.recorder.attach(bs.busy, bs.queued);
    return slots;
  }

  private tick(t: number): void {
    this.now = t;
    this.lastEventMs = t;
    const us = instantUs(t);
    const rec = this.recorder;
    rec.nowUs = us;
    if (us >= rec.nextCheckUs) rec.crossChecks();
  }

  private loadNextArrival(): void {
    if (++this.cursor >= this.chunk.count) {
      this.source.fill(this.chunk);
      this.cursor = 0;
      if (this.chunk.count === 0) {
        this.nextArrival = Number.POSITIVE_INFINITY;
        return;
      }
    }
    this.nextArrival = this.chunk.arrival[this.cursor]!;
  }

  /**
   * The next request arrives now. (arrive() and complete() read the time from `now`:
   * a double argument to a call V8 does not inline is boxed, an allocation per event.)
   */
  protected arrive(): void {
    const t = this.now;
    const c = this.chunk;
    const i = this.cursor;
    const bs = this.backends;
    const rec = this.recorder;
    const request = this.arrived++;
    const counted = t >= this.warmupMs;
    rec.arrive(counted);
    const health = this.health;
    if (health !== null) health.beforePick();
    const b = bs.upCount > 0 ? this.balancer.pick(request, c.client[i]!, c.route[i]!) : -1;
    if (b < 0) {
      rec.reject(-1, counted);
      if (health !== null) health.noBackend();
      return;
    }
    const idle = bs.busy[b]! < bs.concurrency[b]!;
    if (bs.serving[b] === 0 || (!idle && bs.queued[b]! >= bs.queueLimit[b]!)) {
      // In an outage (the balancer has not noticed, is in panic, or is a custom one) or its queue is full: refused at once, like a 503.
      rec.pick(b, counted);
      rec.reject(b, counted);
      if (health !== null) {
        health.picked(b);
        health.failed(b, bs.serving[b] === 0 ? Failure.Refused : Failure.Rejected, counted);
      }
      return;
    }
    if (health !== null) health.picked(b);
    const slot = this.fillSlot(request, t, c.work[i]!, b, counted);
    this.admitAt(b, slot, idle);
    rec.admit(b, counted);
    if (this.onDispatch !== undefined) this.onDispatch(b, request);
  }

  /** Backend b takes `slot` now: into service when `idle`, else into its queue (which has room). */
  protected admitAt(b: number, slot: number, idle: boolean): void {
    const bs = this.backends;
    this.recorder.touch(b);
    bs.inFlight[b]!++;
    if (idle) {
      bs.busy[b]!++;
      this.queue.push(this.now + this.slotWork[slot]! / bs.speed[b]!, EventKind.Completion, EventKind.Completion, slot);
    } else {
      bs.enqueue(b, slot);
    }
  }

  /** Request slot `slot` finishes now. Its completion event is still the heap's top: this removes it. */
  protected complete(slot: number): void {
    const t = this.now;
    const bs = this.backends;
    const b = this.slotBackend[slot]!;
    const latency = t - this.slotArrival[slot]!;
    const request = this.slotRequest[slot]!;
    const counted = this.slotCounted[slot] === 1;
    // finish() also brings b's areas up to now, before its counts change below.
    if (latency > this.timeoutMs) this.recorder.finishLate(b, counted);
    else this.recorder.finish(b, durationUs(latency), counted);
    this.freeBackendSlot(b, slot);
    if (this.onComplete !== undefined) this.onComplete(b, latency, request);
    const health = this.health;
    if (health !== null) {
      // A passive check learns the outcome when the answer arrives (a timed-out one too: see server-health-passive.ts).
      if (latency > this.timeoutMs) health.failed(b, Failure.TimedOut, counted);
      else health.succeeded(b);
    }
  }

  /**
   * Backend b is done with `slot`, whose completion event is the heap's top (nothing may
   * be pushed before this): the freed service slot goes to the head of its line (the
   * top is replaced by that request's completion), or idles (the top is popped). Call
   * after recorder.touch(b).
   */
  protected freeBackendSlot(b: number, slot: number): void {
    const bs = this.backends;
    bs.inFlight[b]!--;
    this.releaseSlot(slot);
    if (bs.queued[b]! > 0) {
      // The freed slot goes to the head of the line: busy stays, the queue shrinks.
      const next = bs.dequeue(b);
      this.queue.replaceTop(this.now + this.slotWork[next]! / bs.speed[b]!, EventKind.Completion, EventKind.Completion, next);
    } else {
      this.queue.pop();
      bs.busy[b]!--;
    }
  }

  /** Events of the proxy layer (queue and try timeouts, delayed retries, at `now`); the plain engine schedules none. */
  protected proxyEvent(kind: number, _payload: number): void {
    throw new Error(`event kind ${kind} without a proxy layer`);
  }

  protected goDown(b: number): void {
    const bs = this.backends;
    if (bs.downDepth[b]!++ > 0) return;
    bs.serving[b] = 0;
    if (this.health !== null) return this.health.truthChanged(b);
    bs.up[b] = 0;
    bs.upCount--;
    this.balancer.onBackendDown?.(b);
  }

  protected comeUp(b: number): void {
    const bs = this.backends;
    if (--bs.downDepth[b]! > 0) return;
    bs.serving[b] = 1;
    if (this.health !== null) return this.health.truthChanged(b);
    bs.up[b] = 1;
    bs.upCount++;
    this.balancer.onBackendUp?.(b);
  }

  private pause(): true {
    this.now = this.pauseAt;
    this.recorder.advance(instantUs(this.pauseAt));
    return true;
  }

  /** Traffic ended and everything finished: the run ends at the last event. */
  private finish(t: number): true {
    this.recorder.close(instantUs(t));
    this.done = true;
    return true;
  }

  /** The window ends: every event before endMs ran; the state now is the next window's start. */
  private endWindow(): true {
    this.now = this.endMs;
    this.recorder.closeAtBoundary(instantUs(this.endMs));
    this.done = true;
    return true;
  }

  /**
   * The next event lies beyond end + timeout. Every request still in flight arrived
   * before the end, so it has waited longer than the timeout: count it timed out, and
   * stop instead of simulating a backlog whose outcome is already known.
   */
  private cutOff(): true {
    this.tick(this.stopAt);
    for (let s = 0; s < this.slotsUsed; s++) this.abandonSlot(s);
    return this.finish(this.stopAt);
  }

  /** At the cut-off: the request in `slot`, if any, has timed out. */
  protected abandonSlot(s: number): void {
    const b = this.slotBackend[s]!;
    if (b >= 0) this.recorder.abandon(b, this.slotCounted[s] === 1);
  }

  protected fillSlot(request: number, arrival: number, work: number, backend: number, counted: boolean): number {
    if (this.freeTop === 0) this.growSlots();
    const s = this.free[--this.freeTop]!;
    if (s >= this.slotsUsed) this.slotsUsed = s + 1;
    this.slotRequest[s] = request;
    this.slotArrival[s] = arrival;
    this.slotWork[s] = work;
    this.slotBackend[s] = backend;
    this.slotCounted[s] = counted ? 1 : 0;
    return s;
  }

  protected releaseSlot(slot: number): void {
    this.slotBackend[slot] = -1;
    this.free[this.freeTop++] = slot;
  }

  protected growSlots(): void {
    const old = this.slotArrival.length;
    const cap = old * 2;
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const next = make(cap);
      next.set(a);
      return next;
    };
    this.slotArrival = grow(this.slotArrival, (n) => new Float64Array(n));
    this.slotWork = grow(this.slotWork, (n) => new Float64Array(n));
    this.slotRequest = grow(this.slotRequest, (n) => new Float64Array(n));
    this.slotBackend = grow(this.slotBackend, (n) => new Int32Array(n).fill(-1));
    this.slotCounted = grow(this.slotCounted, (n) => new Uint8Array(n));
    const free = new Int32Array(cap);
    // All old slots are in use when the free list is empty; the new ones are free.
    for (let i = 0; i < cap - old; i++) free[i] = cap - 1 - i;
    this.free = free;
    this.freeTop = cap - old;
  }
}
