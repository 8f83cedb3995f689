/**
 * The discrete-event engine. One pending arrival (the next request of the traffic
 * stream) plus a typed-array heap of scheduled events (completions, outage starts and
 * ends). Requests in flight live in columnar "slots" reused through a free list, so the
 * hot loop allocates nothing per request or per event.
 *
 * Events at equal times run in a fixed order, part of the determinism contract: see
 * events.ts.
 *
 * A simulation may cover a *window* [startMs, endMs) of a longer run: it starts from a
 * given (or guessed) state at startMs and stops before the first event at or after endMs.
 * See src/parallel/time-split.ts.
 *
 * The engine knows nothing of files, terminals or threads: traffic comes from a
 * TrafficSource, decisions from a Balancer, and statistics go to a Recorder.
 */
import type { Balancer } from '../balancers/types.ts';
import { markMutable } from '../jit/mutable-fields.ts';
import { durationUs, instantUs, Recorder } from '../metrics/recorder.ts';
import { RequestChunk, type TrafficSource } from '../traffic/source.ts';
import { BackendState } from './backends.ts';
import { balancerContext } from './balancer-context.ts';
import { EventQueue } from './event-queue.ts';
import { EventKind, HEALTH_PRIORITY, NEVER } from './events.ts';
import { hideOpenAtStart, openAtStart, outageCloses, outageOpens, scheduleOutages } from './outages.ts';
import { RequestSlots } from './request-slots.ts';
import { Failure, ServerHealth, SERVER_SET_DEFAULTS, spreadBackupsOf, usesServerHealth } from './server-health.ts';
import { SIMULATION_DEFAULTS, type SimulationOptions } from './simulation-options.ts';
import { captureEngine, type EngineParts, restoreEngine, type StateSlots } from './snapshot.ts';
import { type DecodedState, type EngineState, readState, writeState } from './state.ts';

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
  private pauseAt = NEVER;
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
  /** The requests in flight (columns by slot). */
  protected readonly slots: RequestSlots;

  /** Balancer.persist (HAProxy `option persist`): the balancer is asked even while no backend is up. */
  protected readonly persist: boolean;
  protected readonly onDispatch: ((b: number, request: number) => void) | undefined;
  protected readonly onComplete: ((b: number, latencyMs: number, request: number) => void) | undefined;

  /** `slots`: the proxy layer's, with its own columns beside the engine's. */
  constructor(options: SimulationOptions, source: TrafficSource, chunkCapacity = 16_384, slots = new RequestSlots()) {
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
    this.slots = slots;
    this.chunk = new RequestChunk(chunkCapacity);
    this.backends = new BackendState(options.backends);
    this.recorder = new Recorder({ backends: this.backends.count, intervalMs, warmupMs: this.warmupMs, startMs: this.startMs });
    this.trafficEnd = options.trafficEndMs ?? source.endTime;
    this.stopAt = this.trafficEnd + this.timeoutMs;
    const bs = this.backends;
    openAtStart(options.backends, bs, this.startMs);
    const serverSet = options.serverSet ?? SERVER_SET_DEFAULTS;
    const balancerOptions = options.balancerOptions ?? {};
    const firstBackupRule = spreadBackupsOf(options.backends, serverSet, options.balancer, balancerOptions);
    this.health = usesServerHealth(options.backends, serverSet)
      ? new ServerHealth(options.backends, serverSet, this.backends, this.recorder, this, (task, t) => this.queue.push(t, HEALTH_PRIORITY + task, EventKind.Health, task), this.warmupMs, firstBackupRule !== undefined)
      : null;
    // With health knobs the balancer is created seeing the (guessed) beliefs and hidden backups.
    this.health?.start(this.startMs);
    if (this.health !== null) bs.believed = this.health.believed;

    this.balancer = options.balancer.create(balancerContext(bs, options.seed, balancerOptions, () => this.now, firstBackupRule));
    this.persist = this.balancer.persist === true;
    this.onDispatch = this.balancer.onDispatch?.bind(this.balancer);
    this.onComplete = this.balancer.onComplete?.bind(this.balancer);
    this.health?.attach(this.balancer);

    if (this.health === null) hideOpenAtStart(bs);
    scheduleOutages(options.backends, this.queue, this.startMs);
    this.recorder.attach(bs.busy, bs.queued);
    this.loadNextArrival();
    // Written on every event, or first at a window's pause or end: see jit/mutable-fields.ts.
    markMutable(this, ['pauseAt', 'now', 'lastEventMs', 'idleTimers', 'events', 'arrived', 'done', 'cursor', 'nextArrival']);
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
    this.pauseAt = NEVER;
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
      // nothing: once only these are left, the run is over. So is it once the traffic has
      // ended and no request is left anywhere: an outage ending an hour after the last
      // answer would otherwise stretch the run (and its time series) to that hour.
      const over = na === NEVER && (q.size === (health === null ? 0 : health.queued) + this.idleTimers || this.slots.live === 0);
      // When `over`, t is NEVER in effect and the test below ends the run. NEVER is not
      // written into ht or t: a value that may be the module constant (a tagged heap number)
      // is tagged too, and V8 then boxed both times in new heap numbers on every event.
      const ht = q.peekTime();
      // One exit and one tick for both kinds of event: each call site V8 inlines is a copy
      // of its own, and a copy's first rare path taken (a pause, a boundary) deoptimizes.
      const t = ht <= na ? ht : na;
      if (over || t >= limit || t > stopAt) return this.stopBefore(over);
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
    const ht = over ? NEVER : this.queue.peekTime();
    const p = this.pauseAt;
    // A pause needs something left to run; with nothing left the run ends instead.
    if (p !== NEVER && ht >= p && na >= p && (ht !== NEVER || na !== NEVER)) return this.pause();
    const t = Math.min(ht, na);
    if (t === NEVER) return this.endMs === NEVER ? this.finish(this.now) : this.endWindow();
    if (t >= this.endMs) return this.endWindow();
    return this.cutOff();
  }

  /** The engine's state now, in canonical form (see state.ts). */
  snapshot(): EngineState {
    return writeState(this.capture().state);
  }

  /**
   * The canonical state (its proxy part empty) and the slot of each request it lists
   * (snapshot.ts); the proxy layer adds its own part, naming requests by these lists.
   */
  protected capture(): { state: DecodedState; slots: StateSlots } {
    return captureEngine(this.engineParts());
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
    return restoreEngine(this.engineParts(), s);
  }

  private engineParts(): EngineParts {
    return { backends: this.backends, queue: this.queue, slots: this.slots, balancer: this.balancer, health: this.health, recorder: this.recorder };
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
        this.nextArrival = NEVER;
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
    const b = bs.upCount > 0 || this.persist ? this.balancer.pick(request, c.client[i]!, c.route[i]!) : -1;
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
    const sl = this.slots;
    const slot = sl.take(request, b, counted);
    sl.arrival[slot] = t;
    sl.work[slot] = c.work[i]!;
    this.admitAt(b, slot, idle);
    rec.admit(b, counted);
    if (this.onDispatch !== undefined) this.onDispatch(b, request);
  }

  /** Backend b takes `slot` now: into service when `idle`, else into its queue (which has room). */
  protected admitAt(b: number, slot: number, idle: boolean): void {
    const bs = this.backends;
    this.recorder.touch(b);
    bs.inFlight[b]!++;
    bs.inFlightTotal++;
    if (idle) {
      bs.busy[b]!++;
      const q = this.queue;
      q.at = this.now + this.slots.work[slot]! / bs.speed[b]!;
      q.schedule(EventKind.Completion, EventKind.Completion, slot);
    } else {
      bs.enqueue(b, slot);
    }
  }

  /** Request slot `slot` finishes now. Its completion event is still the heap's top: this removes it. */
  protected complete(slot: number): void {
    const t = this.now;
    const bs = this.backends;
    const sl = this.slots;
    const b = sl.backend[slot]!;
    const latency = t - sl.arrival[slot]!;
    const request = sl.request[slot]!;
    const counted = sl.counted[slot] === 1;
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
    bs.inFlightTotal--;
    this.slots.release(slot);
    if (bs.queued[b]! > 0) {
      // The freed slot goes to the head of the line: busy stays, the queue shrinks.
      const next = bs.dequeue(b);
      const q = this.queue;
      q.at = this.now + this.slots.work[next]! / bs.speed[b]!;
      q.replaceTop(EventKind.Completion, EventKind.Completion, next);
    } else {
      this.queue.pop();
      bs.busy[b]!--;
    }
  }

  /** Events of the proxy layer (queue and try timeouts, delayed retries, at `now`); the plain engine schedules none. */
  protected proxyEvent(kind: number, _payload: number): void {
    throw new Error(`event kind ${kind} without a proxy layer`);
  }

  /** An outage of backend b opens now (outages.ts); the proxy layer adds what its queue does. */
  protected goDown(b: number): void {
    outageOpens(this.backends, this.health, this.balancer, b);
  }

  protected comeUp(b: number): void {
    outageCloses(this.backends, this.health, this.balancer, b);
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
    for (let s = 0; s < this.slots.used; s++) this.abandonSlot(s);
    return this.finish(this.stopAt);
  }

  /** At the cut-off: the request in `slot`, if any, has timed out. */
  protected abandonSlot(s: number): void {
    const b = this.slots.backend[s]!;
    if (b >= 0) this.recorder.abandon(b, this.slots.counted[s] === 1);
  }
}
