import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORMAT_VERSION, HEADER_BYTES } from '../../src/traffic/lbt/format.ts';
import { asVersion1 } from '../helpers/lbt-v1.ts';
import { TraceReader } from '../../src/traffic/lbt/reader.ts';
import { TraceWriter } from '../../src/traffic/lbt/writer.ts';
import { formatTraceInfo, traceInfo } from '../../src/traffic/lbt/info.ts';
import { RequestChunk } from '../../src/traffic/source.ts';

const dir = mkdtempSync(join(tmpdir(), 'lbsim-lbt-'));

/** n requests, arrivals 0, 1.5, 3, ... ms with some equal times, work i % 97 + 0.25. */
function writeTrace(file: string, n: number, chunkCapacity: number): void {
  const w = new TraceWriter(file, { originEpochMs: 1_713_175_200_000, chunkCapacity });
  for (let i = 0; i < n; i++) w.push(Math.floor(i / 2) * 3, (i % 97) + 0.25, i * 7, i % 13, i % 3 === 0 ? 1 : 0, 1000 + i);
  w.finish({ skippedRows: 4 });
}

function readAll(r: TraceReader, cap = 1000) {
  const c = new RequestChunk(cap);
  const out: { index: number; arrival: number; work: number; client: number; route: number; flags: number }[] = [];
  for (;;) {
    r.fill(c);
    if (c.count === 0) break;
    for (let i = 0; i < c.count; i++) out.push({ index: r.firstIndexOfFill + i, arrival: c.arrival[i]!, work: c.work[i]!, client: c.client[i]!, route: c.route[i]!, flags: c.flags[i]! });
  }
  r.close();
  return out;
}

