/**
 * XXH64 (Yann Collet's xxHash, 64-bit), as Envoy's HashUtil::xxHash64(input, seed)
 * (source/common/common/hash.h) uses it for ring-hash points, Maglev permutations and
 * request hash keys. BigInt arithmetic: it runs when tables are built and once per
 * distinct request key (callers memoize), never per pick in steady state.
 */
const MASK = (1n << 64n) - 1n;
const P1 = 11400714785074694791n;
const P2 = 14029467366897019727n;
const P3 = 1609587929392839161n;
const P4 = 9650029242287828579n;
const P5 = 2870177450012600261n;

const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & MASK;
const round = (acc: bigint, lane: bigint) => (rotl((acc + lane * P2) & MASK, 31n) * P1) & MASK;
const merge = (acc: bigint, v: bigint) => (((acc ^ round(0n, v)) * P1) + P4) & MASK;

function u64(b: Uint8Array, i: number): bigint {
  let x = 0n;
  for (let k = 7; k >= 0; k--) x = (x << 8n) | BigInt(b[i + k]!);
  return x;
}
function u32(b: Uint8Array, i: number): bigint {
  return BigInt((b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0);
}

export function xxHash64(input: string | Uint8Array, seed = 0n): bigint {
  const b = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const len = b.length;
  let i = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = (seed + P1 + P2) & MASK;
    let v2 = (seed + P2) & MASK;
    let v3 = seed & MASK;
    let v4 = (seed - P1) & MASK;
    for (; i + 32 <= len; i += 32) {
      v1 = round(v1, u64(b, i));
      v2 = round(v2, u64(b, i + 8));
      v3 = round(v3, u64(b, i + 16));
      v4 = round(v4, u64(b, i + 24));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & MASK;
    h = merge(h, v1);
    h = merge(h, v2);
    h = merge(h, v3);
    h = merge(h, v4);
  } else {
    h = (seed + P5) & MASK;
  }
  h = (h + BigInt(len)) & MASK;
  for (; i + 8 <= len; i += 8) {
    h ^= round(0n, u64(b, i));
    h = (rotl(h, 27n) * P1 + P4) & MASK;
  }
  if (i + 4 <= len) {
    h ^= (u32(b, i) * P1) & MASK;
    h = (rotl(h, 23n) * P2 + P3) & MASK;
    i += 4;
  }
  for (; i < len; i++) {
    h ^= (BigInt(b[i]!) * P5) & MASK;
    h = (rotl(h, 11n) * P1) & MASK;
  }
  h ^= h >> 33n;
  h = (h * P2) & MASK;
  h ^= h >> 29n;
  h = (h * P3) & MASK;
  h ^= h >> 32n;
  return h;
}

/**
 * What an Envoy hashing balancer (ring_hash, maglev) hashes: the route key (`route`), the
 * whole target (`uri`), the client's address (`client`), or nothing (`random`: Envoy's
 * random() stands in for a missing hash).
 */
export const ENVOY_HASH_KEYS = ['route', 'uri', 'client', 'random'] as const;

/** The 32 bits behind ctx.random(request, draw) (counter-rng's uniform is (bits + 0.5) / 2^32). */
export function randomBits(random: (request: number, draw: number) => number, request: number, draw: number): number {
  return Math.floor(random(request, draw) * 4294967296);
}

/** (hi·2^32 + lo) % m for 32-bit halves, exact while m <= 2^26 (every product stays below 2^53). */
export function mod64(hi: number, lo: number, m: number): number {
  return ((hi % m) * (4294967296 % m) + lo) % m;
}

/** The request's hash key text: the route key's decimal text, or the client key as a dotted IPv4 address. */
export function keyText(key: number, asAddress: boolean): string {
  if (!asAddress) return String(key);
  return `${(key >>> 24) & 255}.${(key >>> 16) & 255}.${(key >>> 8) & 255}.${key & 255}`;
}
