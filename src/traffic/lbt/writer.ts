/**
 * Streams requests into a .lbt trace (layout in format.ts). Requests are buffered one
 * chunk at a time, so memory stays at one chunk however long the trace. The file is
 * written under a temporary name and renamed by `finish`; `abort` removes it, so no
 * half-written trace ever carries the final name.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { LbsimError } from '../../errors.ts';
import {
  CHUNK_HEADER_BYTES,
  COLUMN_LAYOUT,
  DEFAULT_CHUNK_CAPACITY,
  FORMAT_VERSION,
  HEADER_BYTES,
  HEADER_CRC_AT,
  MAGIC,
  chunkBodyBytes,
  columnOffsets,
} from './format.ts';

export interface TraceWriterOptions {
  /** Wall-clock epoch ms of trace time 0 (display only). @default 0 (unknown) */
  originEpochMs?: number;
  /** Requests per chunk. @default 65536 */
  chunkCapacity?: number;
}

export const TRACE_WRITER_DEFAULTS = { originEpochMs: 0, chunkCapacity: DEFAULT_CHUNK_CAPACITY } as const;

export class TraceWriter {
  readonly file: string;
  private readonly tmp: string;
  private fd: number;
  private readonly capacity: number;
  private readonly originEpochMs: number;
  private readonly arrival: Float64Array;
  private readonly work: Float32Array;
  private readonly client: Uint32Array;
  private readonly route: Uint32Array;
  private readonly uri: Uint32Array;
  private readonly flags: Uint8Array;
  private readonly body: Buffer;
  private n = 0;
  private position = HEADER_BYTES;
  private count = 0;
  private lastArrival = Number.NEGATIVE_INFINITY;
  private firstArrival = Number.NaN;
  /** Index entries: offset, first arrival, first request number. */
  private index: number[] = [];
  private closed = false;

  constructor(file: string, options: TraceWriterOptions = {}) {
    this.file = file;
    this.capacity = options.chunkCapacity ?? TRACE_WRITER_DEFAULTS.chunkCapacity;
    this.originEpochMs = options.originEpochMs ?? TRACE_WRITER_DEFAULTS.originEpochMs;
    this.tmp = join(dirname(file), `.${basename(file)}.tmp-${randomBytes(4).toString('hex')}`);
    try {
      this.fd = openSync(this.tmp, 'w');
    } catch (e) {
      throw new LbsimError('FILE_UNREADABLE', `${file}: cannot write: ${(e as Error).message}`, { cause: e });
    }
    const c = this.capacity;
    this.body = Buffer.alloc(CHUNK_HEADER_BYTES + chunkBodyBytes(c));
    const base = this.body.byteOffset + CHUNK_HEADER_BYTES;
    const o = columnOffsets(c);
    // Columns are staged in the write buffer itself at full-capacity offsets; a short last chunk is compacted in flushChunk.
    this.arrival = new Float64Array(this.body.buffer, base + o.arrival, c);
    this.work = new Float32Array(this.body.buffer, base + o.work, c);
    this.client = new Uint32Array(this.body.buffer, base + o.client, c);
    this.route = new Uint32Array(this.body.buffer, base + o.route, c);
    this.uri = new Uint32Array(this.body.buffer, base + o.uri, c);
    this.flags = new Uint8Array(this.body.buffer, base + o.flags, c);
  }

  /**
   * Appends one request; `arrivalMs` (relative to the origin) must not decrease. `uri`,
   * the key of the whole request target, defaults to `route` (a target without a query).
   */
  push(arrivalMs: number, workMs: number, client: number, route: number, flags: number, uri = route): void {
    if (!(arrivalMs >= this.lastArrival)) throw new Error(`TraceWriter: arrival ${arrivalMs} before ${this.lastArrival} (callers must sort)`);
    const i = this.n;
    this.arrival[i] = arrivalMs;
    this.work[i] = workMs;
    this.client[i] = client;
    this.route[i] = route;
    this.uri[i] = uri;
    this.flags[i] = flags;
    this.lastArrival = arrivalMs;
    if (this.count === 0) this.firstArrival = arrivalMs;
    this.count++;
    if (++this.n === this.capacity) this.flushChunk();
  }

