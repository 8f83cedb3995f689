/**
 * Worker threads on piscina: its pool, which of its threads are up, and why they failed
 * if they did. A SimulationPool's (src/parallel/pool.ts), apart from it so that they can
 * be started before the pool exists — before the CLI's modules have loaded
 * (src/parallel/prestart.ts) — and handed to it when it does; a parallel import's too
 * (src/traffic/readers/parallel-import.ts).
 */
import { Piscina } from 'piscina';
import { LbsimError } from '../errors.ts';
import { workerScript } from './worker-script.ts';

export class WorkerThreads {
  readonly piscina: Piscina;
  /** Threads that have answered a ping, so are up (piscina counts a starting thread as ready). */
  up = 0;
  /** Why a thread failed outside any task, its ping included, if one did. */
  failure: LbsimError | undefined;
  /** piscina's shutdown, once begun (stop() or a failure). */
  private down: Promise<void> | undefined;

  /**
   * Starts `count` threads. `pinged`: each is sent a ping (one per idle thread, as piscina
   * hands tasks to idle threads first), so `up` tells when they have loaded their modules;
   * the pool needs that when the main thread works too and the threads' windows are cut
   * once they are up (dynamic-windows.ts). `script`: the worker (workers/<script>.ts);
   * `idleTimeoutMs`: how long an idle thread is kept.
   */
  constructor(
    readonly count: number,
    readonly pinged: boolean,
    script: 'sim-worker' | 'import-worker' = 'sim-worker',
    idleTimeoutMs = 60_000,
  ) {
    this.piscina = new Piscina({
      ...workerScript(script),
      minThreads: count,
      maxThreads: count,
      // One task per thread at a time: tasks are long and CPU-bound.
      concurrentTasksPerWorker: 1,
      idleTimeout: idleTimeoutMs,
    });
    // A thread that cannot start (or breaks outside a task) is emitted on the pool, where
    // unheard it would end the process with a stack trace.
    this.piscina.on('error', (e: unknown) => this.fail(e));
    if (pinged) {
      for (let i = 0; i < count; i++) {
        this.piscina.run({ ping: true }).then(
          () => void this.up++,
          (e: unknown) => this.fail(e),
        );
      }
    }
  }

  /**
   * A thread could not start (piscina's 'error', or its ping failed), or broke outside a
   * task: piscina would start another in its place, and another, while the tasks waiting
   * for one waited for ever. So the threads stop, and every task fails with `failure`
   * (WORKER_FAILED, exit 70).
   */
  private fail(e: unknown): void {
    if (this.down !== undefined) return;
    const cause = e instanceof Error ? e : new Error(String(e));
    this.failure = new LbsimError('WORKER_FAILED', `a worker thread failed: ${cause.message}`, { cause, exitCode: 70 });
    this.down = this.piscina.destroy();
  }

  /**
   * piscina's run(), refused once the threads have failed or stopped: piscina, once shut
   * down, neither runs nor rejects a task given to it (it starts a thread for it, which
   * fails again). Threads started before the run (prestart.ts) can fail before the run
   * gives them anything.
   */
  run(task: unknown, options?: Parameters<Piscina['run']>[1]): Promise<unknown> {
    if (this.down !== undefined) return Promise.reject(new Error('the worker threads have stopped'));
    return this.piscina.run(task, options);
  }

  /** Stops every thread at once (running tasks reject); again: the same wait. */
  stop(): Promise<void> {
    return (this.down ??= this.piscina.destroy());
  }
}
