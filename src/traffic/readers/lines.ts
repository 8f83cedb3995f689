/**
 * Streams a text log line by line, gunzipping transparently when the file starts with
 * the gzip magic bytes (whatever its name). Lines are handed to a synchronous callback
 * as they are decoded, so memory is bounded by one read buffer plus one line.
 */
import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { fileReadError, LbsimError } from '../../errors.ts';

/** Read buffer; large reads amortise the per-chunk cost of the stream machinery. */
const READ_BYTES = 1 << 20;

export async function isGzip(file: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw fileReadError(file, e);
  }
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } catch (e) {
    throw fileReadError(file, e); // a directory opens, then fails to read (EISDIR)
  } finally {
    await fh.close();
  }
}

/**
 * A file's bytes as blocks, and how far into the file (compressed bytes for a .gz) the
 * read is. Iterate them once, with `for await`: leaving the loop early closes the file
 * (the generator's `finally`; a stream's iterator destroys it).
 */
export interface Blocks {
  /** The blocks in order; a block is valid until the next one is asked for (the buffer is reused). */
  blocks: AsyncIterable<Buffer>;
  bytesRead(): number;
}

/**
 * The file's bytes, gunzipped if needed. A plain file is read into one reused buffer: a
 * stream allocates a new one per block, 1 MiB of external memory each, which V8 answers
 * with a full GC every few dozen blocks (ALB import: 1.23× wall, 1.34× rows per CPU second
 * with the buffer reused; benchmarks/RESULTS.md, "ALB bytes").
 */
export async function openText(file: string, blockBytes = READ_BYTES): Promise<Blocks> {
  if (!(await isGzip(file))) {
    let read = 0;
    // Opened when the iteration starts, closed when it ends, however it ends. Two buffers:
    // the next block is read (in libuv's thread pool) while the consumer parses this one,
    // which it may until it asks for the next (the main thread waited a fifth of an ALB
    // import for reads).
    async function* blocks(): AsyncGenerator<Buffer> {
      let fh: FileHandle;
      try {
        fh = await open(file, 'r');
      } catch (e) {
        throw fileReadError(file, e);
      }
      let ready = Buffer.allocUnsafeSlow(blockBytes);
      let spare = Buffer.allocUnsafeSlow(blockBytes);
      let reading = fh.read(ready, 0, blockBytes, null);
      try {
        for (;;) {
          const { bytesRead } = await reading;
          if (bytesRead === 0) return;
          read += bytesRead;
          reading = fh.read(spare, 0, blockBytes, null);
          yield ready.subarray(0, bytesRead);
          [ready, spare] = [spare, ready];
        }
      } finally {
        // Stopped early: the read in flight is not wanted, whatever its outcome; the file closes after it.
        await Promise.allSettled([reading]);
        await fh.close();
      }
    }
    return { blocks: blocks(), bytesRead: () => read };
  }
  const raw = createReadStream(file, { highWaterMark: blockBytes });
  const gunzip = createGunzip({ chunkSize: Math.max(blockBytes, 64) });
  raw.on('error', (e) => gunzip.destroy(e));
  return { blocks: raw.pipe(gunzip), bytesRead: () => raw.bytesRead };
}

function streamError(file: string, e: unknown): LbsimError {
  if (e instanceof LbsimError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'Z_BUF_ERROR' || err.code === 'Z_DATA_ERROR' || /unexpected end of file/i.test(err.message)) {
    return new LbsimError('PARSE_ERROR', `${file}: truncated or corrupt gzip data (${err.message})`, { cause: e });
  }
  return new LbsimError('FILE_UNREADABLE', `${file}: cannot read: ${err.message}`, { cause: e });
}

/**
 * A line as text[start, end) of a decoded block (without its `\n` or `\r\n`), numbered
 * from 1; `bytes` are the block's bytes when it is ASCII (one per character: types.ts,
 * ParseIn), else undefined.
 */
export type OnLineIn = (text: string, start: number, end: number, lineNo: number, bytes: Uint8Array | undefined) => void;

/** A line of a block, as eachCompleteLineIn hands it. */
export type LineOfBlock = (text: string, start: number, end: number, bytes: Uint8Array | undefined) => void;

/**
 * Calls `onLine` for every line (without its `\n` or `\r\n`), numbered from 1. Returns the
 * number of lines. A callback that throws stops the read and the error propagates.
 * `onBytes` hears, after every block read, how far into the file (compressed bytes for a
 * .gz) the read is, and the file's size. `blockBytes` is the read size (tests force small
 * blocks so lines and characters straddle them).
 */
export function forEachLine(file: string, onLine: (line: string, lineNo: number) => void, onBytes?: (read: number, size: number) => void, blockBytes = READ_BYTES): Promise<number> {
  return forEachLineIn(file, (text, start, end, lineNo) => onLine(text.slice(start, end), lineNo), onBytes, blockBytes);
}

/**
 * forEachLine without cutting the lines out: each is handed as a range of its block's
 * text, for parsers that read in place (a line cut out is a sliced string, slower to
 * read, and one allocation per line).
 *
 * Each block is decoded up to its last `\n` in one go (a `\n` is never inside a UTF-8
 * sequence, so the text is what decoding the whole file would give) and the bytes after
 * it wait for the next block: no StringDecoder, and no block-sized string concatenated
 * with the previous one's rest (which V8 then flattens, copying the block again). On a
 * 556-byte-a-line ALB log that halves the read (benchmarks/RESULTS.md, "import").
 */
