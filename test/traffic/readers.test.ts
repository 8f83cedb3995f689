import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TraceReader } from '../../src/traffic/lbt/reader.ts';
import { formatFromName, importLog } from '../../src/traffic/readers/import.ts';
import { clientIdKeyOf, keyOf, routeKeyOf } from '../../src/traffic/readers/keys.ts';
import { nginxParser } from '../../src/traffic/readers/nginx.ts';
import { emptyRequest, parseIsoMs } from '../../src/traffic/readers/types.ts';
import { RequestChunk, RequestFlag } from '../../src/traffic/source.ts';
import { PRECISION_MS, type LogRequest } from './log-writers.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures');
const dir = mkdtempSync(join(tmpdir(), 'lbsim-readers-'));
const expected = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8')) as LogRequest[];
const FILES = { nginx: 'nginx.log', haproxy: 'haproxy.log', alb: 'alb.log', envoy: 'envoy.log', csv: 'requests.csv', jsonl: 'requests.jsonl' } as const;

function readTrace(file: string) {
  const r = new TraceReader(file, { from: 0 });
  const c = new RequestChunk(100_000);
  r.fill(c);
  const out = Array.from({ length: c.count }, (_, i) => ({ arrival: c.arrival[i]! + r.header.originEpochMs, work: c.work[i]!, client: c.client[i]!, route: c.route[i]!, flags: c.flags[i]! }));
  r.close();
  return out;
}

