/**
 * Replay transforms over a recorded trace, applied as requests stream from the .lbt
 * reader (which already cut the time window):
 *
 * - `speed`: time compression. Arrival times are divided by it; the same requests, with
 *   the same work, arrive `speed` times faster.
 * - `sample`: keeps a seeded fraction of the requests (for a quicker, lighter run).
 * - `scale`: more or fewer requests at the same pace, for capacity planning. Below 1 it
 *   drops a seeded share (like sample). Above 1 every request is replayed once, plus
 *   ⌊scale⌋ − 1 copies, plus one more with probability frac(scale): 1.5 replays every
 *   request once and half of them twice. A copy arrives at a seeded uniform point between
 *   the previous recorded request and its original (a jitter that keeps arrival order
 *   without buffering), with the original's work and route, from a "twin" client
 *   (twinClient: a fixed bijection of the client key and copy number that keeps the
 *   clients of one /24 together, so affinity balancers see new users that behave like the
 *   old), and is flagged ScaledCopy.
 *
 * Every decision is a counter-based draw keyed by (seed, Purpose.Replay, decision) and the
 * request's number in the whole trace, so it does not depend on the window, the chunking
 * or the thread that replays it. A window of a run split in time replays exactly the
 * whole replay's requests in its time span (ReplayCut), and the requests before it are
 * counted from the same draws without reading the trace (replay-count.ts).
 */
import { Purpose, streamKey, uniformBits, unitOf, type StreamKey } from '../random/counter-rng.ts';
import { type RouteKey, TraceReader, type TraceWindow } from './lbt/reader.ts';
import type { TraceTrafficSpec } from './prepare.ts';
import { RequestChunk, RequestFlag, type TrafficSource } from './source.ts';

export interface ReplayTransforms {
  /** Part of the trace to replay, trace ms (0 = the trace's first whole second). @default the whole trace */
  window?: TraceWindow;
  /** Time compression factor (> 0). @default 1 */
  speed?: number;
  /** Request multiplier (> 0). @default 1 */
  scale?: number;
  /** Fraction of requests kept, (0, 1]. @default 1 */
  sample?: number;
}

export const REPLAY_DEFAULTS = { speed: 1, scale: 1, sample: 1 } as const;

/**
 * The client of copy `copy` (0, 1, ...) of a request from `client`: the key's upper 24 bits
 * (an IPv4 client's /24 network: keys.ts keys it to its address) moved by a fixed bijection
 * keyed by the copy, its low byte (the host) kept. So the clients of one network have their
 * twins in one other network: nginx ip_hash, which hashes the first three octets, sees the
 * recorded grouping again (a big office behind one /24 has a big twin), where twins
 * scattered over random networks made ip_hash look more even the more a trace was scaled.
 * Other keys (IPv6, hashed) move the same way, still a bijection of 32 bits, so distinct
 * clients keep distinct twins, and a client's copies are distinct clients.
 */
export function twinClient(client: number, copy: number): number {
  // (copy + 1) times an odd number, mod 2^24: a different key for each copy below 2^24.
  let net = (client >>> 8) ^ (Math.imul(copy + 1, 0x9e3779) & 0xffffff);
  // Each step a bijection of 24 bits: an odd multiplier mod 2^24, then an xor-shift.
  net = Math.imul(net, 0x2c1b3d) & 0xffffff;
  net ^= net >>> 12;
  net = Math.imul(net, 0x297a2d) & 0xffffff;
  net ^= net >>> 11;
  return ((net << 8) | (client & 0xff)) >>> 0;
}

/** Sub-streams of Purpose.Replay. Copy j's jitter uses JITTER + j. */
const Stream = { Sample: 0, Scale: 1, Jitter: 16 } as const;
/** Most copies per request (scale up to 64). */
export const MAX_SCALE = 64;

export function isIdentity(t: ReplayTransforms): boolean {
  return (t.speed ?? 1) === 1 && (t.scale ?? 1) === 1 && (t.sample ?? 1) === 1;
}

