/**
 * std::mt19937 (the 32-bit Mersenne Twister of C++11, [rand.predef]), as Envoy's
 * BoundedLoadHashingLoadBalancer seeds one with a request's hash to shuffle the hosts it
 * probes (bounded-load.ts). `seed(value)` is the engine's constructor: the state from the
 * low 32 bits of `value` (its result_type is 64 bits wide on Linux, and the seed is taken
 * mod 2^32). One instance is reseeded per overloaded pick, so the state array is kept.
 */
const N = 624;
const M = 397;
const UPPER = 0x8000_0000;
const LOWER = 0x7fff_ffff;
const MATRIX_A = 0x9908_b0df;

export class Mt19937 {
  private readonly mt = new Uint32Array(N);
  private index = N;

  constructor(seed = 5489) {
    this.seed(seed);
  }

  /** mersenne_twister_engine::seed(value): x0 = value mod 2^32, xi = 1812433253·(xi−1 ⊕ (xi−1 >> 30)) + i. */
  seed(value: number): void {
    const mt = this.mt;
    mt[0] = value >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      // 1812433253 · prev mod 2^32 in two 16-bit halves of the multiplier (exact in doubles).
      mt[i] = (((((prev & 0xffff_0000) >>> 16) * 1812433253) << 16) + (prev & 0x0000_ffff) * 1812433253 + i) >>> 0;
    }
    this.index = N;
  }

  /** The next 32-bit output (operator()). */
  next(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c_5680;
    y ^= (y << 15) & 0xefc6_0000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < N; i++) {
      const y = (mt[i]! & UPPER) | (mt[(i + 1) % N]! & LOWER);
      mt[i] = mt[(i + M) % N]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    this.index = 0;
  }
}
