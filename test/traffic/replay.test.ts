import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceWriter } from '../../src/traffic/lbt/writer.ts';
import { TraceReader } from '../../src/traffic/lbt/reader.ts';
import { ReplaySource, openReplay } from '../../src/traffic/replay.ts';
import { RequestChunk, RequestFlag, type TrafficSource } from '../../src/traffic/source.ts';

const dir = mkdtempSync(join(tmpdir(), 'lbsim-replay-'));
const file = join(dir, 't.lbt');
const N = 200_000;
{
  const w = new TraceWriter(file, { chunkCapacity: 4096 });
  // One request per 5 ms, work = index % 100, client = index % 1000.
  for (let i = 0; i < N; i++) w.push(i * 5, i % 100, i % 1000, 0, 0);
  w.finish();
}

function drain(src: TrafficSource, cap = 1000) {
  const c = new RequestChunk(cap);
  const arrival: number[] = [];
  const work: number[] = [];
  const client: number[] = [];
  const flags: number[] = [];
  for (;;) {
    src.fill(c);
    if (c.count === 0) break;
    for (let i = 0; i < c.count; i++) {
      arrival.push(c.arrival[i]!);
      work.push(c.work[i]!);
      client.push(c.client[i]!);
      flags.push(c.flags[i]!);
    }
  }
  src.close?.();
  return { arrival, work, client, flags };
}

const nonDecreasing = (a: number[]) => a.every((x, i) => i === 0 || x >= a[i - 1]!);

describe('replay transforms', () => {
  it('identity: the bare reader, every request', () => {
    const src = openReplay(file, {}, 1);
    expect(src).toBeInstanceOf(TraceReader);
    expect(drain(src).arrival.length).toBe(N);
  });

  it('speed 4: the same requests and work, arrivals 4x sooner, the run 4x shorter', () => {
    const src = openReplay(file, { speed: 4 }, 1);
    const r = drain(src);
    expect(r.arrival.length).toBe(N);
    expect(r.arrival[1000]).toBe(1000 * 5 / 4);
    expect(r.work[1234]).toBe(34);
    expect(src.endTime).toBeCloseTo(((N - 1) * 5) / 4, 3);
  });

  it('sample 0.1 keeps 10% ± 4 sd, the same requests whatever the window or fill size', () => {
    const whole = drain(openReplay(file, { sample: 0.1 }, 7));
    const n = whole.arrival.length;
    const sd = Math.sqrt(N * 0.1 * 0.9);
    expect(Math.abs(n - N * 0.1)).toBeLessThan(4 * sd);
    // A window sees exactly the requests of the whole run that fall inside it.
    const win = drain(openReplay(file, { sample: 0.1, window: { from: 250_000, to: 500_000 } }, 7), 17);
    const inside = whole.arrival.filter((t) => t >= 250_000 && t < 500_000).map((t) => t - 250_000);
    expect(win.arrival).toEqual(inside);
    // Another seed, other requests.
    expect(drain(openReplay(file, { sample: 0.1 }, 8)).arrival.slice(0, 50)).not.toEqual(whole.arrival.slice(0, 50));
  });

  it('scale 1.5: every request once, half of them twice; copies jittered between neighbours, in order, flagged, from twin clients', () => {
    const r = drain(openReplay(file, { scale: 1.5 }, 3), 999);
    const copies = r.flags.filter((f) => f & RequestFlag.ScaledCopy).length;
    const sd = Math.sqrt(N * 0.25);
    expect(Math.abs(copies - N / 2)).toBeLessThan(4 * sd);
    expect(r.arrival.length).toBe(N + copies);
    expect(nonDecreasing(r.arrival)).toBe(true);
    const originals = r.arrival.filter((_, i) => !(r.flags[i]! & RequestFlag.ScaledCopy));
    expect(originals).toEqual(Array.from({ length: N }, (_, i) => i * 5));
    // Copies carry their original's work (the next non-copy request) and a different client key.
    for (let i = 0; i < 2000; i++) {
      if (!(r.flags[i]! & RequestFlag.ScaledCopy)) continue;
      let j = i + 1;
      while (r.flags[j]! & RequestFlag.ScaledCopy) j++;
      expect(r.work[i]).toBe(r.work[j]);
      expect(r.client[i]).not.toBe(r.client[j]);
      expect(r.arrival[i]).toBeLessThanOrEqual(r.arrival[j]!);
      expect(r.arrival[i]).toBeGreaterThanOrEqual(r.arrival[j]! - 5);
    }
    // Jitter is spread over the gap, not piled at one end.
    const offsets = r.arrival.filter((_, i) => r.flags[i]! & RequestFlag.ScaledCopy).map((t) => 5 - (t % 5 === 0 ? 5 : t % 5));
    const mean = offsets.reduce((a, b) => a + b, 0) / offsets.length;
    expect(mean).toBeGreaterThan(2.3);
    expect(mean).toBeLessThan(2.7);
  });

  it('scale 2.5 and 0.5; the output is the same whatever the fill size', () => {
    const a = drain(openReplay(file, { scale: 2.5 }, 3), 1);
    const b = drain(openReplay(file, { scale: 2.5 }, 3), 4096);
    expect(a).toEqual(b);
    expect(Math.abs(a.arrival.length - 2.5 * N)).toBeLessThan(4 * Math.sqrt(N * 0.25));
    expect(nonDecreasing(a.arrival)).toBe(true);
    const half = drain(openReplay(file, { scale: 0.5 }, 3)).arrival.length;
    expect(Math.abs(half - N / 2)).toBeLessThan(4 * Math.sqrt(N * 0.25));
  });

  it('refuses out-of-range factors', () => {
    expect(() => new ReplaySource(new TraceReader(file), { scale: 0 }, 1)).toThrow(/out of range/);
    expect(() => new ReplaySource(new TraceReader(file), { sample: 1.5 }, 1)).toThrow(/out of range/);
  });
});