/**
 * The replay source for a prepared, resolved trace spec (prepare.ts). Kept here, not in
 * prepare.ts, so the worker threads that replay never load the log import pipeline.
 */
export function createTraceTraffic(spec: TraceTrafficSpec, seed: number, routeKey: RouteKey = 'path'): TrafficSource {
  if (spec.file === undefined) throw new Error('trace traffic used before prepareTrace');
  const t: ReplayTransforms = { window: { from: spec.from, to: spec.to, routeKey }, speed: spec.speed, scale: spec.scale, sample: spec.sample };
  return openReplay(spec.file, t, seed);
}

/** Opens a trace for replay: the bare reader when nothing transforms it (the fastest path), else a ReplaySource. */
export function openReplay(file: string, transforms: ReplayTransforms, seed: number): TrafficSource {
  const reader = new TraceReader(file, transforms.window ?? {});
  return isIdentity(transforms) ? reader : new ReplaySource(reader, transforms, seed);
}

/**
 * The draws of a replay's transforms, each a pure function of the request's number in the
 * whole trace: whether it is kept, how many copies it has, when they arrive. The replay
 * and the counts of what it emits (replay-count.ts) both draw here, so they agree bit for bit.
 */
export class ReplayDraws {
  readonly speed: number;
  /** Whether some request may be dropped or copied: the replay's requests are then not the trace's, one for one. */
  readonly changesCount: boolean;
  /** Most copies of one request. */
  readonly maxCopies: number;
  /**
   * A request is dropped when its sample draw's bits are at least this, and gets one more
   * copy when its scale draw's bits are below that: the first bits whose uniform reaches
   * the kept share, or the fraction of scale (thresholdBits). Comparing the bits decides
   * as comparing the uniforms would, without turning each into a double.
   */
  private readonly keepBits: number;
  private readonly extraCopyBits: number;
  private readonly copiesWhole: number;
  private readonly sampleKey: StreamKey;
  private readonly scaleKey: StreamKey;
  private readonly jitterKeys: StreamKey[];

  constructor(t: ReplayTransforms, seed: number) {
    this.speed = t.speed ?? REPLAY_DEFAULTS.speed;
    const scale = t.scale ?? REPLAY_DEFAULTS.scale;
    const sample = t.sample ?? REPLAY_DEFAULTS.sample;
    if (!(this.speed > 0) || !(scale > 0) || scale > MAX_SCALE || !(sample > 0 && sample <= 1)) {
      throw new Error(`replay transforms out of range: speed ${this.speed}, scale ${scale}, sample ${sample}`);
    }
    const keep = sample * Math.min(scale, 1);
    const copiesFrac = scale >= 1 ? scale - Math.floor(scale) : 0;
    this.keepBits = keep < 1 ? thresholdBits(keep) : TWO_POW_32;
    this.extraCopyBits = copiesFrac > 0 ? thresholdBits(copiesFrac) : 0;
    this.copiesWhole = scale >= 1 ? Math.floor(scale) - 1 : 0;
    this.maxCopies = this.copiesWhole + (copiesFrac > 0 ? 1 : 0);
    this.changesCount = keep < 1 || this.maxCopies > 0;
    this.sampleKey = streamKey(seed, Purpose.Replay, Stream.Sample);
    this.scaleKey = streamKey(seed, Purpose.Replay, Stream.Scale);
    this.jitterKeys = Array.from({ length: this.maxCopies }, (_, j) => streamKey(seed, Purpose.Replay, Stream.Jitter + j));
  }

  kept(index: number): boolean {
    return this.keepBits === TWO_POW_32 || uniformBits(this.sampleKey.k1, this.sampleKey.k2, index) >>> 0 < this.keepBits;
  }

  /** Copies of a kept request (besides itself). */
  copies(index: number): number {
    return this.extraCopyBits > 0 && uniformBits(this.scaleKey.k1, this.scaleKey.k2, index) >>> 0 < this.extraCopyBits ? this.copiesWhole + 1 : this.copiesWhole;
  }

