/**
 * Closed-form queueing results used for static checks (validate) and as the reference
 * capacity planning is tested against. All M/M/c: Poisson arrivals (rate λ), exponential
 * service (rate μ per slot), c slots, FCFS.
 */
import type { ServiceSpec } from '../random/distributions.ts';

/** Erlang C: probability an arriving request waits, with offered load a = λ/μ < c. */
export function erlangC(c: number, a: number): number {
  if (a >= c) return 1;
  // Erlang B by its stable recursion, then C from B.
  let b = 1;
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  const rho = a / c;
  return b / (1 - rho + rho * b);
}

/** P(response time > t) in M/M/c, t in the same unit as 1/μ. */
export function mmcResponseTail(c: number, lambda: number, mu: number, t: number): number {
  const a = lambda / mu;
  if (a >= c) return 1;
  const pw = erlangC(c, a);
  const theta = c * mu - lambda; // the wait, given waiting, is exponential with this rate
  const noWait = Math.exp(-mu * t);
  // Wait W ~ Exp(θ) plus service S ~ Exp(μ): a hypoexponential tail (θ = μ is the Erlang-2 limit).
  const waitPlusService = Math.abs(theta - mu) < 1e-12 * mu ? (1 + mu * t) * Math.exp(-mu * t) : (theta * Math.exp(-mu * t) - mu * Math.exp(-theta * t)) / (theta - mu);
  return (1 - pw) * noWait + pw * waitPlusService;
}

/** The q-quantile (e.g. 0.99) of the M/M/c response time; Infinity when unstable. */
export function mmcResponseQuantile(c: number, lambda: number, mu: number, q: number): number {
  if (lambda / mu >= c) return Number.POSITIVE_INFINITY;
  return invertTail((t) => mmcResponseTail(c, lambda, mu, t), 1 - q, 1 / mu);
}

/** Blocking probability of M/M/c with `queue` waiting places (M/M/c/K, K = c + queue), offered load a = λ/μ. */
export function mmcBlocking(c: number, queue: number, a: number): number {
  // Unnormalised p_n relative to p_0, in log space so large c and K stay finite.
  const logs: number[] = [0];
  let l = 0;
  for (let n = 1; n <= c + queue; n++) {
    l += Math.log(a) - Math.log(Math.min(n, c));
    logs.push(l);
  }
  const top = Math.max(...logs);
  let z = 0;
  for (const x of logs) z += Math.exp(x - top);
  return Math.exp(logs[logs.length - 1]! - top) / z;
}

/** P(S > t) for a service distribution (work in ms at speed 1). */
export function serviceTail(s: ServiceSpec, t: number): number {
  switch (s.distribution) {
    case 'constant':
      return t < s.mean ? 1 : 0;
    case 'exponential':
      return Math.exp(-t / s.mean);
    case 'lognormal': {
      const sigma2 = Math.log(1 + s.cv * s.cv);
      const mu = Math.log(s.mean) - sigma2 / 2;
      return t <= 0 ? 1 : 0.5 * erfc((Math.log(t) - mu) / Math.sqrt(2 * sigma2));
    }
    case 'pareto': {
      const xm = (s.mean * (s.shape - 1)) / s.shape;
      return t < xm ? 1 : Math.pow(xm / t, s.shape);
    }
  }
}

/** The q-quantile of the service distribution (ms at speed 1). */
export function serviceQuantile(s: ServiceSpec, q: number): number {
  if (s.distribution === 'constant') return s.mean;
  return invertTail((t) => serviceTail(s, t), 1 - q, s.mean);
}

/** Smallest t with tail(t) <= p, for a non-increasing tail; by doubling then bisection. */
function invertTail(tail: (t: number) => number, p: number, scale: number): number {
  let lo = 0;
  let hi = scale;
  while (tail(hi) > p) {
    lo = hi;
    hi *= 2;
    if (hi > scale * 1e12) return Number.POSITIVE_INFINITY;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-9 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tail(mid) > p) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Complementary error function (Numerical Recipes' erfcc; relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
