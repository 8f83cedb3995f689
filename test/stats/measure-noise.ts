/**
 * Measures the sampling noise of the statistical tests' estimates: runs every model of
 * test/helpers/queueing-models.ts under SEEDS seeds and prints, per quantity, the mean
 * and standard deviation of the relative error against the exact value. The tolerances
 * in queueing.test.ts are derived from these standard deviations (see the comments
 * there). Not part of the suite (takes minutes):
 *
 *   npx tsx test/stats/measure-noise.ts [seeds=12] [model, e.g. M/M/c]
 */
import { EKM1, MD1, MG1_LOGNORMAL, MM1, MM1_SPEED_TIMEOUT, MM1K, MMC, MU, runModel } from '../helpers/queueing-models.ts';

const SEEDS = Number(process.argv[2] ?? 12);
/** Only the models whose names contain this (all when absent). */
const ONLY = process.argv[3];

function stats(xs: number[]): string {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
  const maxAbs = Math.max(...xs.map(Math.abs));
  return `bias ${(m * 100).toFixed(3)}%  sd ${(sd * 100).toFixed(3)}%  max |err| ${(maxAbs * 100).toFixed(3)}%`;
}

const rel = (x: number, exact: number) => x / exact - 1;
const rows: Record<string, number[]> = {};
const add = (k: string, v: number) => (rows[k] ??= []).push(v);

/** Each model and the estimates taken from one of its runs. */
const MODELS: [string, (seed: number) => void][] = [
  ['M/M/1', (seed) => {
    const o = runModel(MM1, seed);
    add('M/M/1 mean', rel(o.report.latency.mean, MM1.exact.mean));
    add('M/M/1 p99', rel(o.report.latency.p99, MM1.exact.p99));
  }],
  ['E4/M/1', (seed) => {
    const o = runModel(EKM1, seed);
    add('E4/M/1 mean', rel(o.report.latency.mean, EKM1.exact.mean));
    add('E4/M/1 p99', rel(o.report.latency.p99, EKM1.exact.p99));
  }],
  ['M/M/1/K', (seed) => {
    const o = runModel(MM1K, seed);
    add('M/M/1/K blocking', rel(o.report.requests.rejected / o.report.requests.total, MM1K.exactBlocking));
    add('M/M/1/K mean', rel(o.report.latency.mean, MM1K.exactMeanSojourn));
  }],
  ['M/M/c', (seed) => {
    const o = runModel(MMC, seed);
    add('M/M/c mean', rel(o.report.latency.mean, MMC.exact.mean));
    add('M/M/c p99', rel(o.report.latency.p99, MMC.exact.p99));
    add('M/M/c mean wait', rel(o.report.latency.mean - 1 / MU, MMC.exact.meanWait));
    add('M/M/c P(wait)', rel(o.pWait, MMC.exact.pWait));
  }],
  ['speed+timeout', (seed) => {
    const o = runModel(MM1_SPEED_TIMEOUT, seed);
    add('speed+timeout: timed out', rel(o.report.requests.timedOut / o.report.requests.total, MM1_SPEED_TIMEOUT.exactTimedOut));
    add('speed+timeout: mean', rel(o.report.latency.mean, MM1_SPEED_TIMEOUT.exactMeanCompleted));
  }],
  ...[MD1, MG1_LOGNORMAL].map((m): [string, (seed: number) => void] => [
    m.name,
    (seed) => add(`${m.name} mean`, rel(runModel(m, seed).report.latency.mean, m.exactMean)),
  ]),
];

for (let seed = 1; seed <= SEEDS; seed++) {
  const t0 = performance.now();
  for (const [name, measure] of MODELS) if (ONLY === undefined || name.includes(ONLY)) measure(seed);
  process.stderr.write(`seed ${seed} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
for (const [k, xs] of Object.entries(rows)) console.log(`${k.padEnd(26)} ${stats(xs)}`);
