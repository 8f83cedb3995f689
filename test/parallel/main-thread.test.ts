/**
 * The main thread as one of the pool's threads (PoolOptions.mainThread): it takes a task
 * whenever it has none, runs it in slices that let the event loop turn, gives the same
 * results as a worker thread, and stops at the next slice when the pool is destroyed.
 */
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/report/build.ts';
import { SimulationPool } from '../../src/parallel/pool.ts';
import { runTimeSplit } from '../../src/parallel/time-split.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { isLbsimError } from '../../src/errors.ts';

const scenario = parseScenario(
  `
name: main-thread
seed: 4
duration: 60s
traffic: { synthetic: { rate: 3000/s, service: { distribution: exponential, mean: 4ms } } }
balancer: { algorithm: least-connections }
backends: [{ name: web, count: 16 }]
`,
  { file: 'main-thread.yaml' },
);

async function splitReport(pool: SimulationPool, windows: number): Promise<string> {
  const r = await runTimeSplit(pool, scenario, scenario.seed, { windows });
  const json = JSON.stringify(buildReport({ scenario, seed: scenario.seed, algorithm: r.algorithm, metrics: r.metrics }));
  r.metrics.totals.destroy();
  return json;
}

describe('the main thread in the pool', () => {
  it('takes a window while the worker takes the other; the split report is the workers-only one, byte for byte', async () => {
    const workers = new SimulationPool({ threads: 2 });
    const mixed = new SimulationPool({ threads: 2, mainThread: true });
    try {
      // The event loop keeps turning while the main thread simulates: a timer set now fires long before the run ends.
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const started = performance.now();
      const fromMixed = await splitReport(mixed, 3);
      const ms = performance.now() - started;
      clearInterval(timer);
      expect(fromMixed).toBe(await splitReport(workers, 3));
      expect(ticks).toBeGreaterThan(Math.min(10, ms / 50));
    } finally {
      await Promise.all([workers.destroy(), mixed.destroy()]);
    }
  });

  it('one queue for both: eight tasks go to whichever thread frees first, so the main thread takes several', async () => {
    const pool = new SimulationPool({ threads: 2, mainThread: true });
    try {
      const short = parseScenario(`name: short\nduration: 40s\ntraffic: { synthetic: { rate: 20000/s, service: { distribution: exponential, mean: 0.3ms } } }\nbalancer: { algorithm: round-robin }\nbackends: [{ name: web, count: 8 }]\n`, { file: 'short.yaml' });
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => pool.run({ kind: 'run', scenario: short, seed: i + 1 }, `run ${i + 1}`)));
      expect(results.map((r) => r.kind)).toEqual(Array(8).fill('run'));
      expect(pool.ran.here + pool.ran.workers).toBe(8);
      // Tasks queued in piscina would leave the main thread one task; sharing the queue, it
      // takes about half, more while the worker boots (how many depends on the machine's load).
      expect(pool.ran.here).toBeGreaterThanOrEqual(3);
      expect(pool.ran.workers).toBeGreaterThanOrEqual(1);
    } finally {
      await pool.destroy();
    }
  });

  it('a task on the main thread stops at its next slice when the pool is destroyed (CANCELLED)', async () => {
    const pool = new SimulationPool({ threads: 2, mainThread: true });
    const long = parseScenario('name: long\nduration: 1h\ntraffic: { synthetic: { rate: 20000/s, service: { distribution: exponential, mean: 0.3ms } } }\nbalancer: { algorithm: round-robin }\nbackends: [{ name: web, count: 8 }]\n', { file: 'long.yaml' });
    expect([pool.threads, pool.workerThreads]).toEqual([2, 1]);
    // The first task runs here: the event loop turns only between its slices (~200 k events each).
    let last = performance.now();
    let longestGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 1);
    const running = pool.run({ kind: 'run', scenario: long, seed: 1 }, 'run of long');
    setTimeout(() => void pool.destroy(), 300);
    const started = performance.now();
    const outcome = await running.then(
      () => 'finished',
      (e: unknown) => (isLbsimError(e) ? e.code : String(e)),
    );
    clearInterval(timer);
    expect(outcome).toBe('CANCELLED');
    expect(longestGap).toBeGreaterThan(10);
    // An hour at 20 000/s is 72 M requests (~20 s); cancelled within a slice or two of the destroy.
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});
