/**
 * The queueing models the statistical tests run, as scenario objects plus their exact
 * results. Shared by test/stats/queueing.test.ts and test/stats/measure-noise.ts (which
 * runs each model under many seeds to measure the sampling noise that the tests'
 * tolerances are derived from), so both always run the same thing.
 *
 * Service times are exponential with mean 1 ms, so μ = 1 per ms throughout.
 */
import { ekm1, mm1, mm1kBlocking, mmc } from './queueing.ts';

export const MU = 1; // per ms

export interface Model {
  name: string;
  scenario: Record<string, unknown>;
}

const exponential = { distribution: 'exponential', mean: 1 };

/** Random dispatch over 8 single-slot backends at ρ = 0.7 each: 8 independent M/M/1 queues. */
export const MM1 = {
  lambda: 0.7, // per backend, per ms
  backends: 8,
  durationS: 1600, // 8.96 M requests
  get exact() {
    return mm1(this.lambda, MU);
  },
  get scenario() {
    return {
      name: 'mm1',
      seed: 1,
      duration: `${this.durationS}s`,
      warmup: '5s',
      traffic: { synthetic: { rate: this.lambda * this.backends * 1000, service: exponential } },
      balancer: { algorithm: 'random' },
      backends: [{ name: 'b', count: this.backends }],
    };
  },
};

/**
 * Random dispatch over 4 single-slot backends of `speed: 2` (service rate 2 per ms) at
 * ρ = 0.7, with a client timeout τ = ln(10)/(μ−λ): M/M/1 with μ = 2, whose sojourn is
 * exponential at rate r = μ − λ, so 10% of requests time out (P(T > τ) = e^{−rτ}) and the
 * ones that complete in time have mean E[T | T ≤ τ] = 1/r − τe^{−rτ}/(1 − e^{−rτ}).
 */
export const MM1_SPEED_TIMEOUT = {
  lambda: 1.4, // per backend, per ms
  speed: 2,
  backends: 4,
  durationS: 800, // 4.48 M requests
  get r() {
    return this.speed * MU - this.lambda;
  },
  get timeoutMs() {
    return Math.round((Math.log(10) / this.r) * 1e6) / 1e6;
  },
  get exactTimedOut() {
    return Math.exp(-this.r * this.timeoutMs);
  },
  get exactMeanCompleted() {
    const tail = this.exactTimedOut;
    return 1 / this.r - (this.timeoutMs * tail) / (1 - tail);
  },
  get scenario() {
    return {
      name: 'mm1-speed-timeout',
      seed: 1,
      duration: `${this.durationS}s`,
      warmup: '5s',
      timeout: this.timeoutMs,
      traffic: { synthetic: { rate: this.lambda * this.backends * 1000, service: exponential } },
      balancer: { algorithm: 'random' },
      backends: [{ name: 'fast', count: this.backends, speed: this.speed }],
    };
  },
};

/**
 * M/G/1: random dispatch over 8 single-slot backends at ρ = 0.7 with non-exponential
 * service of mean 1 ms. Pollaczek–Khinchine gives the mean sojourn exactly for any service
 * distribution: E[T] = E[S] + λE[S²] / (2(1 − ρ)), with E[S²] = E[S]²(1 + cv²). Checks the
 * service samplers end to end: constant (M/D/1, cv 0) and lognormal with cv 1.5.
 */
export function mg1(service: { distribution: 'constant' } | { distribution: 'lognormal'; cv: number }) {
  const lambda = 0.7;
  const backends = 8;
  const cv = service.distribution === 'constant' ? 0 : service.cv;
  return {
    name: `M/G/1 ${service.distribution}`,
    lambda,
    durationS: 800, // 4.48 M requests
    exactMean: 1 / MU + (lambda * (1 / MU) ** 2 * (1 + cv * cv)) / (2 * (1 - lambda / MU)),
    scenario: {
      name: `mg1-${service.distribution}`,
      seed: 1,
      duration: '800s',
      warmup: '5s',
      traffic: { synthetic: { rate: lambda * backends * 1000, service: { ...service, mean: 1 / MU } } },
      balancer: { algorithm: 'random' },
      backends: [{ name: 'b', count: backends }],
    },
  };
}
export const MD1 = mg1({ distribution: 'constant' });
export const MG1_LOGNORMAL = mg1({ distribution: 'lognormal', cv: 1.5 });

/**
 * Round-robin over 4 single-slot backends from one Poisson stream: each backend receives
 * every 4th arrival, so its interarrival times are Erlang-4 — an E4/M/1 queue at ρ = 0.8.
 */
