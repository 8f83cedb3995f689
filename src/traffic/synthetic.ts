/**
 * Synthetic traffic: a Poisson process at a constant rate or a piecewise-linear rate
 * profile, service demands from a distribution, Zipf-skewed client and route keys.
 *
 * Arrivals are generated in fixed blocks of simulated time (`BLOCK_MS`), each with its own
 * stream keys derived from (seed, purpose, block), and a block's arrivals are counted
 * before they are placed: its count is a Poisson variate of the rate's integral over the
 * block (poisson.ts), then its arrivals are that many points of the rate's density on the
 * block, in order. That is exactly a (non-homogeneous) Poisson process, restricted to the
 * block, and independent from block to block, so the blocks join into one. A block's
 * arrivals are placed from its n + 1 gap draws; arrival k draws its work and keys at counter k.
 *
 * So the requests of any block are a pure function of (seed, block), and the number of
 * requests before any block boundary costs one Poisson draw per block, not the generation
 * of those requests: a time-split run numbers the requests of its windows at once
 * (src/parallel/windows.ts) and sees exactly the requests of the single-threaded run.
 *
 * Points in order: uniform order statistics from normalised exponential spacings (the
 * running sums of k + 1 exponentials over the sum of n + 1 are the k-th of n sorted
 * uniforms), pushed through the inverse of the rate's integral on a profile.
 */
import { Purpose, streamKey, uniformBits, unitOf, type StreamKey } from '../random/counter-rng.ts';
import { ServiceSampler, type ServiceSpec, ZipfSampler } from '../random/distributions.ts';
import { poissonVariate } from '../random/poisson.ts';
import { BlockRate, type RatePoint } from './rate-profile.ts';
import type { RequestChunk, TrafficSource } from './source.ts';

/** Block length; part of the determinism contract (changing it changes every run). */
export const BLOCK_MS = 1000;

export interface SyntheticSpec {
  /** Constant rate (per second), or a profile of points interpolated linearly. */
  rate: number | RatePoint[];
  service: ServiceSpec;
  /** @default { count: 1, skew: 0 } */
  clients?: { count: number; skew: number };
  /** @default { count: 1, skew: 0 } */
  routes?: { count: number; skew: number };
  durationMs: number;
  seed: number;
}

/** The largest double below x, for x > 0: an arrival time that rounds up to its block's end stays inside the block. */
function below(x: number): number {
  BITS_F64[0] = x;
  BITS_I64[0]! -= 1n;
  return BITS_F64[0]!;
}
const BITS_F64 = new Float64Array(1);
const BITS_I64 = new BigInt64Array(BITS_F64.buffer);

export class SyntheticTraffic implements TrafficSource {
  readonly endTime: number;
  /** The profile's integral and its inverse over the current block; undefined at a constant rate. */
  private readonly blockRate: BlockRate | undefined;
  /** Per ms. */
  private readonly constantRate: number;
  private readonly service: ServiceSampler;
  private readonly clients: ZipfSampler | undefined;
  private readonly routes: ZipfSampler | undefined;
  private readonly seed: number;

  // Generator position: the block, its arrivals, and the next one's index in it.
  private block = -1;
  private blockStart = 0;
  private blockEnd = 0;
  private blockCount = 0;
  private next = 0;
  /** The block's arrival times, once placed (`placed`); grows to the largest block's count. */
  private times = new Float64Array(1024);
  private placed = false;
  private gap!: StreamKey;
  private work!: StreamKey;
  private workAux!: StreamKey;
  private client!: StreamKey;
  private route!: StreamKey;

  constructor(spec: SyntheticSpec, startBlock = 0) {
    this.endTime = spec.durationMs;
    this.seed = spec.seed;
    if (typeof spec.rate === 'number') {
      this.blockRate = undefined;
      this.constantRate = spec.rate / 1000;
    } else {
      this.blockRate = new BlockRate([...spec.rate].sort((a, b) => a.at - b.at));
      this.constantRate = 0;
    }
    this.service = new ServiceSampler(spec.service);
    const c = spec.clients ?? { count: 1, skew: 0 };
    const r = spec.routes ?? { count: 1, skew: 0 };
    this.clients = c.count > 1 ? new ZipfSampler(c.count, c.skew) : undefined;
    this.routes = r.count > 1 ? new ZipfSampler(r.count, r.skew) : undefined;
    this.openBlock(startBlock);
  }

  fill(chunk: RequestChunk): void {
    chunk.count = this.generate(chunk);
  }

  /**
   * The arrivals from the current position to the end, without generating them (a Poisson
   * draw per block): what a time-split run needs to number the requests of a window.
   */
  count(): number {
    let n = this.blockCount - this.next;
    while (this.block >= 0) {
      this.openBlock(this.block + 1);
      n += this.blockCount;
    }
    return n;
  }

  /**
   * count(), block by block: the arrivals of each block (BLOCK_MS) from here to the end.
   * Positioned at a block's start, element i is block (start + i)'s count, so running sums
   * number the requests before every block boundary (time-split runs cut there).
   */
  countByBlock(): number[] {
    const out: number[] = [];
    while (this.block >= 0) {
      out.push(this.blockCount - this.next);
      this.openBlock(this.block + 1);
    }
    return out;
  }