  /**
   * Where the request's `copies` copies fall, in order, into out[0..copies): seeded
   * uniforms, each the share of the way from the trace's request before it to this one
   * (the caller places them: prev + u · (arrival − prev), prev the arrival of the request
   * before, or this one's when it is the replay's first). Times are placed by the caller,
   * not here: V8 boxes a fractional double passed to a call it does not inline, and the
   * replay's loop made a heap number per copy when it passed its arrival times here
   * (21 more scavenges in a 30 M-request replay, 2026-11-27).
   */
  copyOffsets(index: number, copies: number, out: Float64Array): void {
    for (let c = 0; c < copies; c++) {
      const u = unitOf(uniformBits(this.jitterKeys[c]!.k1, this.jitterKeys[c]!.k2, index));
      // Insertion sort of a handful of offsets keeps the copies in time order.
      let k = c;
      while (k > 0 && out[k - 1]! > u) {
        out[k] = out[k - 1]!;
        k--;
      }
      out[k] = u;
    }
  }

  /** Requests the replay emits for the trace's requests [from, to): those kept, and their copies. */
  emitted(from: number, to: number): number {
    if (!this.changesCount) return Math.max(0, to - from);
    // kept() and copies() unrolled, their keys and thresholds in locals: the count runs
    // over every request of a trace (measured on 20 M: 9–13 ns a request, 11–17 with the calls).
    const keepBits = this.keepBits;
    const extraBits = this.extraCopyBits;
    const whole = 1 + this.copiesWhole;
    const s1 = this.sampleKey.k1;
    const s2 = this.sampleKey.k2;
    const c1 = this.scaleKey.k1;
    const c2 = this.scaleKey.k2;
    let n = 0;
    for (let i = from; i < to; i++) {
      if (keepBits !== TWO_POW_32 && uniformBits(s1, s2, i) >>> 0 >= keepBits) continue;
      n += extraBits > 0 && uniformBits(c1, c2, i) >>> 0 < extraBits ? whole + 1 : whole;
    }
    return n;
  }
}

const TWO_POW_32 = 4294967296;

