/**
 * Service-demand distributions, parameterised by their mean (and shape), sampled from
 * uniforms the caller draws. A sampler holds only numbers, so sampling allocates nothing.
 */
import { unitOf } from './counter-rng.ts';

export type ServiceSpec =
  | { distribution: 'constant'; mean: number }
  | { distribution: 'exponential'; mean: number }
  /** Lognormal with the given mean and coefficient of variation (stddev / mean). */
  | { distribution: 'lognormal'; mean: number; cv: number }
  /** Pareto (type I) with the given mean and shape alpha > 1; heavier tail as alpha falls towards 1. */
  | { distribution: 'pareto'; mean: number; shape: number };

const KIND = { constant: 0, exponential: 1, lognormal: 2, pareto: 3 } as const;

export class ServiceSampler {
  private readonly kind: number;
  private readonly a: number;
  private readonly b: number;
  /** True when a sample needs the second uniform (lognormal's Box-Muller pair). */
  readonly needsSecondUniform: boolean;

  constructor(readonly spec: ServiceSpec) {
    this.kind = KIND[spec.distribution];
    switch (spec.distribution) {
      case 'constant':
      case 'exponential':
        this.a = spec.mean;
        this.b = 0;
        break;
      case 'lognormal': {
        // For lognormal(mu, sigma): mean = exp(mu + sigma^2/2), cv^2 = exp(sigma^2) - 1.
        const sigma2 = Math.log(1 + spec.cv * spec.cv);
        this.a = Math.log(spec.mean) - sigma2 / 2;
        this.b = Math.sqrt(sigma2);
        break;
      }
      case 'pareto':
        // Mean of Pareto(xm, alpha) is alpha * xm / (alpha - 1).
        this.a = (spec.mean * (spec.shape - 1)) / spec.shape;
        this.b = 1 / spec.shape;
        break;
    }
    this.needsSecondUniform = spec.distribution === 'lognormal';
  }

  /**
   * Writes a sample into out[i], from two uniformBits() draws (the second is read only
   * when needsSecondUniform). For the traffic generator: only integers cross this call and
   * the sample stays inside it, so nothing is boxed whether or not V8 inlines it into the
   * generator's big loop (counter-rng.ts, uniformBits). The distributions are written out
   * here, not in a sample(u1, u2) this calls: in runs where V8 inlined this method but not
   * that one, both uniforms and the sample were boxed, 48 bytes an arrival (RESULTS.md,
   * 2026-11-27).
   */
  sampleInto(out: Float64Array, i: number, bits1: number, bits2: number): void {
    const u1 = unitOf(bits1);
    switch (this.kind) {
      case 0:
        out[i] = this.a;
        break;
      case 1:
        out[i] = -this.a * Math.log(u1);
        break;
      case 2:
        // Box-Muller: one standard normal from two uniforms.
        out[i] = Math.exp(this.a + this.b * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * unitOf(bits2)));
        break;
      default:
        // Inverse CDF: xm / u^(1/alpha).
        out[i] = this.a / Math.pow(u1, this.b);
    }
  }

  /** Theoretical mean (for validation and capacity checks). */
  get mean(): number {
    return this.spec.mean;
  }
}

/**
 * Zipf-distributed keys 0..n-1 with P(k) proportional to 1/(k+1)^skew (skew 0 is
 * uniform). Sampling inverts a precomputed CDF by binary search: 8 bytes per key, about
 * log2(n) steps per draw.
 */
export class ZipfSampler {
  private readonly cdf: Float64Array;

  constructor(
    readonly n: number,
    readonly skew: number,
  ) {
    this.cdf = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) {
      total += 1 / Math.pow(k + 1, skew);
      this.cdf[k] = total;
    }
    for (let k = 0; k < n; k++) this.cdf[k] = this.cdf[k]! / total;
    this.cdf[n - 1] = 1;
  }

  /** P(key k): its share of the draws (key 0 is the most likely). */
  probabilityOf(k: number): number {
    return k === 0 ? this.cdf[0]! : this.cdf[k]! - this.cdf[k - 1]!;
  }

  /**
   * The key for a uniformBits() draw: an integer in, an integer out, the search inside (as
   * ServiceSampler.sampleInto: a uniform handed to a method V8 did not inline was boxed).
   */
  keyOf(bits: number): number {
    const u = unitOf(bits);
    const cdf = this.cdf;
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
