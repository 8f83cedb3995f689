/**
 * The HAProxy and ALB parsers read lines in place (inside their decoded block) with
 * value-keyed date caches: on any line — generated ones and odd ones (quoted fields with
 * spaces, `-1` timings, missing fields, IPv6 clients, truncated lines, stray characters,
 * bad dates) — they give exactly what the parsers of commit d414355 gave
 * (reference/parsers-v1.ts): the same request to the bit, or the same message, from the
 * text alone or with the block's bytes (ASCII blocks: ALB's byte path, alb-bytes.ts). Read
 * in place, a line is followed by the rest of its block, so no search may run past its end.
 * And parseIsoMs (whose minute cache changed the same way) against its previous version.
 */
import { isAscii } from 'node:buffer';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { albParser } from '../../src/traffic/readers/alb.ts';
import { haproxyParser } from '../../src/traffic/readers/haproxy.ts';
import { importLog } from '../../src/traffic/readers/import.ts';
import { eachCompleteLineIn } from '../../src/traffic/readers/lines.ts';
import { emptyRequest, parseIn, parseIsoMs, type LineParser, type ParsedRequest } from '../../src/traffic/readers/types.ts';
import { albLine, haproxyLine, type LogRequest } from './log-writers.ts';
import { albParserV1, haproxyParserV1, parseIsoMsV1 } from './reference/parsers-v1.ts';

const BASE = Date.UTC(2024, 3, 15, 10, 59, 30);

const request = fc.record({
  gapMs: fc.double({ min: 0, max: 8000, noNaN: true }),
  workMs: fc.double({ min: 0, max: 3000, noNaN: true }),
  queueMs: fc.integer({ min: 0, max: 20 }),
  clientIp: fc.oneof(fc.ipV4(), fc.ipV6().map((ip) => `[${ip}]`), fc.ipV6()),
  path: fc.constantFrom('/', '/api/users', '/a?b=1', '/x y', '/static/app.js?v=2&w=3', ''),
  status: fc.constantFrom(200, 404, 500, 503, -1, 0),
  noUpstream: fc.boolean(),
});

