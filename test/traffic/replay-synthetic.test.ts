/**
 * End to end: a trace recorded from a synthetic scenario and replayed reproduces that
 * scenario's results: exactly the same requests (same seed), and within the seed-to-seed
 * noise of the synthetic runs otherwise.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.ts';
import { runScenario } from '../../src/simulate.ts';
import { TraceWriter } from '../../src/traffic/lbt/writer.ts';
import { RequestChunk } from '../../src/traffic/source.ts';
import { SyntheticTraffic } from '../../src/traffic/synthetic.ts';

const dir = mkdtempSync(join(tmpdir(), 'lbsim-replay-e2e-'));
const COMMON = `duration: 2m\nwarmup: 10s\ntimeout: 2s\nbalancer: { algorithm: least-connections }\nbackends: [{ name: web, count: 10, queue: 50 }]\n`;
const SYN = `traffic: { synthetic: { rate: 2000/s, service: { distribution: exponential, mean: 4.5ms }, clients: { count: 1000, skew: 1 } } }\n`;

describe('replaying a trace recorded from a synthetic scenario', () => {
  it('reproduces its results', async () => {
    writeFileSync(join(dir, 'synthetic.yaml'), `name: s\nseed: 1\n${COMMON}${SYN}`);
    writeFileSync(join(dir, 'replay.yaml'), `name: r\nseed: 1\n${COMMON}traffic: { trace: recorded.lbt }\n`);
    const synthetic = await loadScenario(join(dir, 'synthetic.yaml'));
    // Record seed 1's traffic as a trace (what `lbsim import` would give for its log).
    const t = synthetic.traffic;
    if (t.kind !== 'synthetic') throw new Error('expected synthetic');
    const src = new SyntheticTraffic({ rate: t.rate, service: t.service, clients: t.clients, routes: t.routes, durationMs: synthetic.durationMs, seed: 1 });
    const w = new TraceWriter(join(dir, 'recorded.lbt'));
    const c = new RequestChunk();
    for (src.fill(c); c.count > 0; src.fill(c)) for (let i = 0; i < c.count; i++) w.push(c.arrival[i]!, c.work[i]!, c.client[i]!, c.route[i]!, 0);
    w.finish();

    const replayScenario = await loadScenario(join(dir, 'replay.yaml'));
    expect(replayScenario.durationMs).toBe(120_000);
    const replay = await runScenario(replayScenario);
    const same = await runScenario(synthetic, { seed: 1 });
    // The same requests: identical counts, latencies equal to float32 rounding of the work.
    expect(replay.requests).toEqual(same.requests);
    expect(replay.backends.map((b) => b.requests)).toEqual(same.backends.map((b) => b.requests));
    expect(replay.latency.mean).toBeCloseTo(same.latency.mean, 3);
    expect(Math.abs(replay.latency.p99 - same.latency.p99) / same.latency.p99).toBeLessThan(0.002);

    // Other seeds: other traffic of the same kind. The replay lies within their noise.
    const others = await Promise.all([2, 3, 4, 5, 6].map((seed) => runScenario(synthetic, { seed })));
    for (const key of ['mean', 'p90', 'p99'] as const) {
      const xs = others.map((r) => r.latency[key]);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
      expect(Math.abs(replay.latency[key] - mean), `${key}: replay ${replay.latency[key]} vs synthetic ${mean} ± ${sd}`).toBeLessThan(4 * sd + 0.005 * mean);
    }
    const totals = others.map((r) => r.requests.total);
    const meanTotal = totals.reduce((a, b) => a + b, 0) / totals.length;
    expect(Math.abs(replay.requests.total - meanTotal)).toBeLessThan(4 * Math.sqrt(meanTotal));
  });
});