describe('.lbt trace', () => {
  const file = join(dir, 'a.lbt');
  writeTrace(file, 10_007, 512);

  it('round-trips every request, in order, across chunk boundaries and fill sizes', () => {
    for (const cap of [1, 333, 512, 4096]) {
      const all = readAll(new TraceReader(file), cap);
      expect(all.length).toBe(10_007);
      const wrong = all.filter((r, i) => r.index !== i || r.arrival !== Math.floor(i / 2) * 3 || r.work !== (i % 97) + 0.25 || r.client !== i * 7 || r.route !== i % 13 || r.flags !== (i % 3 === 0 ? 1 : 0));
      expect(wrong.slice(0, 3)).toEqual([]);
    }
  });

  it('the uri column: a replay asked for uri keys gives them as the route keys, everything else the same', () => {
    const byPath = readAll(new TraceReader(file), 333);
    const byUri = readAll(new TraceReader(file, { routeKey: 'uri' }), 333);
    expect(byUri.length).toBe(10_007);
    expect(byUri.filter((r, i) => r.route !== 1000 + i).slice(0, 3)).toEqual([]);
    expect(byUri.map((r) => ({ ...r, route: 0 }))).toEqual(byPath.map((r) => ({ ...r, route: 0 })));
    expect(readAll(new TraceReader(file, { routeKey: 'path' }), 333)).toEqual(byPath);
  });

  it('a version 1 trace (no uri column) is still read: its uri keys are its path keys', () => {
    const v1 = join(dir, 'v1.lbt');
    writeFileSync(v1, asVersion1(readFileSync(file)));
    const r = new TraceReader(v1);
    expect(r.header).toMatchObject({ version: 1, uriKeys: false, count: 10_007 });
    expect(new TraceReader(file).header.uriKeys).toBe(true);
    const want = readAll(new TraceReader(file), 333);
    expect(readAll(r, 333)).toEqual(want);
    expect(readAll(new TraceReader(v1, { routeKey: 'uri' }), 333)).toEqual(want);
    expect(readAll(new TraceReader(v1, { from: 9000, to: 12_000 }))).toEqual(readAll(new TraceReader(file, { from: 9000, to: 12_000 })));
  });

  it('header: count, chunks, arrivals, origin, skipped rows', () => {
    const r = new TraceReader(file);
    expect(r.header).toMatchObject({ version: FORMAT_VERSION, count: 10_007, chunkCount: Math.ceil(10_007 / 512), chunkCapacity: 512, firstArrival: 0, lastArrival: 5003 * 3, skippedRows: 4, originEpochMs: 1_713_175_200_000 });
    r.close();
  });

  it('a window yields exactly the requests in [from, to), shifted to start at 0, numbered as in the whole trace', () => {
    for (const [from, to] of [
      [0, 1],
      [1500, 1503],
      [1501, 9000.5],
      [3 * 511, 3 * 513],
      [14_000, 1e9],
      [20_000, 30_000],
    ] as const) {
      const got = readAll(new TraceReader(file, { from, to }));
      const want: number[] = [];
      for (let i = 0; i < 10_007; i++) {
        const t = Math.floor(i / 2) * 3;
        if (t >= from && t < to) want.push(i);
      }
      expect(got.map((g) => g.index)).toEqual(want);
      for (const g of got) expect(g.arrival).toBe(Math.floor(g.index / 2) * 3 - from);
    }
  });

  it('opens a late window without reading the chunks before it', () => {
    const r = new TraceReader(file, { from: 14_000 });
    // The seek lands in the chunk holding t = 14000: request 9334 is the first at or after it.
    const c = new RequestChunk(10);
    r.fill(c);
    expect(r.firstIndexOfFill).toBe(Math.ceil(14_000 / 3) * 2);
    r.close();
  });

  it('an empty trace is valid and yields nothing', () => {
    const f = join(dir, 'empty.lbt');
    new TraceWriter(f).finish();
    expect(readAll(new TraceReader(f))).toEqual([]);
  });

  it('abort leaves no file, not even the temporary one', () => {
    const sub = mkdtempSync(join(tmpdir(), 'lbsim-lbt-abort-'));
    const w = new TraceWriter(join(sub, 'x.lbt'), { chunkCapacity: 4 });
    for (let i = 0; i < 10; i++) w.push(i, 1, 0, 0, 0);
    w.abort();
    expect(readdirSync(sub)).toEqual([]);
  });

  it('refuses arrivals that go back in time (the importer must sort)', () => {
    const w = new TraceWriter(join(dir, 'back.lbt'));
    w.push(5, 1, 0, 0, 0);
    expect(() => w.push(4, 1, 0, 0, 0)).toThrow(/before/);
    w.abort();
  });

  const corrupt = (name: string, edit: (b: Buffer) => Buffer) => {
    const f = join(dir, name);
    writeFileSync(f, edit(Buffer.from(readFileSync(file))));
    return f;
  };
  const open = (f: string) => () => readAll(new TraceReader(f));

  it('another version, a wrong magic, a truncated or extended file: TRACE_INVALID naming the file', () => {
    const v3 = corrupt('v3.lbt', (b) => (b.writeUInt32LE(3, 8), b));
    expect(open(v3)).toThrow(expect.objectContaining({ code: 'TRACE_INVALID', message: expect.stringMatching(/v3\.lbt: .*version 3, this lbsim reads versions 1 and 2/) }));
    expect(open(corrupt('magic.lbt', (b) => (b.write('NOTATRACE', 0), b)))).toThrow(/magic/);
    expect(open(corrupt('trunc.lbt', (b) => b.subarray(0, b.length - 100)))).toThrow(/truncated/);
    expect(open(corrupt('short.lbt', (b) => b.subarray(0, 40)))).toThrow(/shorter than a header/);
    expect(open(corrupt('header.lbt', (b) => (b[HEADER_BYTES - 10]! ^= 1, b)))).toThrow(/header checksum/);
  });

  it('a flipped bit inside a chunk is a checksum error when that chunk is read', () => {
    const f = corrupt('bit.lbt', (b) => (b[HEADER_BYTES + 24 + 100]! ^= 0x10, b));
    expect(open(f)).toThrow(expect.objectContaining({ code: 'TRACE_INVALID', message: expect.stringMatching(/chunk 0 .*checksum mismatch/) }));
    // A window past the damaged chunk never reads it.
    expect(readAll(new TraceReader(f, { from: 10_000 })).length).toBeGreaterThan(0);
  });

  it('a missing file is FILE_NOT_FOUND', () => {
    expect(open(join(dir, 'nope.lbt'))).toThrow(expect.objectContaining({ code: 'FILE_NOT_FOUND' }));
    expect(existsSync(join(dir, 'nope.lbt'))).toBe(false);
  });

  it('trace info: rate per minute, work percentiles, distinct clients', () => {
    const f = join(dir, 'info.lbt');
    const w = new TraceWriter(f, { chunkCapacity: 100 });
    // Minute 0: 60 requests, minute 1: none, minute 2: 120; work 1..180 ms; 30 clients.
    let i = 0;
    for (let k = 0; k < 60; k++, i++) w.push(k * 1000, i + 1, i % 30, 0, i === 0 ? 1 : 0);
    for (let k = 0; k < 120; k++, i++) w.push(120_000 + k * 500, i + 1, i % 30, 1, 0);
    // Minute 3 holds one request: the trace ends in it, so it is no whole minute and no minimum.
    w.push(180_000, 1, 0, 1, 0);
    w.finish();
    const info = traceInfo(f);
    expect(info.requests).toBe(181);
    expect(info.perMinute).toEqual({ min: 0, median: 60, peak: 120, peakAtMs: 120_000 });
    expect(info.work.p50).toBeCloseTo(90, 0);
    expect(info.work.max).toBe(180);
    expect(info.distinctClients).toBe(30);
    // 181 requests over 30 clients: i % 30 over 180 of them, then client 0 once more.
    expect(info.heaviestClients.top[0]).toBeCloseTo(7 / 181, 12);
    expect(info.heaviestClients.top.slice(1)).toEqual(Array(9).fill(6 / 181));
    expect(info.heaviestClients.top10).toBeCloseTo(61 / 181, 12);
    expect(info.heaviestClients.top100).toBeCloseTo(1, 12);
    expect(info.distinctRoutes).toBe(2);
    // Paths: 60 requests of route 0, 121 of route 1.
    expect(info.heaviestRoutes).toEqual({ top: [121 / 181, 60 / 181], top10: 1, top100: 1 });
    expect(formatTraceInfo(info)).toMatch(/\nheaviest   66\.9%, 33\.1% of requests; the top 10 paths 100\.0%, the top 100 100\.0% \(with a hash by path, each lands on one server\)\n/);
    // Written without uri keys (the writer's default: each request's path key), and a version 1 trace has none.
    expect(info.distinctTargets).toBe(2);
    const v1 = join(dir, 'info-v1.lbt');
    writeFileSync(v1, asVersion1(readFileSync(f)));
    expect(traceInfo(v1)).toMatchObject({ version: 1, distinctRoutes: 2, distinctTargets: null, requests: 181 });
    expect(info.recordedFailures).toBe(1);
  });

  it('trace info: the lowest and median minute leave out the minutes the span cuts', () => {
    const f = join(dir, 'info-cut.lbt');
    const w = new TraceWriter(f, { chunkCapacity: 100 });
    // One a second from 0:30 to 3:30: minutes 1 and 2 whole (60 each), minute 0 holds 30, minute 3 holds 31.
    for (let t = 30_000; t <= 210_000; t += 1000) w.push(t, 1, 0, 0, 0);
    w.finish();
    expect(traceInfo(f).perMinute).toEqual({ min: 60, median: 60, peak: 60, peakAtMs: 60_000 });
    // Under a whole minute: the one cut minute is all there is.
    const g = join(dir, 'info-short.lbt');
    const v = new TraceWriter(g, { chunkCapacity: 100 });
    for (let t = 10_000; t <= 20_000; t += 1000) v.push(t, 1, 0, 0, 0);
    v.finish();
    expect(traceInfo(g).perMinute).toEqual({ min: 11, median: 11, peak: 11, peakAtMs: 0 });
  });
});