/** Ways to damage a line. */
const TOKENS = [' ', '  ', '"', '""', ':', '[', ']', '/', '?', '-1', '-', '+', '.', '://', 'é', '\t', '0', '9', 'Feb', 'Z', '+01:00', '"a b c"', '"unterminated'];
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), token: fc.constantFrom(...TOKENS) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  // Dates that differ from the last line's in one field only: a date cache keyed wrongly gives the last one's minute.
  fc.record({
    kind: fc.constant('swap' as const),
    swap: fc.constantFrom(['/Apr/', '/Feb/'], ['/Apr/', '/Xyz/'], ['/Apr/', '/apr/'], ['2024', '2O24'], ['2024', '2023'], [':59:', ':58:'], [':59:', ':5x:'], ['T10', 'T11'], ['T10', 'T1-'], ['-04-', '-02-'], ['/2024:10', '/2024:11']),
  }),
  fc.record({ kind: fc.constant('field' as const), at: fc.nat(), token: fc.constantFrom('-1', '-', '', '"a b c"', '"-"', 'x', '-0.5', '1e3', '2024-04-15T10:59:30Z', '2024-04-15 10:59:30.5+02:00', '15/Apr/2024:10:59:30', '31/Foo/2024:10:61:61.000') }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(line: string, m: Mutation): string {
  const at = m.kind === 'swap' ? 0 : m.at % (line.length + 1);
  switch (m.kind) {
    case 'insert':
      return line.slice(0, at) + m.token + line.slice(at);
    case 'delete':
      return line.slice(0, at) + line.slice(at + m.length);
    case 'truncate':
      return line.slice(0, at);
    case 'swap':
      return line.replace(m.swap[0]!, m.swap[1]!);
    case 'field': {
      const fields = line.split(' ');
      fields[at % fields.length] = m.token;
      return fields.join(' ');
    }
  }
}

/** Generated lines close in time (date caches hit and miss), some damaged. */
function linesOf(write: (r: LogRequest) => string) {
  return fc.array(fc.tuple(request, fc.array(mutation, { maxLength: 3 })), { minLength: 1, maxLength: 12 }).map((rows) => {
    let t = BASE;
    return rows.map(([r, ms]) => {
      t += r.gapMs;
      return ms.reduce(mutate, write({ ...r, arrivalEpochMs: t, noUpstream: r.noUpstream && r.status !== 0 }));
    });
  });
}

type Result = { msg: string | undefined; req?: Partial<ParsedRequest> };
const resultOf = (msg: string | undefined, out: ParsedRequest): Result => (msg === undefined ? { msg, req: { ...out } } : { msg });
/** Without the uri key, which the reference parsers predate: the new parsers' uri keys are compared among themselves (and tested in keys.test.ts). */
const withoutUri = (r: Result): Result => (r.req === undefined ? r : { msg: r.msg, req: { ...r.req, uri: undefined } });

/** Each line through the reference, through the new parser as a line, and read in place from a block of all of them. */
function agree(lines: string[], v1: (line: string, out: ParsedRequest) => string | undefined, now: LineParser, crlf: boolean): void {
  const out = emptyRequest();
  const want = lines.map((l) => withoutUri(resultOf(v1(l, out), out)));
  const asLines = lines.map((l) => resultOf(now(l, out), out));
  expect(asLines.map(withoutUri)).toEqual(want);
  const inText = parseIn(now);
  const got: Result[] = [];
  // A block as the reader decodes it: the lines, each followed by its newline, then more text.
  const block = lines.join(crlf ? '\r\n' : '\n') + (crlf ? '\r\n' : '\n') + 'x "tail" [more] ?q=1 :// - 1\n';
  eachCompleteLineIn(block, (text, start, end) => {
    if (got.length < lines.length) got.push(resultOf(inText(text, start, end, out), out));
  });
  expect(got).toEqual(asLines);
  // And with the block's bytes, as the readers hand an ASCII block (the ALB parser reads ordinary lines from them: alb-bytes.ts).
  const bytes = Buffer.from(block, 'latin1');
  if (isAscii(bytes)) {
    const fromBytes: Result[] = [];
    eachCompleteLineIn(
      block,
      (text, start, end, b) => {
        if (fromBytes.length < lines.length) fromBytes.push(resultOf(inText(text, start, end, out, b), out));
      },
      bytes,
    );
    expect(fromBytes).toEqual(asLines);
  }
}

describe('in-place parsers ≡ the parsers of d414355', () => {
  const cases = [
    { format: 'haproxy', write: haproxyLine, v1: () => haproxyParserV1(), now: () => haproxyParser() },
    { format: 'haproxy Ta', write: haproxyLine, v1: () => haproxyParserV1({ work: 'Ta' }), now: () => haproxyParser({ work: 'Ta' }) },
    { format: 'alb', write: albLine, v1: () => albParserV1(), now: () => albParser() },
    { format: 'alb total', write: albLine, v1: () => albParserV1({ work: 'total' }), now: () => albParser({ work: 'total' }) },
  ] as const;
  for (const c of cases) {
    it(`${c.format}: the same request or the same message on every line, cut out or read in place`, () => {
      const v1 = c.v1();
      const now = c.now();
      fc.assert(
        fc.property(linesOf(c.write), fc.boolean(), (lines, crlf) => agree(lines.filter((l) => !l.includes('\n')), v1, now, crlf)),
        { numRuns: 1500, seed: 42 },
      );
    });
  }

  it('a line of an older ALB layout (before request_creation_time) falls back to time minus the processing times alike', () => {
    const line = albLine({ arrivalEpochMs: BASE, workMs: 12, queueMs: 0, clientIp: '10.0.0.1', path: '/a', status: 200 });
    const older = line.split(' ').slice(0, 16).join(' ');
    agree([older, `${older} "extra" 1`], albParserV1(), albParser(), false);
  });

  it('the first malformed line of a file is reported with its number and the reference message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbsim-parsers-v1-'));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('haproxy' as const, 'alb' as const), fc.integer({ min: 1, max: 30 }), fc.nat(), async (format, bad, cut) => {
        const write = format === 'alb' ? albLine : haproxyLine;
        const lines = Array.from({ length: 30 }, (_, i) => write({ arrivalEpochMs: BASE + i * 10, workMs: 5, queueMs: 1, clientIp: '10.0.0.1', path: '/a', status: 200 }));
        const full = lines[bad - 1]!;
        lines[bad - 1] = full.slice(0, cut % full.length);
        const v1 = format === 'alb' ? albParserV1() : haproxyParserV1();
        const msg = v1(lines[bad - 1]!, emptyRequest());
        fc.pre(msg !== undefined && msg !== '');
        const file = join(dir, `${n++}.log`);
        writeFileSync(file, `${lines.join('\n')}\n`);
        for (const threads of [1, 2]) {
          await expect(importLog(file, `${file}.lbt`, { format, threads, parallelChunkBytes: 700 })).rejects.toThrow(`${file}:${bad}: ${msg} (use --on-error skip`);
        }
      }),
      { numRuns: 8, seed: 5 },
    );
  });
});

describe('parseIsoMs ≡ its version of d414355', () => {
  it('on ISO-like times, consecutive ones sharing minutes, and damaged ones', () => {
    const digit = fc.constantFrom(...'0123456789');
    const iso = fc.tuple(
      fc.constantFrom('2024-04-15T10:59:', '2024-04-15T10:59:', '2024-04-15 10:59:', '2024-02-29T23:59:', '1999-12-31T24:00:', '2024-13-01T00:00:', '2024-04-3xT10:59:', '0000-01-01T00:00:'),
      fc.tuple(digit, digit).map((d) => d.join('')),
      fc.constantFrom('', '.', '.5', '.123', '.123456', '.1234567891234', ',25'),
      fc.constantFrom('Z', '+02:00', '-05:30', '+0200', '', 'z', 'Zx'),
    );
    fc.assert(
      fc.property(fc.array(iso.map((p) => p.join('')), { minLength: 1, maxLength: 20 }), (times) => {
        const text = times.join(' ');
        let at = 0;
        for (const t of times) {
          expect(Object.is(parseIsoMs(text, at, at + t.length), parseIsoMsV1(text, at, at + t.length)), t).toBe(true);
          expect(Object.is(parseIsoMs(t), parseIsoMsV1(t)), t).toBe(true);
          at += t.length + 1;
        }
      }),
      { numRuns: 2000, seed: 9 },
    );
  });
});
