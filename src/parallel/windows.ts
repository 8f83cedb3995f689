/**
 * Cutting one run's timeline into windows, and opening the traffic of one window.
 *
 * Window boundaries are multiples of both the report interval (a window's metrics are
 * whole rows) and the synthetic block length (a window's arrivals are whole blocks, so
 * they are exactly the single run's arrivals). A window's requests keep the sequence
 * numbers they have in the whole run: `firstRequest` is the number of requests before it.
 */
import type { Scenario } from '../scenario/load.ts';
import { TraceReader } from '../traffic/lbt/reader.ts';
import { ReplaySource } from '../traffic/replay.ts';
import type { TrafficSource } from '../traffic/source.ts';
import { BLOCK_MS, SyntheticTraffic } from '../traffic/synthetic.ts';

/** Why a scenario cannot be split in time, or undefined when it can. */
export function unsplittableReason(scenario: Scenario): string | undefined {
  const t = scenario.traffic;
  if (t.kind === 'trace' && (t.scale !== 1 || t.sample !== 1)) {
    return 'replay scale/sample change which requests exist near window edges; such a replay runs on one thread';
  }
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
 * Boundaries T_1 < ... < T_{K-1} (ms) splitting [0, duration) into at most `count`
 * windows of about equal length. Fewer when the run is too short to cut that often.
 */
export function planBoundaries(scenario: Scenario, count: number): number[] {
  const stepUs = boundaryStepUs(scenario);
  const durationUs = Math.round(scenario.durationMs * 1000);
  const out: number[] = [];
  for (let k = 1; k < count; k++) {
    const us = Math.round((durationUs * k) / count / stepUs) * stepUs;
    if (us > 0 && us < durationUs && (out.length === 0 || us > out[out.length - 1]! * 1000)) out.push(us / 1000);
  }
  return out;
}

/** The arrivals of [startMs, endMs) on the run's timeline. */
export function openWindowTraffic(scenario: Scenario, seed: number, startMs: number, endMs: number): TrafficSource {
  const t = scenario.traffic;
  if (t.kind === 'synthetic') return syntheticWindow(scenario, seed, startMs, endMs);
  const reader = new TraceReader(t.file!, { origin: t.from, from: t.from + startMs * t.speed, to: Math.min(t.to, t.from + endMs * t.speed) });
  // The same transform path as the whole run's replay, so arrival times are the same bits.
  return t.speed === 1 ? reader : new ReplaySource(reader, { speed: t.speed }, seed);
}

/** The number of requests arriving in [startMs, endMs). */
export function countWindow(scenario: Scenario, seed: number, startMs: number, endMs: number): number {
  const t = scenario.traffic;
  if (t.kind === 'synthetic') return syntheticWindow(scenario, seed, startMs, endMs).count();
  const at = (ms: number) => {
    const r = new TraceReader(t.file!, { from: Math.min(t.from + ms * t.speed, t.to), to: t.to });
    const i = r.nextIndex;
    r.close();
    return i;
  };
  return at(Math.min(endMs, scenario.durationMs)) - at(startMs);
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