  /**
   * Fills `chunk` from the current position until it is full or the traffic ends; returns
   * how many. Works a block at a time so the block's stream keys and the chunk's arrays sit
   * in locals in the inner loop (the engine's hottest producer).
   */
  private generate(chunk: RequestChunk): number {
    const cap = chunk.capacity;
    const svc = this.service;
    const second = svc.needsSecondUniform;
    const clients = this.clients;
    const routes = this.routes;
    let n = 0;
    while (n < cap && this.block >= 0) {
      const first = this.next;
      const last = Math.min(this.blockCount, first + cap - n);
      if (first === last) {
        this.openBlock(this.block + 1);
        continue;
      }
      if (!this.placed) this.place();
      const times = this.times;
      const { k1: wk1, k2: wk2 } = this.work;
      // Draws as uniformBits (integers): no double crosses a call here that V8 might not
      // inline, so none is boxed (counter-rng.ts).
      for (let k = first; k < last; k++) {
        chunk.arrival[n] = times[k]!;
        svc.sampleInto(chunk.work, n, uniformBits(wk1, wk2, k), second ? uniformBits(this.workAux.k1, this.workAux.k2, k) : 0);
        chunk.client[n] = clients === undefined ? 0 : clients.keyOf(uniformBits(this.client.k1, this.client.k2, k));
        chunk.route[n] = routes === undefined ? 0 : routes.keyOf(uniformBits(this.route.k1, this.route.k2, k));
        chunk.flags[n] = 0;
        n++;
      }
      this.next = last;
    }
    return n;
  }

  /**
   * Positions the generator at the start of `block` and draws its count; past the end it
   * marks the traffic finished (block = -1, no arrivals).
   */
  private openBlock(block: number): void {
    const start = block * BLOCK_MS;
    this.next = 0;
    this.placed = false;
    if (start >= this.endTime) {
      this.block = -1;
      this.blockCount = 0;
      return;
    }
    const end = Math.min(start + BLOCK_MS, this.endTime);
    this.block = block;
    this.blockStart = start;
    this.blockEnd = end;
    let mean: number;
    if (this.blockRate === undefined) mean = this.constantRate * (end - start);
    else {
      this.blockRate.set(start, end);
      mean = this.blockRate.total;
    }
    // Only the count here: counting a week of 1 s blocks (countByBlock) derives no other stream.
    const count = streamKey(this.seed, Purpose.ArrivalCount, block);
    this.blockCount = poissonVariate(mean, count.k1, count.k2);
  }

  /**
   * The block's streams, and its arrival times, in order, into `times`: the running sums of blockCount + 1
   * exponential gaps, over their total, are blockCount sorted uniforms on (0, 1), spread
   * over the block in proportion to the rate's integral.
   */
  private place(): void {
    const s = this.seed;
    const block = this.block;
    this.gap = streamKey(s, Purpose.ArrivalGap, block);
    this.work = streamKey(s, Purpose.Work, block);
    this.workAux = streamKey(s, Purpose.WorkAux, block);
    this.client = streamKey(s, Purpose.Client, block);
    this.route = streamKey(s, Purpose.Route, block);
    const n = this.blockCount;
    if (this.times.length < n + 1) this.times = new Float64Array(Math.max(n + 1, this.times.length * 2));
    const total = exponentialSums(this.times, n, this.gap.k1, this.gap.k2);
    if (this.blockRate === undefined) spreadEvenly(this.times, n, total, this.blockStart, this.blockEnd, below(this.blockEnd));
    else this.blockRate.place(this.times, n, total, this.blockStart, below(this.blockEnd));
    this.placed = true;
  }
}

// The passes of place(), each a function with nothing after its loop: V8 compiles a hot
// loop on the stack (OSR) before the code after it has run, and that code's first run then
// deoptimized place() (5 times a run, with ~17 bytes allocated per arrival in between).
// And no double carried from one iteration to the next in a variable: in a loop compiled on
// the stack, such a variable enters tagged from the interpreter's frame, V8 may keep it
// tagged, and then boxes it every iteration (16 bytes an arrival: seen 2026-11-27 in 4 of 5
// test runs on a busy machine). Each iteration reads its predecessor back from `times`.

/** times[k] ← the sum of the stream's exponential draws 0…k, for k ≤ n; returns the last (their total). */
function exponentialSums(times: Float64Array, n: number, k1: number, k2: number): number {
  times[0] = -Math.log(unitOf(uniformBits(k1, k2, 0)));
  for (let k = 1; k <= n; k++) times[k] = times[k - 1]! - Math.log(unitOf(uniformBits(k1, k2, k)));
  return times[n]!;
}

/**
 * times[k] ← the time of arrival k of n on [start, end) at a constant rate: times[k] / total
 * (its share of the block's arrivals) of the way through. Rounding may not take a time past
 * `last` (the block's last instant) nor before its predecessor.
 */
function spreadEvenly(times: Float64Array, n: number, total: number, start: number, end: number, last: number): void {
  if (n === 0) return;
  const len = end - start;
  // Math.min and max, not `if (t > last) t = last`: that merges the parameter (a tagged heap
  // number) into t, V8 then keeps t tagged, and boxed every time: 16 bytes an arrival.
  times[0] = Math.max(Math.min(start, last), Math.min(last, start + (times[0]! / total) * len));
  for (let k = 1; k < n; k++) times[k] = Math.max(times[k - 1]!, Math.min(last, start + (times[k]! / total) * len));
}

