/**
 * The engine's hot loop allocates nothing per event. A heap number boxed on every event is
 * invisible in results and costs ~6% of a replay in allocation and scavenges; it crept in
 * twice (RESULTS.md, 2026-11-26 12:33 and 16:00), both times through a double that V8 had
 * to keep as a tagged value. This counts what a replay of a million requests allocates,
 * with V8's sampling heap profiler, including objects the scavenger has already freed.
 *
 * The times are fractional (as in any real trace): a whole number of ms is a small integer
 * to V8 and would hide a boxed double.
 */
import { Session } from 'node:inspector/promises';
import { describe, expect, it } from 'vitest';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import { createSimulation } from '../../src/simulate.ts';
import { RequestChunk, type TrafficSource } from '../../src/traffic/source.ts';
import { SyntheticTraffic } from '../../src/traffic/synthetic.ts';
import { scenarioOf } from '../helpers/simulate.ts';

const BACKENDS = 16;
/** 16 backends at 80% load: 16,000 requests/s with 0.8 ms of work on average. */
const GAP_MS = 0.0625;
const WORK_MS = Array.from({ length: 64 }, (_, i) => 0.05 + ((i * 37) % 64) * 0.0238);

/** Steady arrivals with fractional times and cycling work, written straight into the chunk. */
class SteadyTraffic implements TrafficSource {
  private next = 0;
  constructor(private readonly requests: number) {}
  get endTime(): number {
    return this.requests * GAP_MS;
  }
  fill(chunk: RequestChunk): void {
    const n = Math.min(chunk.capacity, this.requests - this.next);
    for (let i = 0; i < n; i++) {
      const r = this.next + i;
      chunk.arrival[i] = r * GAP_MS + 0.013;
      chunk.work[i] = WORK_MS[r & 63]!;
      chunk.client[i] = r % 1000;
      chunk.route[i] = 0;
      chunk.flags[i] = 0;
    }
    this.next += n;
    chunk.count = n;
  }
}

/** `proxy`: backends with maxconn and maxqueue, which the proxy layer (src/engine/proxy.ts) runs. */
function replay(algorithm: string, requests: number, proxy = false): number {
  const backend = proxy ? { name: 'web', count: BACKENDS, concurrency: 2, maxconn: 2, maxqueue: 50 } : { name: 'web', count: BACKENDS };
  const scenario = scenarioOf({ name: 'alloc', duration: '1h', traffic: { synthetic: { rate: 1, service: { distribution: 'constant', mean: '1ms' } } }, balancer: { algorithm }, backends: [backend] });
  const traffic = new SteadyTraffic(requests);
  const sim = createSimulation(scenario, BUILTIN_BALANCERS.get(algorithm)!, 1, { startMs: 0, endMs: Number.POSITIVE_INFINITY, firstRequest: 0, trafficEndMs: traffic.endTime, traffic });
  sim.run();
  return sim.events;
}

/** Bytes allocated by `f`, freed or not, as V8's sampling heap profiler estimates them. */
async function allocatedBy(f: () => void): Promise<number> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    f();
    const { profile } = await session.post('HeapProfiler.stopSampling');
    let total = 0;
    const stack = [profile.head];
    while (stack.length > 0) {
      const node = stack.pop()!;
      total += node.selfSize;
      stack.push(...node.children);
    }
    return total;
  } finally {
    session.disconnect();
  }
}

describe('hot loop', () => {
  for (const [algorithm, proxy] of [['round-robin', false], ['least-connections', false], ['round-robin', true]] as const) {
    it(`allocates no heap number per event in a replay of 10^6 requests (${algorithm}${proxy ? ', proxy layer' : ''})`, async () => {
      // A first replay lets V8 optimize the loop: its interpreter boxes every double.
      replay(algorithm, 200_000, proxy);
      let events = 0;
      const bytes = await allocatedBy(() => {
        events = replay(algorithm, 1_000_000, proxy);
      });
      expect(events).toBeGreaterThan(1_900_000);
      // One heap number an event is 32 bytes a request (49 before 2026-11-26 16:00); one a
      // request, 16. What remains is per run, not per event (the chunk's and the slots'
      // arrays, histograms, the time series: 2-5 bytes a request here).
      expect(bytes / 1_000_000).toBeLessThan(8);
    });
  }
});

describe('synthetic traffic', () => {
  /** Generates `seconds` of synthetic traffic at ~11,200/s; returns the arrivals. */
  const generate = (rate: number | { at: number; rate: number }[], seconds: number): number => {
    const source = new SyntheticTraffic({ rate, service: { distribution: 'exponential', mean: 1 }, clients: { count: 100_000, skew: 1 }, durationMs: seconds * 1000, seed: 3 });
    const chunk = new RequestChunk(16_384);
    let n = 0;
    for (source.fill(chunk); chunk.count > 0; source.fill(chunk)) n += chunk.count;
    return n;
  };
  const ramp = [
    { at: 0, rate: 8000 },
    { at: 100_000, rate: 14_000 },
  ];
  for (const [name, rate] of [['a constant rate', 11_200], ['a ramp', ramp]] as const) {
    it(`allocates no heap number per arrival (${name})`, async () => {
      generate(rate, 20);
      let arrivals = 0;
      const bytes = await allocatedBy(() => {
        arrivals = generate(rate, 180);
      });
      expect(arrivals).toBeGreaterThan(1_800_000);
      // Placing a block's arrivals boxed one heap number each until 2026-11-27 (16 bytes an
      // arrival); what remains is per block (its streams' keys) and per run.
      expect(bytes / arrivals).toBeLessThan(4);
    });
  }
});
