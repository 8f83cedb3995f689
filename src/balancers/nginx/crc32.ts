/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as nginx's ngx_crc32_short /
 * ngx_crc32_long / ngx_crc32_update (src/core/ngx_crc32.h). Incremental use:
 * `crc32Final(crc32Update(crc32Update(CRC32_INIT, ...), ...))`.
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export const CRC32_INIT = 0xffffffff;

export function crc32Byte(crc: number, byte: number): number {
  return (TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8)) >>> 0;
}

export function crc32Final(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}

/** Feeds the decimal digits of whole `n` >= 0 without building a string. */
export function crc32Decimal(crc: number, n: number): number {
  let div = 1;
  while (div * 10 <= n) div *= 10;
  for (; div >= 1; div /= 10) crc = crc32Byte(crc, 48 + (Math.floor(n / div) % 10));
  return crc;
}

export function crc32Text(crc: number, text: string): number {
  const bytes = new TextEncoder().encode(text);
  for (const b of bytes) crc = crc32Byte(crc, b);
  return crc;
}
