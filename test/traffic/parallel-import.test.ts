/**
 * Parallel import (worker threads over byte ranges) against the serial reader: the same
 * .lbt bytes and the same summary for every format, and the same errors naming the same
 * lines, with ranges forced small so a log of a few hundred lines makes many of them.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PARALLEL_IMPORT_MIN_BYTES, PARALLEL_IMPORT_MIN_CORES, defaultImportThreads, importLog, type ImportOptions } from '../../src/traffic/readers/import.ts';
import type { LogFormat } from '../../src/traffic/readers/types.ts';
import { LINE_WRITERS, headerOf, type LogRequest } from './log-writers.ts';

const dir = mkdtempSync(join(tmpdir(), 'lbsim-parallel-import-'));
const FORMATS: LogFormat[] = ['nginx', 'haproxy', 'alb', 'envoy', 'csv', 'jsonl'];
/** Small ranges: the logs below span 15–120 of them. */
const CHUNK = 1500;

/**
 * `rows` requests as `format` log lines, in the order a proxy writes them (when the
 * response ends, so arrivals come out of order), with some failures and missing work.
 */
function logLines(format: LogFormat, rows: number): string[] {
  const reqs: LogRequest[] = [];
  let t = Date.UTC(2024, 3, 15, 10);
  for (let i = 0; i < rows; i++) {
    t += (i * 7919) % 13;
    reqs.push({ arrivalEpochMs: t + ((i * 31) % 1000) / 1000, workMs: (i * 104729) % 400, queueMs: i % 3, clientIp: `10.0.${i % 7}.${(i * 13) % 250}`, path: `/api/r${i % 11}`, status: i % 41 === 5 ? 503 : 200, noUpstream: i % 53 === 7 });
  }
  reqs.sort((a, b) => a.arrivalEpochMs + a.workMs - (b.arrivalEpochMs + b.workMs));
  const h = headerOf(format);
  return [...(h ? [h] : []), ...reqs.map(LINE_WRITERS[format])];
}

let n = 0;
function write(text: string | Buffer, name = 'log'): string {
  const f = join(dir, `${n++}-${name}`);
  writeFileSync(f, text);
  return f;
}

/** Imports serially and in parallel; returns both outputs' bytes and summaries (or both errors). */
async function both(log: string, format: LogFormat, extra: Partial<ImportOptions> = {}) {
  const run = async (threads: number) => {
    const out = join(dir, `${n++}.lbt`);
    try {
      const summary = await importLog(log, out, { format, threads, parallelChunkBytes: CHUNK, ...extra });
      return { summary, bytes: readFileSync(out) };
    } catch (e) {
      return { error: e as Error };
    }
  };
  return { serial: await run(1), parallel: await run(2) };
}