export const EKM1 = {
  k: 4,
  rho: 0.8,
  durationS: 2000, // 6.4 M requests
  get stageRate() {
    return this.rho * MU * this.k; // total arrival rate, per ms
  },
  get exact() {
    return ekm1(this.k, this.stageRate, MU);
  },
  get scenario() {
    return {
      name: 'ekm1',
      seed: 1,
      duration: `${this.durationS}s`,
      warmup: '5s',
      traffic: { synthetic: { rate: this.stageRate * 1000, service: exponential } },
      balancer: { algorithm: 'round-robin' },
      backends: [{ name: 'b', count: this.k }],
    };
  },
};

/**
 * Random dispatch over 4 single-slot backends with `queue: 4` at ρ = 0.9: M/M/1/K with
 * K = 5 (lbsim's `queue` counts waiting requests; one more is in service).
 */
export const MM1K = {
  lambda: 0.9,
  queue: 4,
  backends: 4,
  durationS: 1200, // 4.32 M requests
  get K() {
    return this.queue + 1;
  },
  get exactBlocking() {
    return mm1kBlocking(this.lambda, MU, this.K);
  },
  /** Mean sojourn of accepted requests: L / (λ(1 − P_K)), L = ρ/(1−ρ) − (K+1)ρ^(K+1)/(1−ρ^(K+1)) (Little). */
  get exactMeanSojourn() {
    const rho = this.lambda / MU;
    const K = this.K;
    const L = rho / (1 - rho) - ((K + 1) * rho ** (K + 1)) / (1 - rho ** (K + 1));
    return L / (this.lambda * (1 - this.exactBlocking));
  },
  get scenario() {
    return {
      name: 'mm1k',
      seed: 1,
      duration: `${this.durationS}s`,
      warmup: '2s',
      traffic: { synthetic: { rate: this.lambda * this.backends * 1000, service: exponential } },
      balancer: { algorithm: 'random' },
      backends: [{ name: 'b', count: this.backends, queue: this.queue }],
    };
  },
};

/** Random dispatch over 4 backends with `concurrency: 4` at ρ = 0.8 per slot: 4 independent M/M/4 queues. */
export const MMC = {
  c: 4,
  rho: 0.8,
  backends: 4,
  durationS: 480, // 6.14 M requests
  get lambda() {
    return this.rho * this.c * MU; // per backend, per ms
  },
  get exact() {
    return mmc(this.lambda, MU, this.c);
  },
  get scenario() {
    return {
      name: 'mmc',
      seed: 1,
      duration: `${this.durationS}s`,
      warmup: '2s',
      traffic: { synthetic: { rate: this.lambda * this.backends * 1000, service: exponential } },
      balancer: { algorithm: 'random' },
      backends: [{ name: 'b', count: this.backends, concurrency: this.c }],
    };
  },
};

import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import type { BalancerModule } from '../../src/balancers/types.ts';
import type { Report } from '../../src/report/types.ts';
import { simulateSync } from '../../src/simulate.ts';
import { scenarioOf } from './simulate.ts';

/**
 * Wraps a registry balancer to measure what arriving requests see: the share of
 * (post-warm-up) arrivals whose chosen backend had every slot busy, i.e. that had to
 * wait. By PASTA that is the M/M/c probability of waiting (Erlang C).
 */
export function probeWaiting(inner: BalancerModule, warmupMs: number): { module: BalancerModule; seen: { arrivals: number; waited: number } } {
  const seen = { arrivals: 0, waited: 0 };
  const module: BalancerModule = {
    name: inner.name,
    description: inner.description,
    create(ctx) {
      const b = inner.create(ctx);
      return {
        ...b,
        pick(request, client, route) {
          const chosen = b.pick(request, client, route);
          if (ctx.now() >= warmupMs && chosen >= 0) {
            seen.arrivals++;
            if (ctx.backends.inFlight[chosen]! >= ctx.backends.concurrency[chosen]!) seen.waited++;
          }
          return chosen;
        },
      };
    },
  };
  return { module, seen };
}

export interface Observed {
  report: Report;
  /** Share of arrivals that waited (measured by probeWaiting). */
  pWait: number;
}

/** Runs a model's scenario with `seed`, through the registry balancer it names, probing waits. */
export function runModel(model: { scenario: Record<string, unknown> }, seed: number): Observed {
  const scenario = scenarioOf(model.scenario);
  const inner = BUILTIN_BALANCERS.get(scenario.balancer.algorithm)!;
  const { module, seen } = probeWaiting(inner, scenario.warmupMs);
  const report = simulateSync(scenario, module, seed);
  return { report, pWait: seen.waited / seen.arrivals };
}
