/**
 * Statistical checks of the counter-based generator. Each test uses fixed seeds, so it is
 * deterministic; the thresholds are the 0.1% critical values, so a generator of the
 * quality the engine assumes passes, while a biased hash, a short cycle or streams that
 * are shifted copies of each other fail by far.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bits32, pcgHash, Purpose, streamKey, uniform, uniformBits, unitOf } from '../../src/random/counter-rng.ts';
import { chiSquare, chiSquareCritical, correlation, Z_999 } from '../helpers/stats.ts';

const N = 1_000_000;

function draws(seed: number, purpose: number, sub: number, n = N, from = 0): Float64Array {
  const k = streamKey(seed, purpose, sub);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = uniform(k.k1, k.k2, from + i);
  return out;
}

describe('counter-rng', () => {
  it('pcgHash is a bijection on 32-bit integers (no collisions among 2^20 consecutive inputs)', () => {
    const out = new Uint32Array(1 << 20);
    for (let i = 0; i < out.length; i++) out[i] = pcgHash(i * 4093 + 17);
    out.sort();
    let collisions = 0;
    for (let i = 1; i < out.length; i++) if (out[i] === out[i - 1]) collisions++;
    expect(collisions).toBe(0);
  });

  it('uniforms lie strictly inside (0, 1) and are a pure function of (key, counter)', () => {
    const k = streamKey(7, Purpose.Work, 3);
    let min = 1;
    let max = 0;
    for (let i = 0; i < N; i++) {
      const u = uniform(k.k1, k.k2, i);
      if (u < min) min = u;
      if (u > max) max = u;
    }
    expect(min).toBeGreaterThan(0);
    expect(max).toBeLessThan(1);
    expect(uniform(k.k1, k.k2, 123_456)).toBe(uniform(streamKey(7, Purpose.Work, 3).k1, streamKey(7, Purpose.Work, 3).k2, 123_456));
  });

  it('stream keys are signed 32-bit integers, and draw exactly what their unsigned bits would', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 10 }), fc.nat(), fc.oneof(fc.nat(), fc.integer({ min: 0, max: 2 ** 40 })), (seed, purpose, sub, counter) => {
        const { k1, k2 } = streamKey(seed, purpose, sub);
        expect(k1 | 0).toBe(k1);
        expect(k2 | 0).toBe(k2);
        expect(uniform(k1, k2, counter)).toBe(uniform(k1 >>> 0, k2 >>> 0, counter));
        expect(bits32(k1, k2, counter)).toBe(bits32(k1 >>> 0, k2 >>> 0, counter));
      }),
      { numRuns: 2000 },
    );
  });

  it('draws the same numbers as ever (values pinned from the implementation of 2026-11-26 before signed keys and uniformBits)', () => {
    const pinned: [number, number, number, number, number, number][] = [
      [1, 1, 0, 0, 0.30993104830849916, 1331143716],
      [42, 3, 7, 123456, 0.47867219883482903, 2055881439],
      [7, 5, 2, 2 ** 32 + 5, 0.5101366959279403, 1348491279],
      [2 ** 40, 9, 1, 2 ** 45, 0.375416629598476, 1864206130],
    ];
    for (const [seed, purpose, sub, counter, u, bits] of pinned) {
      const { k1, k2 } = streamKey(seed, purpose, sub);
      expect(uniform(k1, k2, counter)).toBe(u);
      expect(unitOf(uniformBits(k1, k2, counter))).toBe(u);
      expect(uniformBits(k1, k2, counter) | 0).toBe(uniformBits(k1, k2, counter));
      expect(bits32(k1, k2, counter)).toBe(bits);
    }
  });

  it('is uniform: chi-square over 1000 equal buckets of 10^6 draws', () => {
    for (const seed of [1, 42]) {
      const u = draws(seed, Purpose.ArrivalGap, 0);
      const counts = new Float64Array(1000);
      for (const x of u) counts[Math.floor(x * 1000)]!++;
      expect(chiSquare(counts, new Float64Array(1000).fill(N / 1000))).toBeLessThan(chiSquareCritical(999));
    }
  });

  it('neighbouring counters are independent: pairs (u_k, u_k+1) fill a 32x32 grid evenly, and their correlation is ~0', () => {
    const u = draws(3, Purpose.Work, 5);
    const counts = new Float64Array(32 * 32);
    for (let i = 0; i + 1 < N; i += 2) counts[Math.floor(u[i]! * 32) * 32 + Math.floor(u[i + 1]! * 32)]!++;
    expect(chiSquare(counts, new Float64Array(1024).fill(N / 2 / 1024))).toBeLessThan(chiSquareCritical(1023));
    // For independent uniforms the sample correlation has sd 1/sqrt(n).
    for (const lag of [1, 2, 16, 1024]) {
      expect(Math.abs(correlation(u.subarray(0, N - lag), u.subarray(lag)))).toBeLessThan(Z_999 / Math.sqrt(N - lag));
    }
  });

  it('streams are independent: different seeds, purposes and sub-streams are uncorrelated, also shifted by a few counters', () => {
    const base = draws(1, Purpose.ArrivalGap, 0);
    const others = [draws(2, Purpose.ArrivalGap, 0), draws(1, Purpose.Work, 0), draws(1, Purpose.ArrivalGap, 1), draws(1, Purpose.Client, 0)];
    for (const o of others) {
      for (const shift of [0, 1, 7]) {
        const n = N - shift;
        expect(Math.abs(correlation(base.subarray(0, n), o.subarray(shift)))).toBeLessThan(Z_999 / Math.sqrt(n));
      }
      // Not shifted copies: no shift aligns them exactly.
      let equal = 0;
      for (let i = 0; i < 1000; i++) if (base[i] === o[i] || base[i + 1] === o[i]) equal++;
      expect(equal).toBe(0);
    }
  });

  it('counters beyond 2^32 take the slow path and stay uniform and distinct from the low counters', () => {
    const k = streamKey(9, Purpose.Replay, 0);
    const hi = 2 ** 32;
    const counts = new Float64Array(100);
    let same = 0;
    for (let i = 0; i < 200_000; i++) {
      const u = uniform(k.k1, k.k2, hi + i);
      counts[Math.floor(u * 100)]!++;
      if (u === uniform(k.k1, k.k2, i)) same++;
    }
    expect(same).toBe(0);
    expect(chiSquare(counts, new Float64Array(100).fill(2000))).toBeLessThan(chiSquareCritical(99));
  });

  it('bits32 gives every bit with probability 1/2', () => {
    const k = streamKey(5, Purpose.Route, 0);
    const ones = new Float64Array(32);
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const x = bits32(k.k1, k.k2, i);
      for (let b = 0; b < 32; b++) ones[b]! += (x >>> b) & 1;
    }
    // Binomial(n, 1/2): sd = sqrt(n)/2.
    for (let b = 0; b < 32; b++) expect(Math.abs(ones[b]! - n / 2)).toBeLessThan((Z_999 + 1) * (Math.sqrt(n) / 2));
  });
});
