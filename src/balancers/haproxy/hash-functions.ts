/**
 * HAProxy's hash functions (HAProxy 2.6, include/haproxy/hash.h, src/hash.c,
 * include/haproxy/tools.h), on unsigned 32-bit integers via Math.imul and >>> 0.
 */

/**
 * full_hash(): Bob Jenkins' full-avalanche integer hash followed by a multiplication by
 * the prime 3221225473, used for consistent-hash ring points and for `hash-type ...
 * avalanche`.
 */
export function fullHash(a: number): number {
  a = ((a + 0x7ed55d16) + (a << 12)) >>> 0;
  a = ((a ^ 0xc761c23c) ^ (a >>> 19)) >>> 0;
  a = ((a + 0x165667b1) + (a << 5)) >>> 0;
  a = ((a + 0xd3a2646c) ^ (a << 9)) >>> 0;
  a = ((a + 0xfd7046c5) + (a << 3)) >>> 0;
  a = ((a ^ 0xb55a4f09) ^ (a >>> 16)) >>> 0;
  return Math.imul(a, 3221225473) >>> 0;
}

/** hash_sdbm() (the default of `hash-type`): h = c + (h << 6) + (h << 16) - h. */
export function sdbmStep(h: number, c: number): number {
  return (c + (h << 6) + (h << 16) - h) >>> 0;
}

/** hash_djb2(): h = h * 33 + c, starting at 5381. */
export function djb2Step(h: number, c: number): number {
  return (Math.imul(h, 33) + c) >>> 0;
}

/**
 * The hash of the text `prefix` followed by the decimal digits of `n` (n >= 0, whole),
 * computed digit by digit so nothing is allocated. `prefix` is one byte or -1 for none.
 */
export function hashDecimal(n: number, prefix: number, fn: 'sdbm' | 'djb2'): number {
  let h = fn === 'djb2' ? 5381 : 0;
  const step = fn === 'djb2' ? djb2Step : sdbmStep;
  if (prefix >= 0) h = step(h, prefix);
  let div = 1;
  while (div * 10 <= n) div *= 10;
  for (; div >= 1; div /= 10) {
    const d = Math.floor(n / div) % 10;
    h = step(h, 48 + d);
  }
  return h;
}