describe('parallel import ≡ serial import', () => {
  for (const format of FORMATS) {
    it(`${format}: the same .lbt bytes and summary, over many ranges`, async () => {
      const lines = logLines(format, 400);
      const text = `${lines.join('\n')}\n`;
      expect(text.length / CHUNK).toBeGreaterThan(10);
      const { serial, parallel } = await both(write(text), format);
      expect(serial.error).toBeUndefined();
      expect(serial.summary!.requests).toBe(400);
      expect(serial.summary!.reordered).toBeGreaterThan(0);
      expect(serial.summary!.estimatedWork).toBeGreaterThan(0);
      expect(parallel.summary).toEqual(serial.summary);
      expect(parallel.bytes!.equals(serial.bytes!)).toBe(true);
    });

    it(`${format}: CRLF line endings, blank lines, a last line without newline`, async () => {
      const lines = logLines(format, 300);
      for (let i = 40; i < lines.length; i += 37) lines[i] = `${lines[i]}\r\n`; // a blank line after some
      const text = lines.join('\r\n');
      const { serial, parallel } = await both(write(text), format);
      expect(serial.summary!.requests).toBe(300);
      expect(parallel.summary).toEqual(serial.summary);
      expect(parallel.bytes!.equals(serial.bytes!)).toBe(true);
      // And CRLF reads as LF does.
      const lf = await both(write(lines.map((l) => l.replace(/\r\n$/, '\n')).join('\n')), format);
      expect(lf.parallel.bytes!.equals(parallel.bytes!)).toBe(true);
    });

    it(`${format}: --on-error skip counts the same malformed rows, with the same examples`, async () => {
      const lines = logLines(format, 400);
      // Malformed rows early and late, so several ranges hold some, one range more than five.
      for (const i of [3, 150, 151, 152, 153, 154, 155, 156, 390]) lines[i] = `garbage ${i}${format === 'csv' ? '' : ' "'}`; // an odd quote would open a multi-line CSV field
      const { serial, parallel } = await both(write(`${lines.join('\n')}\n`), format, { onError: 'skip' });
      expect(serial.summary!.skipped).toBe(9);
      expect(serial.summary!.skippedExamples[0]).toMatch(/:4: /);
      expect(parallel.summary).toEqual(serial.summary);
      expect(parallel.bytes!.equals(serial.bytes!)).toBe(true);
    });

    it(`${format}: a malformed row in a later range names its line`, async () => {
      const lines = logLines(format, 400);
      lines[333] = `not a log line at all${format === 'csv' ? '' : ' "'}`;
      const { serial, parallel } = await both(write(`${lines.join('\n')}\n`), format);
      expect(serial.error?.message).toMatch(/:334: /);
      expect(parallel.error?.message).toBe(serial.error?.message);
      expect((parallel.error as { code?: string }).code).toBe('PARSE_ERROR');
    });

    it(`${format}: a truncated last line is read (and reported) as the serial reader does`, async () => {
      const text = `${logLines(format, 300).join('\n')}\n`;
      const cut = text.slice(0, text.length - 25); // the last line cut mid-way, no newline
      const abort = await both(write(cut), format);
      expect(abort.parallel.error?.message ?? 'ok').toBe(abort.serial.error?.message ?? 'ok');
      if (abort.serial.error === undefined) expect(abort.parallel.bytes!.equals(abort.serial.bytes!)).toBe(true);
      const skip = await both(write(cut), format, { onError: 'skip' });
      expect(skip.parallel.summary).toEqual(skip.serial.summary);
      expect(skip.parallel.bytes!.equals(skip.serial.bytes!)).toBe(true);
    });
  }

  it('a line too late for the reorder window, in a later range: the same error line', async () => {
    const lines = logLines('nginx', 400);
    // 60 s earlier than its neighbours: beyond the 5 s window.
    lines[300] = lines[300]!.replace(/^(\d+)/, (s) => String(Number(s) - 60));
    const { serial, parallel } = await both(write(`${lines.join('\n')}\n`), 'nginx');
    expect(serial.error?.message).toMatch(/:301: arrival .* more than 5 s before an earlier line's/);
    expect(parallel.error?.message).toBe(serial.error?.message);
  });

  it('CSV: quoted fields, one with a newline across a range boundary, read as the serial reader reads them', async () => {
    const lines = logLines('csv', 400);
    // A quoted path holding a newline every 10 lines: some straddle a boundary (the import then reads serially).
    for (let i = 5; i < lines.length; i += 10) lines[i] = lines[i]!.replace(/,(\/api\/r\d+),/, ',"$1\nsecond line, ""quoted""",');
    const text = `${lines.join('\n')}\n`;
    const { serial, parallel } = await both(write(text), 'csv');
    expect(serial.summary!.requests).toBe(400);
    expect(parallel.summary).toEqual(serial.summary);
    expect(parallel.bytes!.equals(serial.bytes!)).toBe(true);
  });

  it('CSV: a quote never closed names its line instead of swallowing the rest of the file (early and in the last range)', async () => {
    for (const at of [40, 395]) {
      const lines = logLines('csv', 400);
      lines[at + 1] = `${lines[at + 1]}"`; // line at+2 of the file (after the header) opens a field that never closes
      const log = write(`${lines.join('\n')}\n`);
      const { serial, parallel } = await both(log, 'csv');
      expect(serial.error?.message).toMatch(new RegExp(`:${at + 2}: .*quoted field .*never closed`));
      expect(parallel.error?.message).toBe(serial.error?.message);
      const skip = await both(log, 'csv', { onError: 'skip' });
      expect(skip.serial.summary!.skipped).toBe(1);
      expect(skip.serial.summary!.requests).toBe(at);
      expect(skip.parallel.summary).toEqual(skip.serial.summary);
    }
  });

  it('non-ASCII text (UTF-8, and a byte that is not UTF-8) in some ranges: the same keys as the serial reader', async () => {
    const lines = logLines('nginx', 300);
    for (let i = 7; i < lines.length; i += 50) lines[i] = lines[i]!.replace('/api/', '/café/😀/');
    const text = Buffer.from(`${lines.join('\n')}\n`);
    const bad = text.indexOf('/api/r3');
    text[bad + 1] = 0xff; // not UTF-8: decoded as U+FFFD by both
    const { serial, parallel } = await both(write(text), 'nginx');
    expect(serial.summary!.requests).toBe(300);
    expect(parallel.summary).toEqual(serial.summary);
    expect(parallel.bytes!.equals(serial.bytes!)).toBe(true);
  });

  it('a gzipped log is read serially, with the same result', async () => {
    const text = `${logLines('alb', 300).join('\n')}\n`;
    const plain = await both(write(text), 'alb');
    const gz = await both(write(gzipSync(text), 'log.gz'), 'alb');
    expect(gz.parallel.bytes!.equals(plain.serial.bytes!)).toBe(true);
    expect(gz.parallel.summary).toEqual(plain.serial.summary);
  });

  it('JSON lines whose first object comes after malformed lines (--on-error skip)', async () => {
    const lines = logLines('jsonl', 300);
    const { serial, parallel } = await both(write(['{"broken', '', ...lines].join('\n')), 'jsonl', { onError: 'skip' });
    expect(serial.summary!.skipped).toBe(1);
    expect(parallel.summary).toEqual(serial.summary);
    expect(parallel.bytes!.equals(serial.bytes!)).toBe(true);
  });
});

describe('the import worker', () => {
  it('returns a failed read of the log as data (its system-call details would not cross the thread), and throws anything else', async () => {
    const { default: run } = await import('../../workers/import-worker.ts');
    const task = { file: join(dir, 'gone.log'), start: 0, end: 10, last: true, format: 'csv' as const, reader: {}, primer: [], stopAtFirstError: false };
    expect(run(task)).toEqual({ readFailed: expect.stringMatching(/ENOENT.*gone\.log/) });
    expect(() => run({ ...task, file: write('a,b\n1,2\n'), format: 'no-such-format' as LogFormat })).toThrow();
  });
});

describe('the default (threads: auto)', () => {
  it('is serial below PARALLEL_IMPORT_MIN_BYTES, for a .gz and on one core; one thread per core otherwise', () => {
    const big = PARALLEL_IMPORT_MIN_BYTES;
    expect(defaultImportThreads(big, false, 8)).toBe(8);
    expect(defaultImportThreads(big, false, PARALLEL_IMPORT_MIN_CORES)).toBe(PARALLEL_IMPORT_MIN_CORES);
    expect(defaultImportThreads(big - 1, false, 8)).toBe(1);
    expect(defaultImportThreads(20 * big, true, 8)).toBe(1);
    expect(defaultImportThreads(20 * big, false, PARALLEL_IMPORT_MIN_CORES - 1)).toBe(1);
    expect(defaultImportThreads(big, false, 2)).toBe(2);
    expect(defaultImportThreads(20 * big, false, 1)).toBe(1);
  });

  it('gives the trace that --threads 1 gives', async () => {
    const log = write(`${logLines('haproxy', 200).join('\n')}\n`);
    const auto = join(dir, `${n++}.lbt`);
    const serial = join(dir, `${n++}.lbt`);
    expect(await importLog(log, auto, { format: 'haproxy' })).toEqual(await importLog(log, serial, { format: 'haproxy', threads: 1 }));
    expect(readFileSync(auto).equals(readFileSync(serial))).toBe(true);
  });
});
