/**
 * The line reader (lines.ts) against the definition of a line: the file's bytes decoded
 * as UTF-8 in one go, split at `\n`, one `\r` before it dropped, a last line without a
 * newline kept. Blocks are forced small so lines, `\r\n` pairs and multi-byte characters
 * (and broken ones) straddle them, plain and gzipped.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAscii } from 'node:buffer';
import { forEachLine, forEachLineIn, textOf } from '../../src/traffic/readers/lines.ts';

const dir = mkdtempSync(join(tmpdir(), 'lbsim-lines-'));

/** Lines as the definition gives them. */
function linesOf(bytes: Buffer): string[] {
  const parts = bytes.toString('utf8').split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts.map((l) => l.replace(/\r$/, ''));
}

/** Pieces a log is made of: ASCII, newlines, CR, 2-, 3- and 4-byte characters, and bytes that are not UTF-8. */
const piece = fc.oneof(
  fc.constantFrom('GET /a', ' ', '"', '10.0.0.1', 'x'.repeat(37)).map((s) => Buffer.from(s)),
  fc.constantFrom('\n', '\r\n', '\r', '\n\n').map((s) => Buffer.from(s)),
  fc.constantFrom('é', '€', '😀', 'Ω\n').map((s) => Buffer.from(s)),
  fc.constantFrom([0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xff], [0x80, 0x0a]).map((b) => Buffer.from(b)),
);

async function read(file: string, blockBytes: number): Promise<{ lines: string[]; numbers: number[]; count: number }> {
  const lines: string[] = [];
  const numbers: number[] = [];
  const count = await forEachLine(file, (line, no) => (lines.push(line), numbers.push(no)), undefined, blockBytes);
  return { lines, numbers, count };
}

describe('forEachLine', () => {
  let n = 0;
  it('gives the lines of the whole file decoded at once, whatever the block size, plain or gzipped', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 120 }), fc.integer({ min: 1, max: 97 }), fc.boolean(), async (pieces, blockBytes, gz) => {
        const bytes = Buffer.concat(pieces);
        const file = join(dir, `${n++}.log`);
        writeFileSync(file, gz ? gzipSync(bytes) : bytes);
        const want = linesOf(bytes);
        const got = await read(file, blockBytes);
        expect(got.lines).toEqual(want);
        expect(got.count).toBe(want.length);
        expect(got.numbers).toEqual(want.map((_, i) => i + 1));
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it("hands a line its block's bytes only when they are its characters (ASCII), and always on an ASCII file", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 60 }), fc.integer({ min: 1, max: 97 }), fc.boolean(), async (pieces, blockBytes, gz) => {
        const bytes = Buffer.concat(pieces);
        const file = join(dir, `${n++}.log`);
        writeFileSync(file, gz ? gzipSync(bytes) : bytes);
        const ascii = bytes.every((b) => b < 0x80);
        const lines: string[] = [];
        await forEachLineIn(
          file,
          (text, start, end, _no, b) => {
            lines.push(text.slice(start, end));
            if (ascii) expect(b).toBeDefined();
            if (b !== undefined) for (let i = start; i < end; i++) expect(b[i]).toBe(text.charCodeAt(i));
          },
          undefined,
          blockBytes,
        );
        expect(lines).toEqual(linesOf(bytes));
      }),
      { numRuns: 200, seed: 12 },
    );
  });

  it('big blocks, decoded a piece of whole lines at a time: the same lines, with long lines and non-ASCII ones among ASCII ones', async () => {
    const long = fc.constantFrom('a'.repeat(40_000), `${'é'.repeat(20_000)}\n`, `${'b'.repeat(70_000)}\r\n`).map((s) => Buffer.from(s));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof({ weight: 20, arbitrary: piece }, { weight: 1, arbitrary: long }), { minLength: 1000, maxLength: 6000 }), fc.constantFrom(1 << 20, 100_000), async (pieces, blockBytes) => {
        const bytes = Buffer.concat(pieces);
        const file = join(dir, `${n++}.log`);
        writeFileSync(file, bytes);
        const got = await read(file, blockBytes);
        expect(got.lines).toEqual(linesOf(bytes));
      }),
      { numRuns: 12, seed: 13 },
    );
  });

  it('a callback that throws stops the read with its error, at any line (the block being read ahead is let go)', async () => {
    const file = join(dir, 'stop.log');
    writeFileSync(file, Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n'));
    for (const stopAt of [1, 2, 77, 499, 500]) {
      const seen: number[] = [];
      const read = forEachLineIn(
        file,
        (_t, _s, _e, no) => {
          seen.push(no);
          if (no === stopAt) throw new Error(`stop at ${no}`);
        },
        undefined,
        64,
      );
      await expect(read).rejects.toThrow(`stop at ${stopAt}`);
      expect(seen.length).toBe(stopAt);
    }
  });

  it('a line longer than many blocks, and a last line without a newline', async () => {
    const long = `${'ab€'.repeat(5000)}\r`;
    const file = join(dir, 'long.log');
    writeFileSync(file, `first\n${long}\nlast\r`);
    expect((await read(file, 64)).lines).toEqual(['first', long.slice(0, -1), 'last']);
  });
});

describe('textOf', () => {
  it('reads ASCII through Latin-1 and anything else as UTF-8, the same text either way', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (a) => {
        const b = Buffer.from(a);
        const decode = (x: Buffer) => textOf(x, isAscii(x));
        expect(decode(b)).toBe(b.toString('utf8'));
        expect(decode(b.subarray(1, Math.max(1, b.length - 1)))).toBe(b.subarray(1, Math.max(1, b.length - 1)).toString('utf8'));
      }),
      { numRuns: 500, seed: 3 },
    );
  });
});
