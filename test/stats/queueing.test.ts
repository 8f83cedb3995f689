/**
 * lbsim against exact queueing theory. Each model is a real scenario run through the
 * scenario parser, a registry balancer and the engine (test/helpers/queueing-models.ts);
 * the exact values come from test/helpers/queueing.ts.
 *
 * Tolerances. Every run is seeded, so each test is deterministic; the tolerance decides
 * which bugs it can catch, so it is as tight as the sampling noise allows. The noise was
 * measured with `npx tsx test/stats/measure-noise.ts`, which runs these very models under
 * many seeds (2026-11-25: 10 seeds at these lengths, and 20 seeds at a quarter of them,
 * whose spread was half as large again as expected from 1/sqrt(n)). The relative standard
 * deviation of each estimate, taking the larger of the two measurements:
 *
 *   estimate             sd      tolerance (≈ 4 sd)
 *   M/M/1 mean           0.20%   0.8%
 *   M/M/1 p99            0.46%   2.0%
 *   E4/M/1 mean          0.26%   1.0%
 *   E4/M/1 p99           0.53%   2.2%
 *   M/M/1/K blocking     0.23%   1.0%
 *   M/M/1/K mean         0.14%   0.6%
 *   M/M/4 mean           0.23%   1.0%
 *   M/M/4 p99            0.44%   1.8%
 *   M/M/4 mean wait      0.55%   2.2%
 *   M/M/4 P(wait)        0.16%   0.7%
 *   speed 2 + timeout:
 *     timed-out share    0.63%   2.6%   (12 seeds)
 *     mean completed     0.11%   0.5%   (12 seeds)
 *   M/D/1 mean           0.09%   0.4%   (12 seeds)
 *   M/G/1 lognormal mean 0.62%   2.5%   (12 seeds; cv 1.5: long waits behind long jobs)
 *
 * No bias showed beyond the noise (|mean error over seeds| < sd/sqrt(seeds) · 2). At 4 sd a
 * correct engine fails about 1 seed in 15 000, while every tolerance is below the 3% the
 * issue asks for. The p99 figures come from HDR histograms with 3 significant digits
 * (0.1% resolution), included in the measured spread. Runs are long (4–9 M requests) and
 * start with a warm-up, so the bias of starting empty is far below the noise.
 *
 * What a bug looks like here (each checked by planting it, 2026-11-25): random dispatch in
 * place of round-robin makes E4/M/1's mean 53% higher; a waiting line served LIFO instead
 * of FCFS leaves every mean unchanged but moves the p99 of M/M/1, E4/M/1 and M/M/4 by
 * +104% to +150%; letting one more request wait than `queue` allows (`>` for `>=`) moves
 * M/M/1/K blocking by −19%.
 */
import { describe, expect, it } from 'vitest';
import { EKM1, MD1, MG1_LOGNORMAL, MM1, MM1_SPEED_TIMEOUT, MM1K, MMC, MU, runModel } from '../helpers/queueing-models.ts';
import { simulateObject } from '../helpers/simulate.ts';

function expectWithin(observed: number, exact: number, tolerance: number, what: string): void {
  const err = observed / exact - 1;
  expect(Math.abs(err), `${what}: observed ${observed}, exact ${exact.toFixed(6)}, error ${(err * 100).toFixed(3)}% > ${(tolerance * 100).toFixed(1)}%`).toBeLessThan(tolerance);
}

