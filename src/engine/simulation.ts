/**
 * The discrete-event engine. One pending arrival (the next request of the traffic
 * stream) plus a typed-array heap of scheduled events (completions, outage starts and
 * ends). Requests in flight live in columnar "slots" reused through a free list, so the
 * hot loop allocates nothing per request or per event.
 *
 * Event order at equal times (part of the determinism contract):
 *   1. completions, 2. backends coming back up, 3. backends going down, 4. arrivals;
 * within one kind, the event scheduled first runs first.
 * So a request arriving at the instant another finishes sees the freed slot, and a
 * request arriving at the instant an outage starts is refused.
 *
 * The engine knows nothing of files, terminals or threads: traffic comes from a
 * TrafficSource, decisions from a Balancer, and statistics go to a Recorder.
 */
import type { Balancer, BalancerContext, BalancerModule } from '../balancers/types.ts';
import { Recorder } from '../metrics/recorder.ts';
import { Purpose, streamKey, uniform } from '../random/counter-rng.ts';
import { RequestChunk, type TrafficSource } from '../traffic/source.ts';
import { BackendState, type BackendSpec } from './backends.ts';
import { EventQueue } from './event-queue.ts';

/** Event kinds double as their priority at equal times (lower runs first). */
export const EventKind = { Completion: 0, BackendUp: 1, BackendDown: 2 } as const;

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
}

export const SIMULATION_DEFAULTS = { intervalMs: 1000, warmupMs: 0, timeoutMs: Number.POSITIVE_INFINITY } as const;

/** Draw indices a balancer may use per request through ctx.random(request, draw) with precomputed keys; more are derived on demand. */
const PRECOMPUTED_DRAWS = 8;

export class Simulation {
  readonly backends: BackendState;
  readonly recorder: Recorder;
  readonly balancer: Balancer;
  readonly timeoutMs: number;
  readonly warmupMs: number;
  /** Traffic end plus timeout: every request still in flight then has timed out, so the run stops there. */
  readonly stopAt: number;
  /** When the traffic ends (last arrival at or before it). */
  readonly trafficEnd: number;

  /** Simulated time of the last event, ms. */
  now = 0;
  /** Events processed (arrivals + scheduled events). */
  events = 0;
  /** Requests that have arrived so far; also the next request's sequence number. */
  arrived = 0;
  done = false;

  private readonly source: TrafficSource;
  private readonly queue = new EventQueue(1024);
  private readonly chunk: RequestChunk;
  private cursor = 0;
  private nextArrival = Number.NEGATIVE_INFINITY;

  // Request slots (columnar) and their free list.
  private slotArrival = new Float64Array(1024);
  private slotWork = new Float64Array(1024);
  private slotBackend = new Int32Array(1024).fill(-1);
  private slotInterval = new Int32Array(1024);
  private slotCounted = new Uint8Array(1024);
  private free = new Int32Array(1024);
  private freeTop = 0;
  private slotsUsed = 0;

  private readonly onDispatch: ((b: number) => void) | undefined;
  private readonly onComplete: ((b: number, latencyMs: number) => void) | undefined;

  constructor(options: SimulationOptions, source: TrafficSource, chunkCapacity = 16_384) {
    const intervalMs = options.intervalMs ?? SIMULATION_DEFAULTS.intervalMs;
    this.warmupMs = options.warmupMs ?? SIMULATION_DEFAULTS.warmupMs;
    this.timeoutMs = options.timeoutMs ?? SIMULATION_DEFAULTS.timeoutMs;
    this.source = source;
    this.chunk = new RequestChunk(chunkCapacity);
    this.backends = new BackendState(options.backends);
    this.recorder = new Recorder({
      backends: this.backends.count,
      concurrency: this.backends.concurrency,
      intervalMs,
      warmupMs: this.warmupMs,
      timeoutMs: this.timeoutMs,
    });
    this.recorder.attach(this.backends.busy, this.backends.queued);
    this.trafficEnd = source.endTime;
    this.stopAt = source.endTime + this.timeoutMs;

    const keys = Array.from({ length: PRECOMPUTED_DRAWS }, (_, d) => streamKey(options.seed, Purpose.Balancer, d));
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

    options.backends.forEach((spec, b) => {
      for (const w of spec.outages) {
        this.queue.push(w.from, EventKind.BackendDown, EventKind.BackendDown, b);
        this.queue.push(w.to, EventKind.BackendUp, EventKind.BackendUp, b);
      }
    });
    for (let i = 0; i < this.free.length; i++) this.free[i] = this.free.length - 1 - i;
    this.freeTop = this.free.length;
    this.loadNextArrival();
  }

  /** Runs to the end. */
  run(): void {
    while (!this.advance(1 << 20));
  }

  /**
   * Processes up to `maxEvents` events and returns true when the run has ended. Callers
   * that show progress run it in slices and read `now`, `events` and the backend state
   * between slices.
   */
  advance(maxEvents: number): boolean {
    if (this.done) return true;
    const q = this.queue;
    for (let n = 0; n < maxEvents; n++) {
      const ht = q.peekTime();
      if (ht <= this.nextArrival) {
        if (ht === Number.POSITIVE_INFINITY) return this.finish(this.now);
        if (ht > this.stopAt) return this.cutOff();
        this.tick(ht);
        const kind = q.peekKind();
        const payload = q.peekPayload();
        q.pop();
        if (kind === EventKind.Completion) this.complete(payload, ht);
        else if (kind === EventKind.BackendDown) this.goDown(payload);
        else this.comeUp(payload);
      } else {
        const t = this.nextArrival;
        if (t > this.stopAt) return this.cutOff();
        this.tick(t);
        this.arrive(t);
        this.loadNextArrival();
      }
      this.events++;
    }
    return false;
  }