/** The least 32-bit value whose uniform (unitOf) is at least `p`, by bisection on unitOf itself: comparing bits with it decides as comparing uniforms with p. */
function thresholdBits(p: number): number {
  let lo = 0;
  let hi = TWO_POW_32;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (unitOf(mid | 0) >= p) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * A replay cut to one window of a run split in time (parallel/windows.ts): exactly the
 * requests the whole replay emits in [startMs, endMs). Its reader starts at the window's
 * first trace request and reads on past the window's end, for the scaled copies that a
 * request at or after the end sends before it (they arrive between it and the request
 * before); the copies of the window's first request that arrive before startMs are the
 * window before's.
 */
export interface ReplayCut {
  startMs: number;
  endMs: number;
  /** Trace-wide number of the next window's first request: the window ends with its copies before endMs. Infinity for the last window. */
  endIndex: number;
  /** Trace time at which the whole replay starts: its first request has no request before it. */
  replayFrom: number;
}

export class ReplaySource implements TrafficSource {
  readonly endTime: number;
  private readonly speed: number;
  private readonly draws: ReplayDraws;
  private readonly inner: RequestChunk;
  private pos = 0;
  private innerFirst = 0;
  private prevArrival = Number.NaN;
  private readonly jitter: Float64Array;
  /** Copies of the current request still to emit (when the output chunk filled up mid-request). */
  private pendingCopies = 0;
  private pendingCopy = 0;
  /** The request at pos is chosen but not yet emitted. */
  private originalPending = false;
  /** The cut's bounds (none: the whole replay). */
  private readonly startIndex: number;
  private readonly startMs: number;
  private readonly endIndex: number;
  private readonly endMs: number;
  /** The request at endIndex was reached: once its copies are out, the cut window ends. */
  private ended = false;

  constructor(
    private readonly reader: TraceReader,
    t: ReplayTransforms,
    seed: number,
    cut?: ReplayCut,
  ) {
    this.draws = new ReplayDraws(t, seed);
    this.speed = this.draws.speed;
    this.jitter = new Float64Array(Math.max(1, this.draws.maxCopies));
    this.endTime = reader.endTime / this.speed;
    this.inner = new RequestChunk(16_384);
    this.startIndex = cut === undefined ? -1 : reader.nextIndex;
    this.startMs = cut?.startMs ?? Number.NEGATIVE_INFINITY;
    this.endIndex = cut?.endIndex ?? Number.POSITIVE_INFINITY;
    this.endMs = cut?.endMs ?? Number.POSITIVE_INFINITY;
    if (cut !== undefined) this.prevArrival = reader.previousArrival(cut.replayFrom) / this.speed;
  }

  fill(chunk: RequestChunk): void {
    const cap = chunk.capacity;
    const inner = this.inner;
    const speed = this.speed;
    const draws = this.draws;
    let n = 0;
    while (n < cap) {
      if (this.originalPending) {
        // The request at pos: its copies first (they arrive before it), then itself; either may wait for the next fill.
        n = this.emitCopies(chunk, n);
        if (n >= cap) break;
        this.originalPending = false;
        // The request the next window starts with: its copies were this window's, it is not.
        if (this.ended) break;
        n = this.emitOriginal(chunk, n);
        continue;
      }
      if (this.ended) break;
      if (this.pos >= inner.count) {
        this.reader.fill(inner);
        this.innerFirst = this.reader.firstIndexOfFill;
        this.pos = 0;
        if (inner.count === 0) break;
      }
      const i = this.pos;
      const index = this.innerFirst + i;
      const arrival = inner.arrival[i]! / speed;
      if (index >= this.endIndex) this.ended = true;
      if (!draws.kept(index)) {
        this.pos++;
        this.prevArrival = arrival;
        continue;
      }
      const copies = draws.copies(index);
      if (copies > 0) {
        const j = this.jitter;
        draws.copyOffsets(index, copies, j);
        // As ReplayCounter.point places them (replay-count.ts): the same expression, the same bits.
        const prev = Number.isNaN(this.prevArrival) ? arrival : this.prevArrival;
        for (let c = 0; c < copies; c++) j[c] = prev + j[c]! * (arrival - prev);
        let first = 0;
        let last = copies;
        if (index === this.startIndex) while (first < last && j[first]! < this.startMs) first++;
        if (this.ended) while (last > first && j[last - 1]! >= this.endMs) last--;
        this.pendingCopy = first;
        this.pendingCopies = last - first;
      }
      this.originalPending = true;
    }
    chunk.count = n;
  }

  private emitOriginal(chunk: RequestChunk, n: number): number {
    const inner = this.inner;
    const i = this.pos++;
    const arrival = inner.arrival[i]! / this.speed;
    chunk.arrival[n] = arrival;
    chunk.work[n] = inner.work[i]!;
    chunk.client[n] = inner.client[i]!;
    chunk.route[n] = inner.route[i]!;
    chunk.flags[n] = inner.flags[i]!;
    this.prevArrival = arrival;
    return n + 1;
  }

  private emitCopies(chunk: RequestChunk, n: number): number {
    const inner = this.inner;
    const i = this.pos;
    while (this.pendingCopies > 0 && n < chunk.capacity) {
      const c = this.pendingCopy++;
      chunk.arrival[n] = this.jitter[c]!;
      chunk.work[n] = inner.work[i]!;
      chunk.client[n] = twinClient(inner.client[i]!, c);
      chunk.route[n] = inner.route[i]!;
      chunk.flags[n] = inner.flags[i]! | RequestFlag.ScaledCopy;
      this.pendingCopies--;
      n++;
    }
    return n;
  }

  close(): void {
    this.reader.close();
  }
}
