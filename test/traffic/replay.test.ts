import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TraceWriter } from '../../src/traffic/lbt/writer.ts';
import { TraceReader } from '../../src/traffic/lbt/reader.ts';
import { ReplaySource, openReplay, twinClient } from '../../src/traffic/replay.ts';
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

describe('twin clients of scaled copies', () => {
  it('for each copy, a bijection of the 24 network bits (every /24 goes to a distinct one), the host byte kept', () => {
    for (const copy of [0, 1, 7]) {
      const seen = new Uint8Array(1 << 21); // a bit per /24
      for (let net = 0; net < 1 << 24; net++) {
        const t = twinClient((net << 8) >>> 0, copy) >>> 8;
        if (seen[t >>> 3]! & (1 << (t & 7))) throw new Error(`copy ${copy}: /24 ${net} lands on a taken /24 ${t}`);
        seen[t >>> 3]! |= 1 << (t & 7);
      }
    }
  });

  it('clients of one /24 have twins in one other /24; distinct clients keep distinct twins; each copy is another client', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 30 }), (a, host, b, copy) => {
        const sameNet = ((a & 0xffffff00) | host) >>> 0;
        expect(twinClient(a, copy) & 0xff).toBe(a & 0xff);
        expect(twinClient(sameNet, copy) >>> 8).toBe(twinClient(a, copy) >>> 8);
        if (a !== b) expect(twinClient(a, copy)).not.toBe(twinClient(b, copy));
        expect(twinClient(a, copy)).not.toBe(twinClient(a, copy + 1));
      }),
    );
  });

  it('a trace from 3 networks scaled 3× comes from 9: the grouping ip_hash sees is kept, not scattered', () => {
    const f = join(dir, 'nets.lbt');
    const w = new TraceWriter(f);
    // 10.0.0.x, 10.0.1.x and 192.168.7.x, 50 hosts each.
    const nets = [0x0a000000, 0x0a000100, 0xc0a80700];
    for (let i = 0; i < 30_000; i++) w.push(i * 5, 10, (nets[i % 3]! | (i % 50)) >>> 0, 0, 0);
    w.finish();
    const r = drain(openReplay(f, { scale: 3 }, 1));
    expect(r.client.length).toBe(90_000);
    expect(new Set(r.client.map((c) => c >>> 8)).size).toBe(9);
    expect(new Set(r.client).size).toBe(9 * 50);
  });
});