  private tick(t: number): void {
    this.now = t;
    const us = Math.round(t * 1000);
    const rec = this.recorder;
    if (us >= rec.nextCheckUs) rec.advance(us);
    else rec.nowUs = us;
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

  private arrive(t: number): void {
    const c = this.chunk;
    const i = this.cursor;
    const bs = this.backends;
    const rec = this.recorder;
    const request = this.arrived++;
    const counted = t >= this.warmupMs;
    const iv = rec.arrive(counted);
    const b = bs.upCount > 0 ? this.balancer.pick(request, c.client[i]!, c.route[i]!) : -1;
    if (b < 0) {
      rec.reject(iv, -1, counted);
      return;
    }
    const idle = bs.busy[b]! < bs.concurrency[b]!;
    if (bs.up[b] === 0 || (!idle && bs.queued[b]! >= bs.queueLimit[b]!)) {
      // Down (only a custom balancer can pick one) or its queue is full: refused at once, like a 503.
      rec.pick(b, counted);
      rec.reject(iv, b, counted);
      return;
    }
    const slot = this.allocSlot();
    this.slotArrival[slot] = t;
    this.slotWork[slot] = c.work[i]!;
    this.slotBackend[slot] = b;
    this.slotInterval[slot] = iv;
    this.slotCounted[slot] = counted ? 1 : 0;
    rec.touch(b);
    bs.inFlight[b]!++;
    if (idle) {
      bs.busy[b]!++;
      this.queue.push(t + c.work[i]! / bs.speed[b]!, EventKind.Completion, EventKind.Completion, slot);
    } else {
      bs.enqueue(b, slot);
    }
    rec.admit(b, iv, counted);
    if (this.onDispatch !== undefined) this.onDispatch(b);
  }

  private complete(slot: number, t: number): void {
    const bs = this.backends;
    const rec = this.recorder;
    const b = this.slotBackend[slot]!;
    const latency = t - this.slotArrival[slot]!;
    // finish() also brings b's areas up to now, before its counts change below.
    rec.finish(this.slotInterval[slot]!, b, latency, this.slotCounted[slot] === 1);
    bs.inFlight[b]!--;
    this.releaseSlot(slot);
    if (bs.queued[b]! > 0) {
      // The freed slot goes to the head of the line: busy stays, the queue shrinks.
      const next = bs.dequeue(b);
      this.queue.push(t + this.slotWork[next]! / bs.speed[b]!, EventKind.Completion, EventKind.Completion, next);
    } else {
      bs.busy[b]!--;
    }
    if (this.onComplete !== undefined) this.onComplete(b, latency);
  }

  private goDown(b: number): void {
    const bs = this.backends;
    if (bs.downDepth[b]!++ > 0) return;
    bs.up[b] = 0;
    bs.upCount--;
    this.balancer.onBackendDown?.(b);
  }

  private comeUp(b: number): void {
    const bs = this.backends;
    if (--bs.downDepth[b]! > 0) return;
    bs.up[b] = 1;
    bs.upCount++;
    this.balancer.onBackendUp?.(b);
  }

  /** Traffic ended and everything finished: the run ends at the last event. */
  private finish(t: number): boolean {
    this.recorder.close(Math.round(t * 1000));
    this.done = true;
    return true;
  }

  /**
   * The next event lies beyond end + timeout. Every request still in flight arrived
   * before the end, so it has waited longer than the timeout: count it timed out, and
   * stop instead of simulating a backlog whose outcome is already known.
   */
  private cutOff(): boolean {
    this.tick(this.stopAt);
    for (let s = 0; s < this.slotsUsed; s++) {
      const b = this.slotBackend[s]!;
      if (b >= 0) this.recorder.abandon(this.slotInterval[s]!, b, this.slotCounted[s] === 1);
    }
    return this.finish(this.stopAt);
  }

  private allocSlot(): number {
    if (this.freeTop === 0) this.growSlots();
    const s = this.free[--this.freeTop]!;
    if (s >= this.slotsUsed) this.slotsUsed = s + 1;
    return s;
  }

  private releaseSlot(slot: number): void {
    this.slotBackend[slot] = -1;
    this.free[this.freeTop++] = slot;
  }

  private growSlots(): void {
    const old = this.slotArrival.length;
    const cap = old * 2;
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const next = make(cap);
      next.set(a);
      return next;
    };
    this.slotArrival = grow(this.slotArrival, (n) => new Float64Array(n));
    this.slotWork = grow(this.slotWork, (n) => new Float64Array(n));
    this.slotBackend = grow(this.slotBackend, (n) => new Int32Array(n).fill(-1));
    this.slotInterval = grow(this.slotInterval, (n) => new Int32Array(n));
    this.slotCounted = grow(this.slotCounted, (n) => new Uint8Array(n));
    const free = new Int32Array(cap);
    // All old slots are in use when the free list is empty; the new ones are free.
    for (let i = 0; i < cap - old; i++) free[i] = cap - 1 - i;
    this.free = free;
    this.freeTop = cap - old;
  }
}
