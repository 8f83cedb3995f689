/**
 * Reads a .lbt trace (layout in format.ts) as a TrafficSource: synchronous reads of one
 * chunk at a time (bounded memory), a binary search of the chunk index to start at any
 * time window without scanning from the beginning, and a checksum check of every chunk
 * read, so a corrupted file is an error rather than wrong traffic.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { fileReadError, LbsimError } from '../../errors.ts';
import { markMutable } from '../../jit/mutable-fields.ts';
import type { RequestChunk, TrafficSource } from '../source.ts';
import { CHUNK_HEADER_BYTES, COLUMN_LAYOUT, FORMAT_VERSION, V1_COLUMN_LAYOUT, HEADER_BYTES, HEADER_CRC_AT, INDEX_ENTRY_BYTES, MAGIC, type TraceHeader, chunkBodyBytes, columnOffsets } from './format.ts';

export interface TraceWindow {
  /** Trace time (ms from the origin) of the first request replayed; replay time 0 is here. @default the first arrival */
  from?: number;
  /** Trace time at which the replay stops (exclusive). @default after the last arrival */
  to?: number;
  /**
   * Trace time that replay time 0 stands for, when it is not `from`: a window of a
   * time-split replay reads from its own start but keeps the whole run's timeline. @default from
   */
  origin?: number;
  /**
   * Which key the replay gives the balancer as a request's route key: `path`, the path
   * without the query string (the route column), or `uri`, the whole request target (the
   * uri column; a version 1 trace has none, and gives its path keys). @default 'path'
   */
  routeKey?: RouteKey;
}

/** The request key a balancer hashes as the route (BalancerModule.routeKey). */
export type RouteKey = 'path' | 'uri';

function invalid(file: string, what: string): LbsimError {
  return new LbsimError('TRACE_INVALID', `${file}: not a usable .lbt trace: ${what}`);
}