describe('queueing theory', () => {
  it('random dispatch to single-slot exponential backends is M/M/1 per backend (ρ = 0.7)', () => {
    const { report } = runModel(MM1, 1);
    expect(report.requests.total).toBeGreaterThan(8_500_000);
    expectWithin(report.latency.mean, MM1.exact.mean, 0.008, 'mean sojourn');
    expectWithin(report.latency.p99, MM1.exact.p99, 0.02, 'p99 sojourn');
    // Each backend on its own is an M/M/1 queue too. The 8 are independent, so one
    // backend's mean has sqrt(8) times the pooled sd: 0.57%, tolerance 2.4%.
    for (const b of report.backends) expectWithin(b.latency.mean, MM1.exact.mean, 0.024, `mean sojourn at ${b.name}`);
    // Utilization is λ/μ per backend; its noise is about that of the arrival count.
    for (const b of report.backends) expect(Math.abs(b.utilization - MM1.lambda / MU)).toBeLessThan(0.01);
  });

  it('speed 2 doubles the service rate, and a client timeout cuts the M/M/1 sojourn at τ: P(T > τ) timed out, E[T | T ≤ τ] completed', () => {
    const m = MM1_SPEED_TIMEOUT;
    const { report } = runModel(m, 5);
    expect(report.requests.total).toBeGreaterThan(4_400_000);
    expectWithin(report.requests.timedOut / report.requests.total, m.exactTimedOut, 0.026, 'timed-out share');
    expectWithin(report.latency.mean, m.exactMeanCompleted, 0.005, 'mean sojourn of requests completed in time');
    // No completed request took longer than the timeout (up to the histograms' 0.1% resolution).
    expect(report.latency.max).toBeLessThanOrEqual(m.timeoutMs * 1.001);
  });

  it.each([
    ['constant (M/D/1)', MD1, 0.004],
    ['lognormal cv 1.5', MG1_LOGNORMAL, 0.025],
  ] as const)('non-exponential service, %s: the mean sojourn is Pollaczek–Khinchine', (_name, model, tolerance) => {
    const { report } = runModel(model, 6);
    expect(report.requests.total).toBeGreaterThan(4_400_000);
    expectWithin(report.latency.mean, model.exactMean, tolerance, 'mean sojourn');
  });

  it('round-robin from Poisson arrivals is E4/M/1 per backend (ρ = 0.8): sojourn exponential at rate μ(1−σ)', () => {
    const { report } = runModel(EKM1, 2);
    expect(report.requests.total).toBeGreaterThan(6_000_000);
    expectWithin(report.latency.mean, EKM1.exact.mean, 0.01, 'mean sojourn');
    expectWithin(report.latency.p99, EKM1.exact.p99, 0.022, 'p99 sojourn');
    // Round-robin shares are exact: counts differ by at most one.
    const counts = report.backends.map((b) => b.requests);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });

  it('a finite queue is M/M/1/K with K = queue + 1 (ρ = 0.9, queue 4): blocking probability and mean sojourn', () => {
    const { report } = runModel(MM1K, 3);
    const blocking = report.requests.rejected / report.requests.total;
    expectWithin(blocking, MM1K.exactBlocking, 0.01, 'blocking probability');
    expectWithin(report.latency.mean, MM1K.exactMeanSojourn, 0.006, 'mean sojourn of accepted requests');
    for (const b of report.backends) expect(b.maxQueue).toBe(MM1K.queue);
  });

  it('a backend with concurrency 4 fed by random dispatch is M/M/4 (ρ = 0.8): Erlang C, mean wait, sojourn mean and p99', () => {
    const { report, pWait } = runModel(MMC, 4);
    expectWithin(pWait, MMC.exact.pWait, 0.007, 'probability of waiting (Erlang C)');
    expectWithin(report.latency.mean, MMC.exact.mean, 0.01, 'mean sojourn');
    // Mean wait = mean sojourn − mean service (1/μ); the service-mean noise is in the measured spread.
    expectWithin(report.latency.mean - 1 / MU, MMC.exact.meanWait, 0.022, 'mean wait');
    expectWithin(report.latency.p99, MMC.exact.p99, 0.018, 'p99 sojourn');
  });

  it.each([
    [[5, 1, 1]],
    [[3, 2]],
  ])('weighted-round-robin shares are exact for weights %j: each backend within one request of n·w/W', (weights) => {
    const report = simulateObject({
      duration: '60s',
      traffic: { synthetic: { rate: 1000, service: { distribution: 'exponential', mean: 0.1 } } },
      balancer: { algorithm: 'weighted-round-robin' },
      backends: weights.map((weight, i) => ({ name: `b${i}`, weight })),
    });
    const n = report.requests.total;
    const W = weights.reduce((a, b) => a + b, 0);
    expect(n).toBeGreaterThan(50_000);
    report.backends.forEach((b, i) => expect(Math.abs(b.requests - (n * weights[i]!) / W)).toBeLessThan(1));
  });
});
