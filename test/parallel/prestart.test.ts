/**
 * Worker threads started from the command line before the CLI's modules load
 * (src/parallel/prestart.ts): which command lines start them, that a pool takes them
 * only when they are what it would start itself, and that it then runs on them rather
 * than on threads of its own. (The binary's own runs with them,
 * their failures included, are in test/e2e/bundle.test.ts.)
 */
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulationPool } from '../../src/parallel/pool.ts';
import { discardPrestarted, prestart, takePrestarted, workersAskedFor } from '../../src/parallel/prestart.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { maxThreads } from '../../src/parallel/thread-limit.ts';

const argv = (...args: string[]) => ['node', 'lbsim', ...args];
const synthetic = parseScenario('name: tiny\nduration: 2s\ntraffic: { synthetic: { rate: 100/s, service: { distribution: exponential, mean: 1ms } } }\nbalancer: { algorithm: round-robin }\nbackends: [{ name: a, count: 2 }]\n', { file: 'tiny.yaml' });

describe('threads started before the CLI loads', () => {
  afterEach(() => discardPrestarted());

  it('are asked for by `lbsim run … --threads N` (N ≥ 2, not on a cluster), one fewer than N', () => {
    expect(workersAskedFor(argv('run', 's.yaml', '--threads', '2'))).toBe(1);
    expect(workersAskedFor(argv('run', '--threads', '4', 's.yaml'))).toBe(3);
    expect(workersAskedFor(argv('run', 's.yaml', '--threads=3'))).toBe(2);
    expect(workersAskedFor(argv('run', 's.yaml', '--threads', '1'))).toBe(0);
    expect(workersAskedFor(argv('run', 's.yaml'))).toBe(0);
    expect(workersAskedFor(argv('run', 's.yaml', '--threads', 'x'))).toBe(0);
    expect(workersAskedFor(argv('run', 's.yaml', '--threads', '2', '--redis', 'redis://r'))).toBe(0);
    expect(workersAskedFor(argv('run', 's.yaml', '--redis=redis://r', '--threads', '2'))).toBe(0);
    expect(workersAskedFor(argv('compare', 's.yaml', '--threads', '2'))).toBe(0);
    expect(workersAskedFor(argv('validate', 's.yaml', '--threads', '2'))).toBe(0);
    expect(workersAskedFor(argv())).toBe(0);
  });

  it('are not started for more threads than `--threads` allows (commander refuses it; 9999 of them exhausted memory first)', () => {
    const max = maxThreads();
    expect(workersAskedFor(argv('run', 's.yaml', '--threads', String(max)))).toBe(max - 1);
    expect(workersAskedFor(argv('run', 's.yaml', '--threads', String(max + 1)))).toBe(0);
    expect(workersAskedFor(argv('run', 's.yaml', '--threads=9999'))).toBe(0);
  });

  it('a pool that would start as many, pinged, takes them, once', async () => {
    await prestart(argv('run', 's.yaml', '--threads', '2'));
    expect(takePrestarted(2, true)).toBeUndefined(); // not what it would start: left, and stopped
    expect(takePrestarted(1, true)).toBeUndefined(); // so no longer there
    await discardPrestarted();

    await prestart(argv('run', 's.yaml', '--threads', '2'));
    const w = takePrestarted(1, true);
    expect(w?.count).toBe(1);
    expect(takePrestarted(1, true)).toBeUndefined();
    await discardPrestarted(); // taken: the pool's to stop, not this
    // Up and answering: the ping prestart sent comes back.
    await expect.poll(() => w!.up, { timeout: 30_000 }).toBe(1);
    expect(w!.failure).toBeUndefined();
    await w!.stop();
  });

  it("a split run's pool runs on them instead of starting threads of its own", async () => {
    // Node announces every worker thread started in this process (soon after, not at once).
    const started: Worker[] = [];
    const onWorker = (w: Worker) => void started.push(w);
    process.on('worker', onWorker);
    try {
      await prestart(argv('run', 's.yaml', '--threads', '2'));
      await expect.poll(() => started.length).toBe(1);
      const pool = new SimulationPool({ threads: 2, mainThread: true });
      try {
        expect(pool.workerThreads).toBe(1);
        // A task on a worker (a signal sends it there) runs on the thread prestart started: no other was started.
        const counted = await pool.execute({ kind: 'blocks', scenario: synthetic, seed: 1, startMs: 0, endMs: 2000 }, 'a count', undefined, new AbortController().signal);
        expect(counted).toMatchObject({ ok: true, kind: 'blocks' });
        expect(pool.ran.workers).toBe(1);
        expect(started.length).toBe(1);
      } finally {
        await pool.destroy();
      }
      // A pool of another size starts its own, and the prestarted one is stopped.
      await prestart(argv('run', 's.yaml', '--threads', '2'));
      const other = new SimulationPool({ threads: 3, mainThread: true });
      await expect.poll(() => started.length).toBe(4);
      await other.destroy();
    } finally {
      process.off('worker', onWorker);
    }
  });

  it('a command line that asks for none starts none', async () => {
    await prestart(argv('run', 's.yaml'));
    expect(takePrestarted(1, true)).toBeUndefined();
  });
});
