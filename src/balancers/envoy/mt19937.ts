/**
 * std::mt19937 (the 32-bit Mersenne Twister of C++11, [rand.predef]), as Envoy's
 * BoundedLoadHashingLoadBalancer seeds one with a request's hash to shuffle the hosts it
 * probes (bounded-load.ts). `seed(value)` is the engine's constructor: the state from the
 * low 32 bits of `value` (its result_type is 64 bits wide on Linux, and the seed is taken
 * mod 2^32). One instance is reseeded per overloaded pick, so the state array is kept,
 * and seeding and twisting are done lazily, as far as the outputs drawn need them.
 */
const N = 624;
const M = 397;
const UPPER = 0x8000_0000;
const LOWER = 0x7fff_ffff;
const MATRIX_A = 0x9908_b0df;

export class Mt19937 {
  private readonly mt = new Uint32Array(N);
  /** Position in the current generation of N words. */
  private index = 0;
  /** The last state word seed() has filled in so far (they are filled on demand: see next()). */
  private filled = N - 1;

  constructor(seed = 5489) {
    this.seed(seed);
  }

  /** mersenne_twister_engine::seed(value): x0 = value mod 2^32, xi = 1812433253·(xi−1 ⊕ (xi−1 >> 30)) + i. */
  seed(value: number): void {
    this.mt[0] = value >>> 0;
    this.filled = 0;
    this.index = 0;
  }

  /**
   * The next 32-bit output (operator()). The twist that starts a generation is done one
   * word at a time, word i when output i is asked for, which gives the same words: the
   * in-place twist computes them in that order, each from words before it. So is the
   * seeding: word i + 397 when word i is twisted. A caller that draws a few numbers after
   * each seed (BoundedLoad: one per host probed) pays ~400 steps, not 1,248.
   */
  next(): number {
    if (this.index === N) this.index = 0;
    const i = this.index++;
    const mt = this.mt;
    if (this.filled < N - 1) this.fill(Math.min(N - 1, i + M));
    const y = (mt[i]! & UPPER) | (mt[i + 1 === N ? 0 : i + 1]! & LOWER);
    const x = mt[i + M < N ? i + M : i + M - N]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    mt[i] = x;
    let z = x;
    z ^= z >>> 11;
    z ^= (z << 7) & 0x9d2c_5680;
    z ^= (z << 15) & 0xefc6_0000;
    z ^= z >>> 18;
    return z >>> 0;
  }

  /** Seeds words filled + 1 .. upTo. */
  private fill(upTo: number): void {
    const mt = this.mt;
    for (let i = this.filled + 1; i <= upTo; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      // 1812433253 · prev mod 2^32 in two 16-bit halves of the multiplier (exact in doubles).
      mt[i] = (((((prev & 0xffff_0000) >>> 16) * 1812433253) << 16) + (prev & 0x0000_ffff) * 1812433253 + i) >>> 0;
    }
    this.filled = upTo;
  }
}
