/**
 * Exact results of queueing theory that the statistical tests compare lbsim against.
 * Rates are per millisecond (lbsim's time unit), times in milliseconds. Each function
 * states the model and where the formula comes from (Kleinrock, Queueing Systems vol. 1;
 * Gross & Harris, Fundamentals of Queueing Theory).
 */

/** Smallest t with tail(t) <= q, by bisection; tail must be decreasing from 1 at t = 0. */
export function quantileOfTail(tail: (t: number) => number, q: number): number {
  let hi = 1;
  while (tail(hi) > q) hi *= 2;
  let lo = 0;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tail(mid) > q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface SojournResult {
  /** Mean time in system (wait + service), ms. */
  mean: number;
  /** 99th percentile of the time in system, ms. */
  p99: number;
}

/**
 * M/M/1 (Poisson arrivals at λ, exponential service at μ, one server, FCFS): the sojourn
 * time is exponential with rate μ − λ, so mean 1/(μ−λ) and p99 = ln(100)/(μ−λ).
 */
export function mm1(lambda: number, mu: number): SojournResult {
  if (lambda >= mu) throw new Error(`M/M/1 unstable: λ=${lambda} >= μ=${mu}`);
  const r = mu - lambda;
  return { mean: 1 / r, p99: Math.log(100) / r };
}

/**
 * GI/M/1 root: σ in (0, 1) with σ = A*(μ(1−σ)), where A* is the Laplace–Stieltjes
 * transform of the interarrival time. For ρ < 1 the iteration σ ← A*(μ(1−σ)) from 0 rises
 * monotonically to the root (A* is increasing in σ and convex), so it converges.
 */
export function gim1Sigma(laplace: (s: number) => number, mu: number): number {
  let sigma = 0;
  for (let i = 0; i < 1_000_000; i++) {
    const next = laplace(mu * (1 - sigma));
    if (Math.abs(next - sigma) < 1e-15) return next;
    sigma = next;
  }
  throw new Error('GI/M/1 root did not converge');
}

/**
 * E_k/M/1: interarrival times Erlang-k (the sum of k exponential gaps of rate `stageRate`,
 * as a backend sees when round-robin deals every k-th request of a Poisson stream at
 * `stageRate` to it), exponential service at μ. GI/M/1 theory: the sojourn time is
 * exponential with rate μ(1−σ), σ the root of σ = (stageRate / (stageRate + μ(1−σ)))^k.
 */
export function ekm1(k: number, stageRate: number, mu: number): SojournResult & { sigma: number } {
  if (stageRate / k >= mu) throw new Error('E_k/M/1 unstable');
  const sigma = gim1Sigma((s) => (stageRate / (stageRate + s)) ** k, mu);
  const r = mu * (1 - sigma);
  return { sigma, mean: 1 / r, p99: Math.log(100) / r };
}

/**
 * M/M/1/K with K places in the system (one in service, K−1 waiting), ρ = λ/μ: the
 * probability that an arrival finds the system full (and is rejected) is
 * (1−ρ)ρ^K / (1−ρ^(K+1)), or 1/(K+1) when ρ = 1 (PASTA: arrivals see time averages).
 */
export function mm1kBlocking(lambda: number, mu: number, K: number): number {
  const rho = lambda / mu;
  if (Math.abs(rho - 1) < 1e-12) return 1 / (K + 1);
  return ((1 - rho) * rho ** K) / (1 - rho ** (K + 1));
}

/** Erlang C: probability that an arrival to an M/M/c queue with offered load a = λ/μ (< c) waits. */
export function erlangC(c: number, a: number): number {
  if (a >= c) throw new Error('M/M/c unstable');
  // Erlang B by its stable recurrence, then C = B / (1 − (a/c)(1 − B)).
  let b = 1;
  for (let n = 1; n <= c; n++) b = (a * b) / (n + a * b);
  return b / (1 - (a / c) * (1 - b));
}

export interface MmcResult extends SojournResult {
  /** Probability of waiting (Erlang C). */
  pWait: number;
  /** Mean wait in the queue, ms. */
  meanWait: number;
}

/**
 * M/M/c, FCFS. With C = Erlang C and θ = cμ − λ: the wait is 0 with probability 1 − C,
 * else exponential with rate θ; the sojourn adds an independent Exp(μ) service. So
 *   E[W] = C/θ, E[T] = C/θ + 1/μ,
 *   P(T > t) = (1−C) e^{−μt} + C · P(Exp(θ) + Exp(μ) > t),
 *   P(Exp(θ) + Exp(μ) > t) = (θ e^{−μt} − μ e^{−θt}) / (θ − μ)   (θ ≠ μ), (1 + μt) e^{−μt} (θ = μ),
 * and p99 solves P(T > t) = 0.01 (bisection).
 */
export function mmc(lambda: number, mu: number, c: number): MmcResult {
  const C = erlangC(c, lambda / mu);
  const theta = c * mu - lambda;
  const hypo = (t: number) =>
    Math.abs(theta - mu) < 1e-12 * mu ? (1 + mu * t) * Math.exp(-mu * t) : (theta * Math.exp(-mu * t) - mu * Math.exp(-theta * t)) / (theta - mu);
  const tail = (t: number) => (1 - C) * Math.exp(-mu * t) + C * hypo(t);
  return { pWait: C, meanWait: C / theta, mean: C / theta + 1 / mu, p99: quantileOfTail(tail, 0.01) };
}
