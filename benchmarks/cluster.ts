/**
 * Cluster runs (BullMQ on Redis) against the local thread pool, in the same process and
 * run, on loopback (a real redis-server and real `lbsim worker` processes):
 *
 * 1. Overhead per job: 200 tiny tasks (a few hundred requests each) one after another
 *    (latency of a job's round trip) and all at once (jobs/s), through the cluster with
 *    one worker of one thread vs a pool of one thread.
 * 2. A 64-cell sweep (64 independent cells, 0.12 M requests each): runMany on 1 thread (in
 *    process) and on a pool of 2 threads vs a cluster of 1 and of 2 workers (one thread each; the machine has two
 *    cores). Reports are checked identical to the pool's. Median of 3 after a warm-up round.
 *
 * Bars: none from the issue; the figures feed the 10-machine estimate in RESULTS.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
// The compiled build, as the CLI and the workers run it.
import { withExecutor, type TaskExecutor } from '../dist/src/parallel/executor.js';
import { runMany, type RunTask } from '../dist/src/parallel/run-many.js';
import { parseScenario } from '../dist/src/scenario/load.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'lbsim.js');
const REPS = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const children: ChildProcess[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<string> {
  const port = await freePort();
  children.push(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }));
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined);
    const up = await c.connect().then(
      () => true,
      () => false,
    );
    c.disconnect();
    if (up) return url;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('redis-server did not start');
}

/** Starts `count` workers of one thread on `queue` and waits until they serve it. */
async function startWorkers(url: string, queue: string, count: number): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const w = spawn(process.execPath, [BIN, 'worker', '--redis', url, '--cluster-queue', queue, '--threads', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
      children.push(w);
      await new Promise<void>((resolve, reject) => {
        let log = '';
        w.stderr!.on('data', (d: Buffer) => {
          log += d.toString();
          if (log.includes('serving queue')) resolve();
        });
        w.once('exit', (code) => reject(new Error(`worker exited ${code}: ${log}`)));
      });
      w.stderr!.resume();
      return w;
    }),
  );
}

async function stopWorkers(ws: ChildProcess[]): Promise<void> {
  await Promise.all(ws.map((w) => new Promise((r) => (w.once('exit', r), w.kill('SIGTERM')))));
}

async function time(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

const scenario = (name: string, rate: number, duration: string) =>
  parseScenario(`name: ${name}\nduration: ${duration}\ntraffic: { synthetic: { rate: ${rate}/s, service: { distribution: exponential, mean: 1ms } } }\nbalancer: { algorithm: least-connections }\nbackends: [{ name: web, count: 16 }]\nreport: { interval: 1s }\n`, { file: `${name}.yaml` });

const say = (s: string) => process.stdout.write(`${s}\n`);
let failed = false;

try {
  say(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const url = await startRedis();

  // 1. Overhead per job: the same tiny task through one executor, one at a time and all at once.
  const tiny = scenario('tiny', 500, '1s');
  const task = (seed: number) => ({ kind: 'run' as const, scenario: tiny, seed });
  const perJob = async (executor: TaskExecutor) => {
    for (let i = 0; i < 20; i++) await executor.run(task(i), 'warm-up');
    const seq = await time(async () => {
      for (let i = 0; i < 100; i++) await executor.run(task(i), `tiny ${i}`);
    });
    const bursts: number[] = [];
    for (let r = 0; r < REPS; r++) bursts.push(await time(() => Promise.all(Array.from({ length: 200 }, (_, i) => executor.run(task(i), `tiny ${i}`)))));
    const burst = median(bursts);
    return { seq: seq / 100, burst: burst / 200 };
  };
  const one = await startWorkers(url, 'bench-tiny', 1);
  const viaCluster = await withExecutor({ threads: 1, cluster: { redis: url, queue: 'bench-tiny' } }, perJob);
  const viaPool = await withExecutor({ threads: 1 }, perJob);
  await stopWorkers(one);
  say(`tiny task (500 requests), one at a time: cluster ${viaCluster.seq.toFixed(2)} ms per job, pool of 1 thread ${viaPool.seq.toFixed(2)} ms per task → ${(viaCluster.seq - viaPool.seq).toFixed(2)} ms of queue overhead per job`);
  say(`200 tiny tasks at once on 1 thread: cluster ${viaCluster.burst.toFixed(2)} ms per job (${(1000 / viaCluster.burst).toFixed(0)} jobs/s), pool ${viaPool.burst.toFixed(2)} ms per task (${(1000 / viaPool.burst).toFixed(0)}/s)`);

  // 2. The 64-cell sweep.
  const cell = scenario('cell', 6000, '20s');
  const cells: RunTask[] = Array.from({ length: 64 }, (_, i) => ({ scenario: cell, seed: 100 + i }));
  const reference = JSON.stringify(await runMany(cells.slice(0, 8), { threads: 2 }));
  const results: Record<string, number> = {};
  for (const threads of [1, 2]) {
    const ts: number[] = [];
    for (let r = 0; r < REPS; r++) ts.push(await time(() => runMany(cells, { threads })));
    results[threads === 1 ? 'in process (runMany on 1 thread)' : 'pool 2'] = median(ts);
  }
  for (const count of [1, 2]) {
    const queue = `bench-sweep-${count}`;
    const ws = await startWorkers(url, queue, count);
    const cluster = { redis: url, queue };
    const same = JSON.stringify(await runMany(cells.slice(0, 8), { cluster })) === reference; // also the warm-up round
    if (!same) failed = true;
    const ts: number[] = [];
    for (let r = 0; r < REPS; r++) ts.push(await time(() => runMany(cells, { cluster })));
    results[`cluster ${count}`] = median(ts);
    await stopWorkers(ws);
    say(`  cluster of ${count} worker(s): reports ${same ? 'identical to the pool’s' : 'DIFFERENT'}`);
  }
  const requests = 64 * 6000 * 20;
  for (const [k, ms] of Object.entries(results)) say(`64-cell sweep (${(requests / 1e6).toFixed(1)} M requests), ${k}: ${(ms / 1000).toFixed(2)} s, ${((64 / ms) * 1000).toFixed(1)} cells/s, ${(requests / ms / 1000).toFixed(2)} M requests/s`);
  say(`ratios: cluster 2 / cluster 1 = ${(results['cluster 1']! / results['cluster 2']!).toFixed(2)}×; cluster 2 vs pool 2 = ${(results['pool 2']! / results['cluster 2']!).toFixed(2)}× (1 = as fast); pool 2 / in process = ${(results['in process (runMany on 1 thread)']! / results['pool 2']!).toFixed(2)}×`);
  say(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  for (const c of children) c.kill('SIGKILL');
}
process.exitCode = failed ? 1 : 0;
