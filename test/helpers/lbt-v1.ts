/** A version 1 .lbt (lbsim before the uri column), for tests of reading old traces. */
import { crc32 } from 'node:zlib';
import { CHUNK_HEADER_BYTES, HEADER_BYTES, HEADER_CRC_AT, V1_COLUMN_LAYOUT, chunkBodyBytes, columnOffsets } from '../../src/traffic/lbt/format.ts';

/**
 * The same trace in format version 1 (lbsim before the uri column): every chunk without
 * its uri column, the index and header rewritten with their checksums.
 */
export function asVersion1(v2: Buffer): Buffer {
  const chunkCount = v2.readUInt32LE(32);
  const indexAt = v2.readDoubleLE(40);
  const parts: Buffer[] = [Buffer.from(v2.subarray(0, HEADER_BYTES))];
  const index = new Float64Array(chunkCount * 3);
  let at = HEADER_BYTES;
  for (let k = 0; k < chunkCount; k++) {
    const offset = v2.readDoubleLE(indexAt + 24 * k);
    const n = v2.readUInt32LE(offset);
    const from = columnOffsets(n, 2);
    const to = columnOffsets(n, 1);
    const body = Buffer.alloc(chunkBodyBytes(n, 1));
    const src = offset + CHUNK_HEADER_BYTES;
    for (const [f, t, bytes] of [[from.arrival, to.arrival, 8], [from.work, to.work, 4], [from.client, to.client, 4], [from.route, to.route, 4], [from.flags, to.flags, 1]] as const) v2.copy(body, t, src + f, src + f + n * bytes);
    const head = Buffer.from(v2.subarray(offset, offset + CHUNK_HEADER_BYTES));
    head.writeUInt32LE(crc32(body), 4);
    parts.push(head, body);
    index[3 * k] = at;
    index[3 * k + 1] = v2.readDoubleLE(indexAt + 24 * k + 8);
    index[3 * k + 2] = v2.readDoubleLE(indexAt + 24 * k + 16);
    at += CHUNK_HEADER_BYTES + body.length;
  }
  const indexBytes = Buffer.from(index.buffer);
  parts.push(indexBytes);
  const h = parts[0]!;
  h.writeUInt32LE(1, 8);
  h.writeDoubleLE(at, 40);
  h.writeUInt32LE(crc32(indexBytes), 72);
  h.fill(0, 76, HEADER_CRC_AT);
  h.writeUInt32LE(V1_COLUMN_LAYOUT.length, 76);
  h.write(V1_COLUMN_LAYOUT, 80, 'latin1');
  h.writeUInt32LE(crc32(h.subarray(0, HEADER_CRC_AT)), HEADER_CRC_AT);
  return Buffer.concat(parts);
}
