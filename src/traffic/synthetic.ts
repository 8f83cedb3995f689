/**
 * Synthetic traffic: a Poisson process at a constant rate or a piecewise-linear rate
 * profile, service demands from a distribution, Zipf-skewed client and route keys.
 *
 * Arrivals are generated in fixed blocks of simulated time (`BLOCK_MS`), each with its own
 * stream keys derived from (seed, purpose, block). Within a block, candidate k's gap,
 * thinning test, work and keys are draws number k of those streams. So the requests of
 * any block are a pure function of (seed, block): a run split across threads at any block
 * boundary sees exactly the requests of the single-threaded run. Gaps are memoryless, so
 * restarting the exponential clock at each block boundary is still an exact Poisson
 * process; a time-varying rate is exact by thinning (Lewis & Shedler) against the
 * block's peak rate.
 */
import { Purpose, streamKey, uniformBits, unitOf, type StreamKey } from '../random/counter-rng.ts';
import { ServiceSampler, type ServiceSpec, ZipfSampler } from '../random/distributions.ts';
import type { RequestChunk, TrafficSource } from './source.ts';

/** Block length; part of the determinism contract (changing it changes every run). */
export const BLOCK_MS = 1000;

export interface RatePoint {
  /** ms from the start */
  at: number;
  /** requests per second */
  rate: number;
}

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

/** λ(t) of a profile, per second. Before the first point and after the last the rate is flat; equal `at`s make a step. */
export function rateAt(profile: readonly RatePoint[], t: number): number {
  if (t < profile[0]!.at) return profile[0]!.rate;
  for (let i = profile.length - 1; i >= 0; i--) {
    const p = profile[i]!;
    if (t >= p.at) {
      const q = profile[i + 1];
      if (q === undefined || q.at === p.at) return p.rate;
      return p.rate + ((q.rate - p.rate) * (t - p.at)) / (q.at - p.at);
    }
  }
  return profile[profile.length - 1]!.rate;
}

/** Highest λ on [from, to): a piecewise-linear function peaks at an end or a breakpoint. */
export function peakRate(profile: readonly RatePoint[], from: number, to: number): number {
  let peak = Math.max(rateAt(profile, from), rateAt(profile, to));
  for (const p of profile) if (p.at >= from && p.at <= to) peak = Math.max(peak, p.rate);
  // A step at `at` reaches the later rate immediately; include every point at a breakpoint.
  return peak;
}

export class SyntheticTraffic implements TrafficSource {
  readonly endTime: number;
  private readonly profile: RatePoint[] | undefined;
  private readonly constantRate: number;
  private readonly service: ServiceSampler;
  private readonly clients: ZipfSampler | undefined;
  private readonly routes: ZipfSampler | undefined;
  private readonly seed: number;

  // Generator position: block, candidate index within it, and the candidate's time.
  private block = -1;
  private k = 0;
  private t = 0;
  private blockEnd = 0;
  private blockPeak = 0;
  private gap!: StreamKey;
  private thin!: StreamKey;
  private work!: StreamKey;
  private workAux!: StreamKey;
  private client!: StreamKey;
  private route!: StreamKey;

  constructor(spec: SyntheticSpec, startBlock = 0) {
    this.endTime = spec.durationMs;
    this.seed = spec.seed;
    if (typeof spec.rate === 'number') {
      this.profile = undefined;
      this.constantRate = spec.rate;
    } else {
      this.profile = [...spec.rate].sort((a, b) => a.at - b.at);
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
    chunk.count = this.generate(chunk, chunk.capacity);
  }

  /**
   * Counts the arrivals from the current position to the end, drawing only gaps (and
   * thinning tests): what a time-split run needs to number the requests of a window
   * without generating the requests before it.
   */
  count(): number {
    return this.generate(null, Number.POSITIVE_INFINITY);
  }

  /**
   * count(), block by block: the arrivals of each block (BLOCK_MS) from here to the end.
   * Positioned at a block's start, element i is block (start + i)'s count, so running sums
   * number the requests before every block boundary (time-split runs cut there).
   */
  countByBlock(): number[] {
    const out: number[] = [];
    while (this.block >= 0) out.push(this.generate(null, Number.POSITIVE_INFINITY, true));
    return out;
  }

  /**
   * Draws arrivals from the current position until `cap` are accepted or the traffic
   * ends, and returns how many. Into `chunk` it also draws each one's work and keys;
   * with `chunk` null it only counts. Works a block at a time so the block's stream keys
   * and the chunk's arrays sit in locals in the inner loop (the engine's hottest producer).
   */
  private generate(chunk: RequestChunk | null, cap: number, oneBlock = false): number {
    let n = 0;
    const svc = this.service;
    const second = svc.needsSecondUniform;
    const clients = this.clients;
    const routes = this.routes;
    const profile = this.profile;
    while (n < cap && this.block >= 0) {
      const rate = this.blockPeak;
      if (rate <= 0) {
        this.openBlock(this.block + 1);
        if (oneBlock) return n;
        continue;
      }
      const { k1: gk1, k2: gk2 } = this.gap;
      const { k1: wk1, k2: wk2 } = this.work;
      const end = this.blockEnd;
      let k = this.k;
      let t = this.t;
      let blockDone = false;
      while (n < cap) {
        const c = k++;
        // Draws as uniformBits (integers) and unitOf (always inlined): no double crosses a
        // call here that V8 might not inline, so none is boxed (counter-rng.ts).
        t += (-Math.log(unitOf(uniformBits(gk1, gk2, c))) * 1000) / rate;
        if (t >= end) {
          blockDone = true;
          break;
        }
        if (profile !== undefined && unitOf(uniformBits(this.thin.k1, this.thin.k2, c)) * rate > rateAt(profile, t)) continue;
        if (chunk !== null) {
          chunk.arrival[n] = t;
          svc.sampleInto(chunk.work, n, uniformBits(wk1, wk2, c), second ? uniformBits(this.workAux.k1, this.workAux.k2, c) : 0);
          chunk.client[n] = clients === undefined ? 0 : clients.keyOf(uniformBits(this.client.k1, this.client.k2, c));
          chunk.route[n] = routes === undefined ? 0 : routes.keyOf(uniformBits(this.route.k1, this.route.k2, c));
          chunk.flags[n] = 0;
        }
        n++;
      }
      if (blockDone) {
        this.openBlock(this.block + 1);
        if (oneBlock) return n;
      } else {
        this.k = k;
        this.t = t;
      }
    }
    return n;
  }

  /** Positions the generator at the start of `block`; past the end it marks the traffic finished (block = -1). */
  private openBlock(block: number): void {
    const start = block * BLOCK_MS;
    if (start >= this.endTime) {
      this.block = -1;
      return;
    }
    this.block = block;
    this.k = 0;
    this.t = start;
    this.blockEnd = Math.min(start + BLOCK_MS, this.endTime);
    this.blockPeak = this.profile === undefined ? this.constantRate : peakRate(this.profile, start, this.blockEnd);
    const s = this.seed;
    this.gap = streamKey(s, Purpose.ArrivalGap, block);
    this.thin = streamKey(s, Purpose.ArrivalThinning, block);
    this.work = streamKey(s, Purpose.Work, block);
    this.workAux = streamKey(s, Purpose.WorkAux, block);
    this.client = streamKey(s, Purpose.Client, block);
    this.route = streamKey(s, Purpose.Route, block);
  }
}
