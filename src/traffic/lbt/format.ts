/**
 * The .lbt binary trace: a columnar file of recorded requests that a replay reads
 * without parsing text, and whose chunk index puts any time window two seeks away.
 *
 * Layout (all little-endian):
 *
 *   header   HEADER_BYTES bytes at offset 0
 *     0  magic "LBTRACE\0"
 *     8  u32 version (FORMAT_VERSION)
 *    12  u32 header size in bytes
 *    16  f64 origin: wall-clock epoch ms of trace time 0 (0 when unknown)
 *    24  f64 request count
 *    32  u32 chunk count            36  u32 chunk capacity (requests)
 *    40  f64 byte offset of the chunk index
 *    48  f64 first arrival, ms      56  f64 last arrival, ms
 *    64  f64 skipped rows at import (malformed rows under --on-error skip)
 *    72  u32 crc32 of the index     76  u32 length of the column layout string
 *    80  column layout (ASCII, COLUMN_LAYOUT), zero-padded to 76 bytes
 *   156  u32 crc32 of bytes 0..155
 *
 *   chunk    CHUNK_HEADER_BYTES + columns, at the offsets the index gives
 *     0  u32 request count n         4  u32 crc32 of the column bytes
 *     8  f64 first arrival, ms      16  f64 last arrival, ms
 *    24  arrival f64[n] | work f32[n] | client u32[n] | route u32[n] | uri u32[n] | flags u8[n] | pad to 8
 *
 *   Version 1 (lbsim before 2026-11-27) has no uri column; this lbsim still reads it.
 *
 *   index    chunk count × INDEX_ENTRY_BYTES: f64 offset, f64 first arrival, f64 first request number
 *
 * Keys (src/traffic/readers/keys.ts): `route` is the request path without its query string
 * (nginx $uri, HAProxy `balance uri`), `uri` the whole request target with it (nginx
 * $request_uri, HAProxy `balance uri whole`); they are equal where there is no query.
 *
 * Times are ms relative to the origin (f64: exact to well below a microsecond over years);
 * work is f32 ms (24-bit mantissa: 1 µs resolution up to 16 s, relative 6e-8 beyond).
 * The header is written last (the file is streamed to a temporary name and renamed), so
 * a crash never leaves a file that looks complete.
 */

export const MAGIC = 'LBTRACE\0';
export const FORMAT_VERSION = 2;
export const HEADER_BYTES = 160;
/** Offset of the header's own checksum (its last 4 bytes). */
export const HEADER_CRC_AT = HEADER_BYTES - 4;
export const CHUNK_HEADER_BYTES = 24;
export const INDEX_ENTRY_BYTES = 24;
export const COLUMN_LAYOUT = 'arrival:f64ms,work:f32ms,client:u32,route:u32,uri:u32,flags:u8';
/** Version 1's columns: no uri. */
export const V1_COLUMN_LAYOUT = 'arrival:f64ms,work:f32ms,client:u32,route:u32,flags:u8';
/** Requests per chunk: 64 k × 25 bytes ≈ 1.6 MB, the reader's whole working memory. */
export const DEFAULT_CHUNK_CAPACITY = 65_536;

export interface TraceHeader {
  version: number;
  originEpochMs: number;
  count: number;
  chunkCount: number;
  chunkCapacity: number;
  indexOffset: number;
  firstArrival: number;
  lastArrival: number;
  skippedRows: number;
  /** Whether the trace has a uri column (version 2); a version 1 trace's uri keys are its route keys. */
  uriKeys: boolean;
}

/** Bytes a request takes in a chunk of a trace of this format version. */
const requestBytes = (version: number) => (version === 1 ? 21 : 25);

/** Bytes of a chunk's columns for n requests (padded so the next chunk's f64 column stays aligned). */
export function chunkBodyBytes(n: number, version = FORMAT_VERSION): number {
  return Math.ceil((n * requestBytes(version)) / 8) * 8;
}

/** Byte offsets of the columns inside a chunk body of n requests; a version 1 chunk has no uri column (-1). */
export function columnOffsets(n: number, version = FORMAT_VERSION): { arrival: number; work: number; client: number; route: number; uri: number; flags: number } {
  if (version === 1) return { arrival: 0, work: 8 * n, client: 12 * n, route: 16 * n, uri: -1, flags: 20 * n };
  return { arrival: 0, work: 8 * n, client: 12 * n, route: 16 * n, uri: 20 * n, flags: 24 * n };
}