  get requests(): number {
    return this.count;
  }

  /** Writes the index and header and renames the file into place. */
  finish(info: { skippedRows?: number } = {}): void {
    if (this.closed) return;
    try {
      if (this.n > 0) this.flushChunk();
      const chunkCount = this.index.length / 3;
      const index = Buffer.from(new Float64Array(this.index).buffer);
      const indexOffset = this.position;
      this.write(index, indexOffset);
      const h = Buffer.alloc(HEADER_BYTES);
      h.write(MAGIC, 0, 'latin1');
      h.writeUInt32LE(FORMAT_VERSION, 8);
      h.writeUInt32LE(HEADER_BYTES, 12);
      h.writeDoubleLE(this.originEpochMs, 16);
      h.writeDoubleLE(this.count, 24);
      h.writeUInt32LE(chunkCount, 32);
      h.writeUInt32LE(this.capacity, 36);
      h.writeDoubleLE(indexOffset, 40);
      h.writeDoubleLE(this.count === 0 ? 0 : this.firstArrival, 48);
      h.writeDoubleLE(this.count === 0 ? 0 : this.lastArrival, 56);
      h.writeDoubleLE(info.skippedRows ?? 0, 64);
      h.writeUInt32LE(crc32(index), 72);
      h.writeUInt32LE(COLUMN_LAYOUT.length, 76);
      h.write(COLUMN_LAYOUT, 80, 'latin1');
      h.writeUInt32LE(crc32(h.subarray(0, HEADER_CRC_AT)), HEADER_CRC_AT);
      this.write(h, 0);
      closeSync(this.fd);
      this.closed = true;
      renameSync(this.tmp, this.file);
    } catch (e) {
      this.abort();
      if (e instanceof LbsimError) throw e;
      throw new LbsimError('FILE_UNREADABLE', `${this.file}: cannot write: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Drops the partial file. Safe to call more than once. */
  abort(): void {
    if (!this.closed) {
      this.closed = true;
      try {
        closeSync(this.fd);
      } catch {
        // Already closed by a failed finish; the temporary file is removed below either way.
      }
    }
    rmSync(this.tmp, { force: true });
  }

  private flushChunk(): void {
    const n = this.n;
    const c = this.capacity;
    const base = CHUNK_HEADER_BYTES;
    if (n < c) {
      // Compact the columns of a short chunk to their n-request offsets (ascending order never overwrites unread data).
      const full = columnOffsets(c);
      const short = columnOffsets(n);
      for (const [from, to, bytes] of [
        [full.work, short.work, 4],
        [full.client, short.client, 4],
        [full.route, short.route, 4],
        [full.uri, short.uri, 4],
        [full.flags, short.flags, 1],
      ] as const) {
        this.body.copy(this.body, base + to, base + from, base + from + n * bytes);
      }
    }
    const bodyBytes = chunkBodyBytes(n);
    this.body.fill(0, base + columnOffsets(n).flags + n, base + bodyBytes);
    this.body.writeUInt32LE(n, 0);
    this.body.writeUInt32LE(crc32(this.body.subarray(base, base + bodyBytes)), 4);
    const first = this.arrival[0]!;
    this.body.writeDoubleLE(first, 8);
    this.body.writeDoubleLE(this.arrival[n - 1]!, 16);
    this.index.push(this.position, first, this.count - n);
    const total = base + bodyBytes;
    this.write(this.body.subarray(0, total), this.position);
    this.position += total;
    this.n = 0;
  }

  private write(buf: Buffer, position: number): void {
    let done = 0;
    while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done, position + done);
  }
}