describe('sample logs of every format', () => {
  for (const [format, name] of Object.entries(FILES) as [keyof typeof FILES, string][]) {
    it(`${format}: ${name} imports to the requests it was written from`, async () => {
      const out = join(dir, `${format}.lbt`);
      const s = await importLog(join(FIX, name), out, { format });
      expect(s.requests).toBe(expected.length);
      const got = readTrace(out);
      const p = PRECISION_MS[format];
      got.forEach((g, i) => {
        const e = expected[i]!;
        expect(Math.abs(g.arrival - e.arrivalEpochMs)).toBeLessThanOrEqual(p.arrival);
        if (e.noUpstream) expect(g.flags & RequestFlag.WorkEstimated).toBe(RequestFlag.WorkEstimated);
        else expect(Math.abs(g.work - e.workMs)).toBeLessThanOrEqual(p.work);
        expect(g.client).toBe(clientIdKeyOf(e.clientIp));
        expect(g.route).toBe(format === 'alb' ? routeKeyOf(`shop.example.com:443${e.path}`) : routeKeyOf(e.path));
        // 503s are recorded failures everywhere; a request with no upstream is one where the format says so (-1 timers, response flags).
        if (e.status >= 500) expect(g.flags & RequestFlag.RecordedFailure).toBe(RequestFlag.RecordedFailure);
      });
    });
  }

  it('reads .gz transparently (by content, whatever the name)', async () => {
    const gz = join(dir, 'nginx-log.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(FIX, 'nginx.log'))));
    const s = await importLog(gz, join(dir, 'gz.lbt'), { format: 'nginx' });
    expect(s.requests).toBe(expected.length);
    expect(readTrace(join(dir, 'gz.lbt'))).toEqual(readTrace(join(dir, 'nginx.lbt')));
  });

  it('estimates unknown work from the running mean and flags it', async () => {
    const got = readTrace(join(dir, 'envoy.lbt'));
    const i = expected.findIndex((e) => e.noUpstream);
    expect(got[i]!.flags & RequestFlag.WorkEstimated).toBeTruthy();
    expect(got[i]!.work).toBeGreaterThan(0);
  });
});

describe('nginx details', () => {
  it('several upstream attempts: the last one is the work; arrival = $msec - $request_time', () => {
    const parse = nginxParser();
    const r = emptyRequest();
    expect(parse('1713175200.500 0.300 0.100, 0.150 10.0.0.1:80, 10.0.0.2:80 502, 200 200 203.0.113.9 "GET /a?b=1 HTTP/1.1"', r)).toBeUndefined();
    expect(r.arrivalEpochMs).toBeCloseTo(1_713_175_200_200, 3);
    expect(r.workMs).toBeCloseTo(150, 6);
    expect(r.client).toBe(((203 << 24) | (113 << 8) | 9) >>> 0);
    expect(r.route).toBe(keyOf('/a'));
    expect(r.flags).toBe(0);
    expect(parse('1713175200.500 0.300 0.100 : 0.120 10.0.0.1:80 : 10.0.0.2:80 200 : 504 504 203.0.113.9 "GET / HTTP/1.1"', r)).toBeUndefined();
    expect(r.workMs).toBeCloseTo(120, 6);
    expect(r.flags).toBe(RequestFlag.RecordedFailure);
    expect(nginxParser({ work: 'request_time' })('1713175200.500 0.300 0.1 - 200 200 1.2.3.4 "GET / HTTP/1.1"', r)).toBeUndefined();
    expect(r.workMs).toBeCloseTo(300, 6);
  });
});

describe('timestamps', () => {
  it('ISO-8601 keeps microseconds and offsets', () => {
    expect(parseIsoMs('2024-04-15T10:00:00.123456Z')).toBeCloseTo(Date.UTC(2024, 3, 15, 10) + 123.456, 6);
    expect(parseIsoMs('2024-04-15T12:00:00+02:00')).toBe(Date.UTC(2024, 3, 15, 10));
    expect(parseIsoMs('2024-04-15 10:00:00Z')).toBe(Date.UTC(2024, 3, 15, 10));
    expect(parseIsoMs('yesterday')).toBeNaN();
  });

  it('CSV epoch seconds, epoch ms and durations in seconds by header name', async () => {
    const f = join(dir, 'epochs.csv');
    writeFileSync(f, 'ts,latency_s,user\n1713175200.5,0.25,u1\n1713175200600,0.5,u2\n');
    await importLog(f, join(dir, 'epochs.lbt'), { format: 'csv' });
    const got = readTrace(join(dir, 'epochs.lbt'));
    expect(got.map((g) => g.arrival)).toEqual([1_713_175_200_500, 1_713_175_200_600]);
    expect(got.map((g) => g.work)).toEqual([250, 500]);
  });

  it('format from the file name', () => {
    expect(formatFromName('x/requests.csv.gz')).toBe('csv');
    expect(formatFromName('a.ndjson')).toBe('jsonl');
    expect(formatFromName('prod-haproxy.log.gz')).toBe('haproxy');
    expect(formatFromName('access.log')).toBeUndefined();
  });
});

describe('bad input', () => {
  const write = (name: string, text: string | Buffer) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const noOutput = (sub: string) => expect(readdirSync(sub)).toEqual([]);

  it('a malformed row names the file, the line and what was wrong; nothing is written', async () => {
    const lines = readFileSync(join(FIX, 'nginx.log'), 'utf8').split('\n');
    lines[4] = '1713175200.600 fast 0.1 - - 200 1.2.3.4 "GET / HTTP/1.1"';
    const f = write('bad.log', lines.join('\n'));
    const out = mkdtempSync(join(tmpdir(), 'lbsim-bad-'));
    await expect(importLog(f, join(out, 'x.lbt'), { format: 'nginx' })).rejects.toMatchObject({
      code: 'PARSE_ERROR',
      message: expect.stringMatching(/bad\.log:5: \$request_time: expected seconds such as 0\.052, got 'fast'/),
    });
    noOutput(out);
  });

  it('--on-error skip counts and skips malformed rows', async () => {
    const f = write('bad.csv', 'timestamp,duration\n2024-04-15T10:00:00Z,5\nnot-a-time,5\n2024-04-15T10:00:01Z,x\n2024-04-15T10:00:02Z,7\n');
    const s = await importLog(f, join(dir, 'skip.lbt'), { format: 'csv', onError: 'skip' });
    expect(s.requests).toBe(2);
    expect(s.skipped).toBe(2);
    expect(s.skippedExamples[0]).toMatch(/bad\.csv:3: timestamp: expected an ISO-8601 time/);
    expect(s.skippedExamples[1]).toMatch(/bad\.csv:4: duration: expected a number, got "x"/);
    expect(new TraceReader(join(dir, 'skip.lbt')).header.skippedRows).toBe(2);
  });

  it('a duration of -1 is a request never answered; any other negative one is a malformed row (CSV and JSON lines)', async () => {
    const csv = write('neg.csv', 'timestamp,duration\n2024-04-15T10:00:00Z,5\n2024-04-15T10:00:01Z,-1\n2024-04-15T10:00:02Z,-5\n2024-04-15T10:00:03Z,"-0.5"\n');
    const s = await importLog(csv, join(dir, 'neg.lbt'), { format: 'csv', onError: 'skip' });
    expect(s.requests).toBe(2);
    expect(s.skippedExamples).toEqual([
      expect.stringMatching(/neg\.csv:4: duration: expected a duration ≥ 0, or -1 for a request never answered, got "-5"/),
      expect.stringMatching(/neg\.csv:5: duration: expected a duration ≥ 0, or -1 .* got "-0\.5"/),
    ]);
    const flags: number[] = [];
    const chunk = new RequestChunk(16);
    const reader = new TraceReader(join(dir, 'neg.lbt'));
    reader.fill(chunk);
    for (let i = 0; i < chunk.count; i++) flags.push(chunk.flags[i]!);
    reader.close();
    expect(flags.map((f) => (f & RequestFlag.RecordedFailure) !== 0)).toEqual([false, true]);
    const jsonl = write('neg.jsonl', '{"timestamp":1713175200,"duration":-1}\n{"timestamp":1713175201,"duration":-2}\n');
    await expect(importLog(jsonl, join(dir, 'neg2.lbt'), { format: 'jsonl' })).rejects.toMatchObject({
      code: 'PARSE_ERROR',
      message: expect.stringMatching(/neg\.jsonl:2: duration: expected a duration ≥ 0, or -1 for a request never answered, got -2/),
    });
  });

  it('a CSV row with more or fewer fields than the header is malformed (an unquoted comma would shift the columns after it)', async () => {
    const f = write('ragged.csv', 'timestamp,duration,client,route\n2024-04-15T10:00:00Z,5,a,/x\n2024-04-15T10:00:01Z,5,a,b,/y,z\n2024-04-15T10:00:02Z,5,a\n"2024-04-15T10:00:03Z",5,a,/q,1\n2024-04-15T10:00:04Z,7,c,/z\n');
    const s = await importLog(f, join(dir, 'ragged.lbt'), { format: 'csv', onError: 'skip' });
    expect(s.requests).toBe(2);
    expect(s.skippedExamples).toEqual([
      expect.stringMatching(/ragged\.csv:3: expected 4 fields as in the header, got 6 \(a comma inside a field that is not quoted\?\)/),
      expect.stringMatching(/ragged\.csv:4: expected 4 fields as in the header, got 3$/),
      // A quoted row takes the other path through the parser, and is held to the same width.
      expect.stringMatching(/ragged\.csv:5: expected 4 fields as in the header, got 5/),
    ]);
  });

  it('out-of-order lines within the window are sorted; beyond it, an error naming the line', async () => {
    const f = write('order.csv', 'timestamp,duration\n10.000,1\n12.000,2\n11.000,3\n16.500,4\n11.400,5\n');
    await expect(importLog(f, join(dir, 'order.lbt'), { format: 'csv' })).rejects.toThrow(/order\.csv:6: arrival .* more than 5 s before an earlier line's/);
    const s = await importLog(f, join(dir, 'order.lbt'), { format: 'csv', reorderWindowMs: 6000 });
    expect(s.reordered).toBe(2);
    expect(readTrace(join(dir, 'order.lbt')).map((g) => g.work)).toEqual([1, 3, 5, 2, 4]);
  });

  it('an empty file, a file of blank lines, a header alone', async () => {
    await expect(importLog(write('empty.log', ''), join(dir, 'e.lbt'), { format: 'nginx' })).rejects.toThrow(/empty\.log: no requests found \(the file is empty\)/);
    await expect(importLog(write('blank.log', '\n\n'), join(dir, 'e.lbt'), { format: 'nginx' })).rejects.toThrow(/no requests found/);
    await expect(importLog(write('header.csv', 'timestamp,duration\n'), join(dir, 'e.lbt'), { format: 'csv' })).rejects.toThrow(/no requests found/);
  });

  it('a CSV without a recognisable timestamp column says which columns it saw', async () => {
    await expect(importLog(write('cols.csv', 'when,how_long\n1,2\n'), join(dir, 'e.lbt'), { format: 'csv' })).rejects.toThrow(/cols\.csv:1: header: no timestamp column found in the header \(when, how_long\)/);
    const s = await importLog(write('cols2.csv', 'when,how_long\n1,2\n'), join(dir, 'c.lbt'), { format: 'csv', columns: { timestamp: 'when' }, work: 'how_long' });
    expect(s.requests).toBe(1);
  });

  it('a truncated gzip is a clear error, and no output is left', async () => {
    const gz = gzipSync(readFileSync(join(FIX, 'alb.log')));
    const f = write('cut.log.gz', gz.subarray(0, gz.length - 20));
    const out = mkdtempSync(join(tmpdir(), 'lbsim-gz-'));
    await expect(importLog(f, join(out, 'x.lbt'), { format: 'alb' })).rejects.toMatchObject({ code: 'PARSE_ERROR', message: expect.stringMatching(/cut\.log\.gz: truncated or corrupt gzip data/) });
    noOutput(out);
  });

  it('a missing log is FILE_NOT_FOUND', async () => {
    await expect(importLog(join(dir, 'nope.log'), join(dir, 'x.lbt'), { format: 'nginx' })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});