function readExactly(fd: number, buf: Buffer, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Whether a header begins with the trace magic bytes. */
const hasMagic = (head: Buffer) => head.toString('latin1', 0, MAGIC.length) === MAGIC;

/**
 * Whether `file` begins with a trace's magic bytes, for a trace named without `.lbt`
 * (`lbsim import -o week`); false when there is no such file, whose format its caller
 * then cannot tell.
 */
export function startsAsTrace(file: string): boolean {
  const head = Buffer.alloc(MAGIC.length);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    return readExactly(fd, head, head.length, 0) === head.length && hasMagic(head);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new LbsimError('FILE_UNREADABLE', `${file}: cannot read: ${(e as Error).message}`, { cause: e });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Reads and checks a trace's header and index. */
export function readTraceHeader(file: string, fd: number): { header: TraceHeader; offsets: Float64Array; firsts: Float64Array; firstIndex: Float64Array } {
  const size = fstatSync(fd).size;
  const h = Buffer.alloc(HEADER_BYTES);
  if (readExactly(fd, h, HEADER_BYTES, 0) < HEADER_BYTES) throw invalid(file, `only ${size} bytes, shorter than a header (truncated, or not a trace)`);
  if (!hasMagic(h)) throw invalid(file, 'wrong magic bytes (not a .lbt file; import logs with `lbsim import`)');
  const version = h.readUInt32LE(8);
  if (version !== FORMAT_VERSION && version !== 1) throw invalid(file, `format version ${version}, this lbsim reads versions 1 and ${FORMAT_VERSION} (re-import the log with this lbsim)`);
  if (h.readUInt32LE(HEADER_CRC_AT) !== crc32(h.subarray(0, HEADER_CRC_AT))) throw invalid(file, 'header checksum mismatch (corrupted)');
  const layoutLength = h.readUInt32LE(76);
  const layout = h.toString('latin1', 80, 80 + Math.min(layoutLength, HEADER_CRC_AT - 80));
  const expected = version === 1 ? V1_COLUMN_LAYOUT : COLUMN_LAYOUT;
  if (layout !== expected) throw invalid(file, `column layout '${layout}', expected '${expected}'`);
  const header: TraceHeader = {
    version,
    originEpochMs: h.readDoubleLE(16),
    count: h.readDoubleLE(24),
    chunkCount: h.readUInt32LE(32),
    chunkCapacity: h.readUInt32LE(36),
    indexOffset: h.readDoubleLE(40),
    firstArrival: h.readDoubleLE(48),
    lastArrival: h.readDoubleLE(56),
    skippedRows: h.readDoubleLE(64),
    uriKeys: version !== 1,
  };
  const indexBytes = header.chunkCount * INDEX_ENTRY_BYTES;
  if (header.indexOffset + indexBytes !== size) throw invalid(file, `${size} bytes, expected ${header.indexOffset + indexBytes} (truncated or extended)`);
  const index = Buffer.alloc(indexBytes);
  readExactly(fd, index, indexBytes, header.indexOffset);
  if (crc32(index) !== h.readUInt32LE(72)) throw invalid(file, 'chunk index checksum mismatch (corrupted)');
  const entries = new Float64Array(index.buffer, index.byteOffset, header.chunkCount * 3);
  const offsets = new Float64Array(header.chunkCount);
  const firsts = new Float64Array(header.chunkCount);
  const firstIndex = new Float64Array(header.chunkCount);
  for (let k = 0; k < header.chunkCount; k++) {
    offsets[k] = entries[3 * k]!;
    firsts[k] = entries[3 * k + 1]!;
    firstIndex[k] = entries[3 * k + 2]!;
  }
  return { header, offsets, firsts, firstIndex };
}

/** The header of a trace (for durations and `trace info`). */
export function readTraceHeaderFile(file: string): TraceHeader {
  return readTraceIndex(file).header;
}

/** A trace's chunk index: trace time of each chunk's first arrival and that request's number (for planning, without reading chunks). */
export function readTraceIndex(file: string): { header: TraceHeader; firsts: Float64Array; firstIndex: Float64Array } {
  const fd = openTrace(file);
  try {
    const { header, firsts, firstIndex } = readTraceHeader(file, fd);
    return { header, firsts, firstIndex };
  } finally {
    closeSync(fd);
  }
}

function openTrace(file: string): number {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw fileReadError(file, e);
  }
  // Linux opens a directory for reading; only the first read would fail (EISDIR).
  if (fstatSync(fd).isDirectory()) {
    closeSync(fd);
    throw new LbsimError('FILE_UNREADABLE', `${file}: is a directory, expected a .lbt trace file`);
  }
  return fd;
}

export class TraceReader implements TrafficSource {
  readonly header: TraceHeader;
  /** Replay time at which the traffic ends: window end (or last arrival) minus window start. */
  readonly endTime: number;
  /** Trace time of the first request read. */
  readonly from: number;
  /** Trace time of replay time 0. */
  readonly origin: number;
  readonly to: number;
  /** Trace-wide number of the first request of the last `fill`; a fill holds consecutive requests, so request i of it is this + i. */
  firstIndexOfFill = 0;

  private readonly file: string;
  private fd: number;
  private readonly offsets: Float64Array;
  private readonly firsts: Float64Array;
  private readonly chunkFirstIndex: Float64Array;
  private readonly buf: Buffer;
  private chunkNo = -1;
  private chunkCount = 0;
  private pos = 0;
  // The current chunk's columns (views into buf); empty until the first is loaded.
  private arrival: Float64Array = new Float64Array(0);
  private work: Float32Array = new Float32Array(0);
  private client: Uint32Array = new Uint32Array(0);
  private route: Uint32Array = new Uint32Array(0);
  /** The uri column (the route column of a version 1 trace, which has none). */
  private uri: Uint32Array = new Uint32Array(0);
  /** The key column fill() copies as the route key: `route`, or `uri` (TraceWindow.routeKey). */
  private keys: Uint32Array = new Uint32Array(0);
  private readonly givesUri: boolean;
  private flags: Uint8Array = new Uint8Array(0);
  private done = false;
  private readonly chunkHead = Buffer.alloc(CHUNK_HEADER_BYTES);

  constructor(file: string, window: TraceWindow = {}) {
    this.file = file;
    this.fd = openTrace(file);
    try {
      const { header, offsets, firsts, firstIndex } = readTraceHeader(file, this.fd);
      this.header = header;
      this.offsets = offsets;
      this.firsts = firsts;
      this.chunkFirstIndex = firstIndex;
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
    const h = this.header;
    this.from = window.from ?? (h.count > 0 ? h.firstArrival : 0);
    // Traffic ends just after the last arrival when no window end is given (the engine stops arrivals at endTime).
    this.to = window.to ?? (h.count > 0 ? h.lastArrival + 1e-6 : this.from);
    this.origin = window.origin ?? this.from;
    this.endTime = Math.max(0, this.to - this.origin);
    this.buf = Buffer.alloc(chunkBodyBytes(Math.max(1, h.chunkCapacity), h.version));
    this.givesUri = window.routeKey === 'uri' && h.uriKeys;
    this.seek(this.from);
    // Written when the next chunk loads, after the hot loop is optimized: see jit/mutable-fields.ts.
    markMutable(this, ['chunkNo', 'chunkCount', 'pos', 'arrival', 'work', 'client', 'route', 'uri', 'keys', 'flags', 'done', 'firstIndexOfFill']);
  }

  /** Positions at the first request arriving at or after trace time `t`: a binary search of the index, then one chunk read. */
  private seek(t: number): void {
    const firsts = this.firsts;
    let lo = 0;
    let hi = firsts.length - 1;
    let start = 0;
    // Last chunk whose first arrival is < t (earlier ones end before t); requests equal to t may start in it.
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (firsts[mid]! < t) {
        start = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (firsts.length === 0) {
      this.done = true;
      return;
    }
    this.load(start);
    while (!this.done) {
      while (this.pos < this.chunkCount && this.arrival[this.pos]! < t) this.pos++;
      if (this.pos < this.chunkCount) break;
      this.load(this.chunkNo + 1);
    }
  }

  private load(k: number): void {
    if (k >= this.offsets.length) {
      this.done = true;
      return;
    }
    const offset = this.offsets[k]!;
    const buf = this.buf;
    const head = this.chunkHead;
    if (readExactly(this.fd, head, CHUNK_HEADER_BYTES, offset) < CHUNK_HEADER_BYTES) throw invalid(this.file, `chunk ${k} at byte ${offset} is cut short`);
    const n = head.readUInt32LE(0);
    if (n === 0 || n > this.header.chunkCapacity) throw invalid(this.file, `chunk ${k} at byte ${offset} claims ${n} requests (corrupted)`);
    const version = this.header.version;
    const bytes = chunkBodyBytes(n, version);
    if (readExactly(this.fd, buf, bytes, offset + CHUNK_HEADER_BYTES) < bytes) throw invalid(this.file, `chunk ${k} at byte ${offset} is cut short`);
    if (crc32(buf.subarray(0, bytes)) !== head.readUInt32LE(4)) throw invalid(this.file, `chunk ${k} at byte ${offset}: checksum mismatch (corrupted)`);
    const o = columnOffsets(n, version);
    const base = buf.byteOffset;
    this.arrival = new Float64Array(buf.buffer, base + o.arrival, n);
    this.work = new Float32Array(buf.buffer, base + o.work, n);
    this.client = new Uint32Array(buf.buffer, base + o.client, n);
    this.route = new Uint32Array(buf.buffer, base + o.route, n);
    this.uri = o.uri < 0 ? this.route : new Uint32Array(buf.buffer, base + o.uri, n);
    this.keys = this.givesUri ? this.uri : this.route;
    this.flags = new Uint8Array(buf.buffer, base + o.flags, n);
    this.chunkNo = k;
    this.chunkCount = n;
    this.pos = 0;
  }

  fill(chunk: RequestChunk): void {
    let n = 0;
    const cap = chunk.capacity;
    this.firstIndexOfFill = this.done ? this.header.count : this.chunkFirstIndex[this.chunkNo]! + this.pos;
    const to = this.to;
    const from = this.origin;
    while (n < cap && !this.done) {
      if (this.pos >= this.chunkCount) {
        this.load(this.chunkNo + 1);
        if (this.done) break;
      }
      const p = this.pos;
      const take = Math.min(cap - n, this.chunkCount - p);
      const arrival = this.arrival;
      let m = 0;
      while (m < take && arrival[p + m]! < to) {
        chunk.arrival[n + m] = arrival[p + m]! - from;
        chunk.work[n + m] = this.work[p + m]!;
        m++;
      }
      chunk.client.set(this.client.subarray(p, p + m), n);
      chunk.route.set(this.keys.subarray(p, p + m), n);
      chunk.uri?.set(this.uri.subarray(p, p + m), n);
      chunk.flags.set(this.flags.subarray(p, p + m), n);
      n += m;
      this.pos += m;
      if (m < take) {
        this.done = true;
        break;
      }
    }
    chunk.count = n;
  }

  /** Trace-wide number of the next request to be read (the count of requests before it). */
  get nextIndex(): number {
    return this.done ? this.header.count : this.chunkFirstIndex[this.chunkNo]! + this.pos;
  }

  /**
   * The arrival of the request just before the next one, in replay time as fill() gives
   * it, or NaN when that request arrives before trace time `notBefore` (a replay's start)
   * or there is none. Called before the first fill: a replay opened inside a run places
   * its first request's scaled copies between that request and this one, as the whole
   * run does (replay.ts). One chunk read more when it lies in the chunk before.
   */
  previousArrival(notBefore: number): number {
    if (this.done || (this.pos === 0 && this.chunkNo <= 0)) return Number.NaN;
    let arrival: number;
    if (this.pos > 0) arrival = this.arrival[this.pos - 1]!;
    else {
      const k = this.chunkNo;
      this.load(k - 1);
      arrival = this.arrival[this.chunkCount - 1]!;
      this.load(k);
    }
    return arrival < notBefore ? Number.NaN : arrival - this.origin;
  }

  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