export async function forEachLineIn(file: string, onLine: OnLineIn, onBytes?: (read: number, size: number) => void, blockBytes = READ_BYTES): Promise<number> {
  const source = await openText(file, blockBytes);
  const size = onBytes === undefined ? 0 : (await stat(file)).size;
  /** The bytes of a line begun in an earlier block (copies: the next block may reuse the buffer). */
  let pending: Buffer[] = [];
  let lineNo = 0;
  const counted = (text: string, start: number, end: number, bytes: Uint8Array | undefined) => onLine(text, start, end, ++lineNo, bytes);
  try {
    for await (const buf of source.blocks) {
      let from = 0;
      if (pending.length > 0) {
        const nl = buf.indexOf(10);
        if (nl < 0) {
          pending.push(Buffer.from(buf));
          onBytes?.(source.bytesRead(), size);
          continue;
        }
        pending.push(buf.subarray(0, nl + 1));
        eachLineOfBlock(Buffer.concat(pending), counted);
        pending = [];
        from = nl + 1;
      }
      const last = buf.lastIndexOf(10);
      if (last >= from) {
        eachLineOfBlock(buf.subarray(from, last + 1), counted);
        from = last + 1;
      }
      if (from < buf.length) pending.push(Buffer.from(buf.subarray(from)));
      onBytes?.(source.bytesRead(), size);
    }
  } catch (e) {
    throw streamError(file, e);
  }
  if (pending.length > 0) lineWithoutNewline(Buffer.concat(pending), counted);
  return lineNo;
}

/**
 * The text of `bytes`, which must not cut a UTF-8 sequence, given whether they are ASCII
 * (isAscii). ASCII (most logs) reads the same as UTF-8 or Latin-1, and Latin-1 decoding is
 * a copy: 3–4× cheaper than UTF-8's (a fifth of an ALB log's parse). Anything else is
 * decoded as UTF-8.
 */
export function textOf(bytes: Buffer, ascii: boolean): string {
  return ascii ? bytes.toString('latin1') : bytes.toString('utf8');
}

/**
 * Bytes decoded into one string at most (a little more for a longer line). Strings under
 * V8's largest regular object (128 KiB) are allocated in the young generation, whose
 * memory is reused; a 1 MiB block decoded at once became an external string (Node makes
 * those above ~1 MB), freshly mapped memory each block, paid in page faults and full GCs:
 * 1.38× the ALB import (benchmarks/RESULTS.md, "ALB bytes"). 16–120 KiB measured alike.
 */
const DECODE_BYTES = 32 << 10;

/**
 * eachCompleteLineIn over the text of `bytes` (whole lines: it ends with a `\n`) decoded
 * by textOf, a piece of whole lines at a time (DECODE_BYTES), handing the lines
 * their piece's bytes along when it is ASCII.
 */
export function eachLineOfBlock(bytes: Buffer, onLine: LineOfBlock): void {
  let from = 0;
  while (from < bytes.length) {
    let to = bytes.length;
    if (to - from > DECODE_BYTES) {
      let nl = bytes.lastIndexOf(10, from + DECODE_BYTES - 1);
      if (nl < from) nl = bytes.indexOf(10, from + DECODE_BYTES);
      to = nl + 1;
    }
    const piece = bytes.subarray(from, to);
    const ascii = isAscii(piece);
    eachCompleteLineIn(textOf(piece, ascii), onLine, ascii ? piece : undefined);
    from = to;
  }
}

/** The last line of a file that does not end with a newline: `bytes`, non-empty, handed as eachLineOfBlock hands a line. */
export function lineWithoutNewline(bytes: Buffer, onLine: LineOfBlock): void {
  const ascii = isAscii(bytes);
  const text = textOf(bytes, ascii);
  onLine(text, 0, lastLineEnd(text, 0), ascii ? bytes : undefined);
}

/**
 * What a line is, for every reader (the serial one above and the chunks of a parallel
 * import): text up to a `\n`, without it and without one `\r` before it. Calls `onLine`
 * for every complete line of `text` and returns where the unfinished rest starts.
 */
export function eachCompleteLine(text: string, onLine: (line: string) => void): number {
  return eachCompleteLineIn(text, (t, start, end) => onLine(t.slice(start, end)));
}

/** eachCompleteLine handing each line as text[start, end), with the text's bytes when the caller has them (ASCII, one per character). */
export function eachCompleteLineIn(text: string, onLine: LineOfBlock, bytes?: Uint8Array): number {
  let start = 0;
  let nl = text.indexOf('\n', start);
  while (nl >= 0) {
    onLine(text, start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl, bytes);
    start = nl + 1;
    nl = text.indexOf('\n', start);
  }
  return start;
}

/** End of the last line of a file that does not end with a newline, text[start, text.length) non-empty: without a trailing `\r`. */
export function lastLineEnd(text: string, start: number): number {
  return text.length > start && text.charCodeAt(text.length - 1) === 13 ? text.length - 1 : text.length;
}
