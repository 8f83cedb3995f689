/**
 * Sampled and scaled replays split in time (src/parallel/windows.ts, replay-count.ts):
 * a window's requests are exactly the whole replay's requests in its time span — the
 * scaled copies of a request arrive between it and the request before, so some cross
 * an edge — and the requests before a window are counted from the draws, not read.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulationPool } from '../../src/parallel/pool.ts';
import { countWindow, openWindowTraffic, unsplittableReason } from '../../src/parallel/windows.ts';
import { parseScenario, type Scenario } from '../../src/scenario/load.ts';
import { createTraffic } from '../../src/simulation-setup.ts';
import { TraceWriter } from '../../src/traffic/lbt/writer.ts';
import { RequestChunk, type TrafficSource } from '../../src/traffic/source.ts';
import { expectSplitExact, single } from '../helpers/time-split.ts';

const dir = mkdtempSync(join(tmpdir(), 'lbsim-replay-windows-'));

/**
 * 12,000 requests over ~36 s in small chunks (so a request and the one before often lie in
 * two chunks): bursts 0.5 ms apart and lulls of up to 40 ms, so copies land on both sides
 * of many window edges, and an idle gap of 3 s.
 */
const file = join(dir, 'bursty.lbt');
{
  const w = new TraceWriter(file, { chunkCapacity: 97 });
  let t = 0;
  for (let i = 0; i < 12_000; i++) {
    t += i % 50 < 40 ? 0.5 : 40 + (i % 7);
    if (i === 6_000) t += 3_000;
    w.push(t, 1 + (i % 9) / 3, (i * 2654435761) % 5000 >>> 0, i % 4, 0);
  }
  w.finish();
}

const replay = (transforms: string, balancer = 'round-robin', backends = '[{ name: a, count: 4, concurrency: 2, queue: 200 }]') =>
  parseScenario(`name: replay\nseed: 11\ntraffic: { trace: ${file}, ${transforms} }\nbalancer: { algorithm: ${balancer} }\nbackends: ${backends}\n`, { baseDir: dir });

/** Every request a source gives, as rows of its columns. */
function drain(src: TrafficSource): number[][] {
  const c = new RequestChunk(64);
  const rows: number[][] = [];
  for (;;) {
    src.fill(c);
    if (c.count === 0) break;
    for (let i = 0; i < c.count; i++) rows.push([c.arrival[i]!, c.work[i]!, c.client[i]!, c.route[i]!, c.flags[i]!]);
  }
  src.close?.();
  return rows;
}

describe('a window of a sampled or scaled replay', () => {
  it('windows cut anywhere give the whole replay, request for request, and their counts are their requests', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('scale: 1.7', 'scale: 3', 'scale: 2.25, speed: 2', 'sample: 0.3', 'scale: 0.6', 'sample: 0.5, scale: 4.5, speed: 0.75', 'scale: 2.5, window: { from: 7s, to: 29s }', 'sample: 0.02, scale: 1.5'),
        fc.uniqueArray(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }),
        (transforms, at) => {
          const sc = replay(transforms);
          const whole = drain(createTraffic(sc, sc.seed));
          const cuts = [0, ...at.map((u) => u * sc.durationMs).sort((a, b) => a - b), Number.POSITIVE_INFINITY];
          const pieces: number[][] = [];
          for (let k = 0; k + 1 < cuts.length; k++) {
            const rows = drain(openWindowTraffic(sc, sc.seed, cuts[k]!, cuts[k + 1]!).traffic);
            expect(countWindow(sc, sc.seed, cuts[k]!, cuts[k + 1]!), `${transforms}: window ${k} of ${cuts.join(', ')}`).toBe(rows.length);
            const outside = rows.find((r) => !(r[0]! >= cuts[k]! && r[0]! < cuts[k + 1]!));
            expect(outside, `${transforms}: a request outside [${cuts[k]}, ${cuts[k + 1]})`).toBeUndefined();
            pieces.push(...rows);
          }
          expect(pieces).toEqual(whole);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('the copies of a request reach into the window before its own', () => {
    const sc = replay('scale: 3');
    // A lull of 40 ms then a burst: an edge inside the lull leaves copies of the burst's first request before it.
    const whole = drain(createTraffic(sc, sc.seed));
    const copyIndex = whole.findIndex((r, i) => i > 100 && (r[4]! & 4) !== 0 && whole[i + 1]![0]! - r[0]! > 5);
    const edge = (whole[copyIndex]![0]! + whole[copyIndex + 1]![0]!) / 2;
    const before = drain(openWindowTraffic(sc, sc.seed, 0, edge).traffic);
    const after = drain(openWindowTraffic(sc, sc.seed, edge, Number.POSITIVE_INFINITY).traffic);
    expect(before[before.length - 1]![4]! & 4).toBe(4);
    expect([...before, ...after]).toEqual(whole);
    expect(countWindow(sc, sc.seed, 0, edge)).toBe(copyIndex + 1);
  });

  it('is split in time: no reason to run it whole', () => {
    expect(unsplittableReason(replay('scale: 2'))).toBeUndefined();
    expect(unsplittableReason(replay('sample: 0.2'))).toBeUndefined();
  });
});

describe('sampled and scaled replays split in time are byte-identical to one thread', () => {
  let pool: SimulationPool;
  beforeAll(() => {
    pool = new SimulationPool({ threads: 2 });
  });
  afterAll(async () => {
    await pool.destroy();
  });
  const cases: [string, Scenario][] = [
    ['scaled ×2.5, weighted round-robin counters', replay('scale: 2.5', 'haproxy/roundrobin', '[{ name: a, weight: 3, concurrency: 2, queue: 200 }, { name: b, count: 2, concurrency: 2, queue: 200 }]')],
    ['sampled 35%, power-of-two (a draw per request number)', replay('sample: 0.35', 'power-of-two')],
    // The replay's first request has a request before it in the trace, which its copies must not see.
    ['scaled ×2.5 over a window of the trace (7 s–29 s), power-of-two', replay('scale: 2.5, window: { from: 7s, to: 29s }', 'power-of-two')],
    ['scaled ×1.8 and sped up ×3, random (a draw per request number)', replay('scale: 1.8, speed: 3', 'random')],
    // Four copies of every request on one slow server: queues that never drain, fix-ups that redo whole windows.
    ['scaled ×5 into overload, least-connections', replay('scale: 5', 'least-connections', '[{ name: a, concurrency: 1, queue: 100000 }]')],
  ];
  for (const [what, sc] of cases) {
    it(`${what}: 2, 3 and 7 windows`, async () => {
      await expectSplitExact(pool, sc, single(sc));
    });
  }
});
