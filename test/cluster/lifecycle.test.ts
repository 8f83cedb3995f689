/**
 * The life of cluster processes, through the real binary on a real Redis: a worker given
 * SIGTERM in the middle of a job hands it back at once and exits 0 (the job runs on
 * another worker without counting as a failed attempt, and the report is unchanged); a
 * coordinator that dies leaves nothing running (its liveness key expires, workers drop
 * its queued jobs and stop its running ones).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.ts';
import { startRedis, startWorker, stopAll, uniqueQueue } from '../helpers/cluster.ts';

let dir: string;
let redis: string;

/** A job of about a second of wall time that hardly uses the CPU (the balancer sleeps 5 ms every 100 requests). */
const cell = `name: cell
seed: 5
duration: 10s
traffic: { synthetic: { rate: 2000/s, service: { distribution: lognormal, mean: 2ms, cv: 1.5 } } }
balancer: { algorithm: ${resolve('test/fixtures/balancers/sleepy.js')} }
backends: [{ name: web, count: 6, concurrency: 4, queue: 100 }]
report: { interval: 1s }
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lbsim-cluster-life-'));
  await writeFile(join(dir, 'cell.yaml'), cell);
  await writeFile(join(dir, 'cell-b.yaml'), cell.replace('seed: 5', 'seed: 6'));
  redis = await startRedis();
});

afterAll(async () => {
  await stopAll();
  await rm(dir, { recursive: true, force: true });
});

describe('cluster process lifecycle', () => {
  it('SIGTERM mid-job: the worker hands the job back and exits 0; another worker runs it; same report', async () => {
    const queue = uniqueQueue('sigterm');
    const first = await startWorker(redis, queue);
    const args = ['run', join(dir, 'cell.yaml'), '--format', 'json', '--no-tui'];
    const clusterRun = runCli([...args, '--windows', '1', '--redis', redis, '--cluster-queue', queue], { timeoutMs: 90_000 });
    await first.waitFor(/run of cell: started \(job \S+, attempt 1\)/);
    const asked = performance.now();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(performance.now() - asked).toBeLessThan(5_000);
    expect(first.log()).toMatch(/handed back \(shutting down\)/);
    const second = await startWorker(redis, queue);
    const [cluster, local] = [await clusterRun, await runCli(args)];
    expect(cluster.code, cluster.stderr).toBe(0);
    expect(cluster.stdout).toBe(local.stdout);
    // A hand-back is not a failure: the job's run on the second worker is still its first attempt.
    expect(second.log()).toMatch(/run of cell: started \(job \S+, attempt 1\)/);
    expect(second.log()).not.toMatch(/attempt [23]/);
  });

  it('a coordinator that dies leaves no job running or waiting (its jobs expire)', async () => {
    const queue = uniqueQueue('orphans');
    const workers = await Promise.all([startWorker(redis, queue), startWorker(redis, queue)]);
    // 40 jobs of about a second: far more than two workers finish before the coordinator's liveness key expires.
    const coordinator = spawn(process.execPath, [BIN, 'compare', join(dir, 'cell.yaml'), join(dir, 'cell-b.yaml'), '--replications', '20', '--redis', redis, '--cluster-queue', queue], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const q = new Queue(queue, { connection: { url: redis } });
    try {
      // Killed once it has enqueued its jobs and the workers are on them.
      await workers[0]!.waitFor(/started/);
      for (let enqueued = 0; enqueued < 40; ) {
        const c = await q.getJobCounts('waiting', 'active');
        // Finished jobs leave the queue: count them from the workers' logs.
        enqueued = c.waiting! + c.active! + workers.map((w) => w.log().match(/: done in/g)?.length ?? 0).reduce((a, b) => a + b);
        await new Promise((r) => setTimeout(r, 50));
      }
      coordinator.kill('SIGKILL');
      const deadline = Date.now() + 30_000;
      let counts: Record<string, number> = {};
      do {
        await new Promise((r) => setTimeout(r, 500));
        counts = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused');
      } while (Object.values(counts).some((n) => n > 0) && Date.now() < deadline);
      expect(counts).toEqual({ waiting: 0, active: 0, delayed: 0, prioritized: 0, paused: 0 });
      const logs = workers.map((w) => w.log()).join('');
      expect(logs).toMatch(/dropped \(job \S+\): the coordinator of run \w+ is gone/);
      const done = (logs.match(/: done in/g) ?? []).length;
      expect(done).toBeLessThan(30);
    } finally {
      await q.close();
    }
  });
});
