/**
 * Counter-based random numbers: every draw is a pure function of (seed, stream, counter),
 * never of a generator's position in a sequence. A run split across worker threads, or a
 * window re-simulated from another start state, therefore draws exactly the numbers the
 * single-threaded run drew for the same request.
 *
 * The mixing function is the PCG hash of Jarzynski & Olano, "Hash Functions for GPU
 * Rendering" (JCGT 2020): a 32-bit permutation (an LCG step followed by PCG's RXS-M-XS
 * output function) chosen there as the best quality-per-cost hash for turning an index
 * into a random number. It needs only Math.imul and shifts, so it runs at full speed in
 * V8 without BigInt. A draw applies it twice, with two independent 32-bit stream keys,
 * so different streams are not shifted copies of one sequence. Uniforms have 32 bits of
 * resolution and lie strictly inside (0, 1), so log(u) is always finite; the smallest
 * value gives an exponential tail of 22.9 means, far beyond any percentile reported.
 *
 * Not cryptographic. Its statistical quality is checked by the test suite (uniformity,
 * independence of neighbouring counters and streams, and the queueing-theory tests).
 */

const TWO_POW_32 = 4294967296;
const INV_TWO_POW_32 = 1 / TWO_POW_32;

/** The PCG hash: a bijection on 32-bit unsigned integers. */
export function pcgHash(input: number): number {
  return mix(input) >>> 0;
}

/**
 * pcgHash's bits as a signed 32-bit integer, which the draws pass between calls: a small
 * integer to V8 whether or not it inlines the call. pcgHash's unsigned result is a heap
 * number from 2^31 up, and in runs where V8 did not inline it into the traffic generator
 * every other hash was boxed (~30 bytes an arrival; RESULTS.md, 2026-11-27).
 */
function mix(input: number): number {
  const state = (Math.imul(input, 747796405) + 2891336453) | 0;
  const word = Math.imul((state >>> ((state >>> 28) + 4)) ^ state, 277803737);
  return ((word >>> 22) ^ word) | 0;
}

/**
 * What a stream of draws is for. Distinct purposes give unrelated numbers from the same
 * seed, so adding a draw for one purpose never shifts the numbers of another.
 */
export const Purpose = {
  ArrivalGap: 1,
  /** A block's number of arrivals (src/traffic/synthetic.ts). */
  ArrivalCount: 2,
  Work: 3,
  WorkAux: 4,
  Client: 5,
  Route: 6,
  Balancer: 7,
  Replay: 8,
  Replication: 9,
  /** The jitter of a retry's back-off (src/engine/proxy.ts): sub-stream = retry number, counter = request. */
  RetryBackoff: 10,
} as const;
export type Purpose = (typeof Purpose)[keyof typeof Purpose];

/**
 * A stream: two 32-bit keys derived from (seed, purpose, sub-stream), held as signed 32-bit
 * integers. Only their bits matter (the hash wraps everything mod 2^32), and a signed
 * 32-bit value is a small integer to V8, passed as is; an unsigned one from 2^31 up is a
 * heap number, and the generator's hot loop boxed a new one whenever it passed a key to a
 * draw V8 had not inlined (RESULTS.md, 2026-11-26 16:00).
 */
export interface StreamKey {
  readonly k1: number;
  readonly k2: number;
}

/** Folds an arbitrary non-negative integer up to 2^53 into the hash chain. */
function absorb(h: number, value: number): number {
  const lo = value >>> 0;
  const hi = Math.floor(value / TWO_POW_32) >>> 0;
  return pcgHash(pcgHash(h ^ lo) ^ hi);
}

/** Derives the keys of a stream. Not for the hot loop: derive once, then call `uniform`. */
export function streamKey(seed: number, purpose: number, sub = 0): StreamKey {
  let h = absorb(0x9e3779b9, seed);
  h = absorb(h, purpose);
  h = absorb(h, sub);
  const k1 = h | 0;
  const k2 = pcgHash(h ^ 0x85ebca6b) | 0;
  return { k1, k2 };
}

/**
 * A uniform number in (0, 1) for `counter` in the stream (k1, k2). Counters up to 2^32
 * take the fast path; larger ones fold their high bits into the first key.
 */
export function uniform(k1: number, k2: number, counter: number): number {
  return unitOf(uniformBits(k1, k2, counter));
}

/**
 * uniform()'s 32 random bits, as a signed 32-bit integer: for hot loops, which call
 * `unitOf(uniformBits(…))`. A double crossing a call V8 did not inline is boxed in a new
 * heap number, and whether V8 inlines uniform() into the traffic generator varied from
 * run to run; a signed 32-bit integer crosses as is (RESULTS.md, 2026-11-26 16:00).
 */
export function uniformBits(k1: number, k2: number, counter: number): number {
  let c = counter;
  let key1 = k1;
  if (c >= TWO_POW_32) {
    key1 = mix(key1 ^ (Math.floor(c / TWO_POW_32) >>> 0));
    c = c >>> 0;
  }
  return mix(mix((c + key1) | 0) ^ k2);
}

/** The uniform in (0, 1) that uniformBits() stand for. Small enough that V8 always inlines it. */
export function unitOf(bits: number): number {
  return ((bits >>> 0) + 0.5) * INV_TWO_POW_32;
}

/** A 32-bit unsigned integer for `counter` in the stream; used where bits, not a fraction, are wanted (hash keys, jitter). */
export function bits32(k1: number, k2: number, counter: number): number {
  return mix(mix((counter + k1) | 0) ^ k2) >>> 0;
}
