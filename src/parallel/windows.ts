/**
 * Cutting one run's timeline into windows, and opening the traffic of one window.
 *
 * Window boundaries are multiples of both the report interval (a window's metrics are
 * whole rows) and the synthetic block length (a window's arrivals are whole blocks, so
 * they are exactly the single run's arrivals). A window's requests keep the sequence
 * numbers they have in the whole run: `firstRequest` is the number of requests before it.
 */
import type { Scenario } from '../scenario/load.ts';
import { readTraceIndex, type RouteKey, TraceReader } from '../traffic/lbt/reader.ts';
import { isIdentity, ReplaySource } from '../traffic/replay.ts';
import { ReplayCounter } from '../traffic/replay-count.ts';
import type { TrafficSource } from '../traffic/source.ts';
import type { WindowSpec } from './tasks.ts';
import { rateAt } from '../traffic/rate-profile.ts';
import { BLOCK_MS, SyntheticTraffic } from '../traffic/synthetic.ts';

/** Why a scenario cannot be split in time, or undefined when it can. */
export function unsplittableReason(scenario: Scenario): string | undefined {
  if (scenario.persistence !== undefined) return "session persistence keeps every client's server since the run began, which a window's start cannot know; the run is simulated whole, on one thread";
  return undefined;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** The step window boundaries are multiples of, in µs. */
export function boundaryStepUs(scenario: Scenario): number {
  const intervalUs = Math.round(scenario.intervalMs * 1000);
  const blockUs = scenario.traffic.kind === 'synthetic' ? BLOCK_MS * 1000 : intervalUs;
  return (intervalUs / gcd(intervalUs, blockUs)) * blockUs;
}

/**
 * Boundaries T_1 < ... < T_{K-1} (ms) splitting [afterMs, duration) into at most `count`
 * windows of about equal work: equal numbers of requests, not equal lengths, so a trace
 * with a daily peak is not cut into a busy window and an idle one. Fewer when the run is
 * too short to cut that often. Every boundary lies strictly after `afterMs`.
 * `firstShare` gives the first window that share of the work instead of 1/count (the
 * others split the rest equally).
 */
export function planBoundaries(scenario: Scenario, count: number, afterMs = 0, work: WorkCurve = workCurve(scenario), firstShare = 1 / count): number[] {
  const stepUs = boundaryStepUs(scenario);
  const durationUs = Math.round(scenario.durationMs * 1000);
  const from = work.at(afterMs);
  const total = work.at(scenario.durationMs) - from;
  const out: number[] = [];
  for (let k = 1; k < count; k++) {
    const share = firstShare + ((1 - firstShare) * (k - 1)) / (count - 1);
    const us = Math.round((work.timeOf(from + total * share) * 1000) / stepUs) * stepUs;
    if (us > afterMs * 1000 && us < durationUs && (out.length === 0 || us > out[out.length - 1]! * 1000)) out.push(us / 1000);
  }
  return out;
}

/**
 * Requests arrived by each time of the run (ms): a monotone piecewise-linear curve
 * through the points (ms[i], work[i]), flat before the first and after the last.
 */
export class WorkCurve {
  constructor(
    private readonly ms: Float64Array,
    private readonly work: Float64Array,
  ) {}

  at(t: number): number {
    return interpolate(this.ms, this.work, t, upperBound(this.ms, t));
  }

  /** The first time the curve reaches `w`. */
  timeOf(w: number): number {
    return interpolate(this.work, this.ms, w, lowerBound(this.work, w));
  }
}

/** y at x, linear between (xs[i-1], ys[i-1]) and (xs[i], ys[i]); flat outside the points. */
function interpolate(xs: Float64Array, ys: Float64Array, x: number, i: number): number {
  if (i === 0) return ys[0]!;
  if (i === xs.length) return ys[xs.length - 1]!;
  return ys[i - 1]! + ((x - xs[i - 1]!) / (xs[i]! - xs[i - 1]!)) * (ys[i]! - ys[i - 1]!);
}

/** Points of the work curve profiles are sampled at. */
const PROFILE_SAMPLES = 1024;

/**
 * The run's work curve. A trace: exact at its chunk starts (the index: each chunk's first
 * arrival and that request's number), read without reading a chunk. Synthetic traffic: the
 * expected arrivals, the rate's integral (trapezoids over the profile, sampled).
 */
export function workCurve(scenario: Scenario): WorkCurve {
  const t = scenario.traffic;
  const D = scenario.durationMs;
  if (t.kind === 'trace') {
    const { header, firsts, firstIndex } = readTraceIndex(t.file!);
    const ms: number[] = [0];
    const work: number[] = [0];
    const base = (traceMs: number) => {
      // Requests before trace time traceMs, from the chunk starts at or before it.
      const c = upperBound(firsts, traceMs) - 1;
      return c < 0 ? 0 : firstIndex[c]!;
    };
    const origin = base(t.from);
    for (let c = 0; c < firsts.length; c++) {
      const runMs = (firsts[c]! - t.from) / t.speed;
      if (runMs > ms[ms.length - 1]! && runMs < D) {
        ms.push(runMs);
        work.push(firstIndex[c]! - origin);
      }
    }
    ms.push(D);
    work.push(Math.max(work[work.length - 1]!, (upperBound(firsts, t.to) === firsts.length ? header.count : base(t.to)) - origin));
    return new WorkCurve(Float64Array.from(ms), Float64Array.from(work));
  }
  if (typeof t.rate === 'number') return new WorkCurve(Float64Array.of(0, D), Float64Array.of(0, (t.rate * D) / 1000));
  const profile = t.rate;
  const ms = new Float64Array(PROFILE_SAMPLES + 1);
  const work = new Float64Array(PROFILE_SAMPLES + 1);
  for (let i = 1; i <= PROFILE_SAMPLES; i++) {
    ms[i] = (D * i) / PROFILE_SAMPLES;
    work[i] = work[i - 1]! + ((rateAt(profile, ms[i - 1]!) + rateAt(profile, ms[i]!)) / 2) * ((ms[i]! - ms[i - 1]!) / 1000);
  }
  return new WorkCurve(ms, work);
}

/** The first i with a[i] > x (a sorted ascending). */
function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first i with a[i] >= x (a sorted ascending). */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A window's arrivals, and for a trace replay the trace-wide number of its first request. */
export interface WindowTraffic {
  traffic: TrafficSource;
  /** traceIndexAt(startMs), read off the reader's own seek; undefined for synthetic traffic. */
  firstIndex?: number;
}

/** The arrivals of [startMs, endMs) on the run's timeline; a trace gives `routeKey` as the route key (createTraffic). */
export function openWindowTraffic(scenario: Scenario, seed: number, startMs: number, endMs: number, routeKey: RouteKey = 'path'): WindowTraffic {
  const t = scenario.traffic;
  if (t.kind === 'synthetic') return { traffic: syntheticWindow(scenario, seed, startMs, endMs) };
  // `from` clamped as traceIndexAt clamps it (past `to` the window is empty either way).
  const from = Math.min(t.from + startMs * t.speed, t.to);
  const transforms = { speed: t.speed, scale: t.scale, sample: t.sample };
  if (isIdentity(transforms)) {
    const reader = new TraceReader(t.file!, { origin: t.from, from, to: Math.min(t.to, t.from + endMs * t.speed), routeKey });
    return { traffic: reader, firstIndex: reader.nextIndex };
  }
  // The same transform path as the whole run's replay, so arrival times are the same bits;
  // cut where the next window's reader starts (ReplayCut: scaled copies cross the edge).
  const endIndex = endMs < scenario.durationMs ? replayCounter(scenario, seed).point(endMs).index : Number.POSITIVE_INFINITY;
  const reader = new TraceReader(t.file!, { origin: t.from, from, to: t.to, routeKey });
  const firstIndex = reader.nextIndex;
  const traffic = new ReplaySource(reader, transforms, seed, { startMs, endMs, endIndex, replayFrom: t.from });
  // A sampled or scaled replay's requests are counted (countWindow), not read off the trace's numbers.
  return changesCount(scenario) ? { traffic } : { traffic, firstIndex };
}

/** The number of requests arriving in [startMs, endMs). */
export function countWindow(scenario: Scenario, seed: number, startMs: number, endMs: number): number {
  if (scenario.traffic.kind === 'synthetic') return syntheticWindow(scenario, seed, startMs, endMs).count();
  const end = Math.min(endMs, scenario.durationMs);
  if (changesCount(scenario)) {
    const counter = replayCounter(scenario, seed);
    return counter.between(counter.point(startMs), counter.point(end));
  }
  return traceIndexAt(scenario, end) - traceIndexAt(scenario, startMs);
}

/** Whether a trace replay is sampled or scaled: its requests are then not the trace's one for one, and their numbers are counted. */
export function changesCount(scenario: Scenario): boolean {
  const t = scenario.traffic;
  return t.kind === 'trace' && (t.scale !== 1 || t.sample !== 1);
}

/** The counter of a trace replay's requests (replay-count.ts). */
export function replayCounter(scenario: Scenario, seed: number): ReplayCounter {
  const t = scenario.traffic;
  if (t.kind !== 'trace') throw new Error('replayCounter of synthetic traffic');
  return new ReplayCounter({ file: t.file!, from: t.from, to: t.to, speed: t.speed, scale: t.scale, sample: t.sample }, seed);
}

/** Synthetic traffic: the arrivals of each block (BLOCK_MS) of [startMs, endMs), both on block boundaries. */
export function countBlocks(scenario: Scenario, seed: number, startMs: number, endMs: number): number[] {
  return syntheticWindow(scenario, seed, startMs, endMs).countByBlock();
}

/** A trace replay that keeps every request once (changesCount false): the requests before each of `starts` (run ms, 0 first); one index seek each. */
export function traceFirstRequests(scenario: Scenario, starts: readonly number[]): number[] {
  const at = starts.map((ms) => traceIndexAt(scenario, ms));
  return at.map((n) => n - at[0]!);
}

/**
 * A trace replay: the trace-wide number of the first request at or after run time `ms`
 * (one seek of the index, one chunk read). Differences of two are request counts.
 */
export function traceIndexAt(scenario: Scenario, ms: number): number {
  const t = scenario.traffic;
  if (t.kind !== 'trace') throw new Error('traceIndexAt of synthetic traffic');
  const r = new TraceReader(t.file!, { from: Math.min(t.from + ms * t.speed, t.to), to: t.to });
  const i = r.nextIndex;
  r.close();
  return i;
}

/** The synthetic generator positioned at the window's first block, ending at its end. */
function syntheticWindow(scenario: Scenario, seed: number, startMs: number, endMs: number): SyntheticTraffic {
  const t = scenario.traffic;
  if (t.kind !== 'synthetic') throw new Error('syntheticWindow of a trace replay');
  return new SyntheticTraffic(
    { rate: t.rate, service: t.service, clients: t.clients, routes: t.routes, durationMs: Math.min(endMs, scenario.durationMs), seed },
    Math.round(startMs / BLOCK_MS),
  );
}

/** Most checkpoints per window: boundaries at 1, 2, 4, ... 2^(n-1) intervals in. */
const MAX_CHECKPOINTS = 24;

/** Boundaries 1, 2, 4, ... intervals after the window's start, before its end. */
export function checkpoints(startMs: number, endMs: number, intervalMs: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < MAX_CHECKPOINTS; j++) {
    const t = startMs + intervalMs * 2 ** j;
    if (t >= endMs) break;
    out.push(t);
  }
  return out;
}

/** Window specs from their starts and the requests before each; from index `from` on. */
export function windowSpecs(scenario: Scenario, starts: readonly number[], firstRequests: readonly number[], from: number): WindowSpec[] {
  const out: WindowSpec[] = [];
  for (let k = from; k < starts.length; k++) {
    const startMs = starts[k]!;
    const endMs = k + 1 < starts.length ? starts[k + 1]! : Number.POSITIVE_INFINITY;
    // The last window's checkpoints stop at the traffic's end: its tail only drains.
    out.push({ index: k, startMs, endMs, firstRequest: firstRequests[k]!, checkpointsMs: k === 0 ? [] : checkpoints(startMs, Math.min(endMs, scenario.durationMs), scenario.intervalMs) });
  }
  return out;
}
