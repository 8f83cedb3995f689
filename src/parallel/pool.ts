/**
 * A small facade over piscina: a pool of worker threads that run `Task`s, the local
 * `TaskExecutor`. Every task result is checked: a failed task rejects with an LbsimError
 * naming the task, and the caller destroys the pool (so a fault never leaves threads
 * running or a run hanging). `lbsim worker` runs cluster jobs on one of these too.
 */
import { MessageChannel } from 'node:worker_threads';
import { LbsimError } from '../errors.ts';
import { checkResult, type TaskExecutor, type TaskOk } from './executor.ts';
import { POOL_DEFAULTS, type PoolOptions } from './pool-options.ts';
import { takePrestarted } from './prestart.ts';
import { executeTask, type HereDriver, type Task, type TaskProgress, type TaskResult } from './tasks.ts';
import { WorkerThreads } from './worker-threads.ts';

export class SimulationPool implements TaskExecutor {
  readonly threads: number;
  private readonly workers: WorkerThreads;
  private destroyed = false;
  /** Whether the main thread takes tasks, and whether it is running one now. */
  private readonly inline: boolean;
  private mainBusy = false;
  /** With the main thread in: tasks running on workers, and tasks waiting for any thread. */
  private busyWorkers = 0;
  private readonly waiting: (() => void)[] = [];
  /** Worker threads started: `threads`, or one fewer when the main thread is one of them. */
  readonly workerThreads: number;
  /** Tasks run so far on the main thread and on workers. */
  readonly ran = { here: 0, workers: 0 };
  constructor(options: PoolOptions = {}) {
    this.threads = Math.max(1, options.threads ?? POOL_DEFAULTS.threads);
    this.inline = (options.mainThread ?? POOL_DEFAULTS.mainThread) && this.threads >= 2;
    this.workerThreads = this.threads - (this.inline ? 1 : 0);
    // Threads started for this run before the CLI's modules loaded (prestart.ts), or now.
    // With the main thread in, each is pinged: the windows are cut once they are up.
    this.workers = takePrestarted(this.workerThreads, this.inline) ?? new WorkerThreads(this.workerThreads, this.inline);
  }

  async run<T extends Task>(task: T, label: string, onProgress?: (p: TaskProgress) => void): Promise<TaskOk<T>> {
    return checkResult(task, label, await this.execute(task, label, onProgress));
  }

  /**
   * Runs a task on this (the main) thread now, with the driver hooks only this thread can
   * offer (`endAt`). For the first task of a run, when the main thread is one of the threads.
   */
  async runHere<T extends Task>(task: T, label: string, driver: HereDriver): Promise<TaskOk<T>> {
    if (!this.inline || this.mainBusy) throw new Error(`task ${label}: the main thread is ${this.inline ? 'busy' : 'not one of the pool threads'}`);
    return checkResult(task, label, await this.executeHere(task, driver));
  }

  /**
   * Whether every worker thread has started and is idle, so that a task given now starts
   * at once. Throws WORKER_FAILED if a worker could not start (WorkerThreads.failure).
   */
  workersReady(): boolean {
    const w = this.workers;
    if (w.failure !== undefined) throw w.failure;
    return w.up >= this.workerThreads && w.piscina.idleThreads >= this.workerThreads;
  }

  /**
   * Runs a task and returns its result as the worker thread gave it (a failure as
   * `{ ok: false }`). `signal` aborts this task alone (its thread is replaced).
   */
  async execute(task: Task, label: string, onProgress?: (p: TaskProgress) => void, signal?: AbortSignal): Promise<TaskResult> {
    if (!this.inline || signal !== undefined) return this.inWorker(task, label, onProgress, signal);
    // One queue for both kinds of thread: a task waits here (not in piscina's queue) and
    // goes to whichever thread frees first, the main thread when both are free.
    while (this.mainBusy && this.busyWorkers >= this.workerThreads && !this.destroyed) await new Promise<void>((wake) => this.waiting.push(wake));
    if (this.destroyed) throw new LbsimError('CANCELLED', 'run cancelled');
    if (!this.mainBusy) return this.executeHere(task, onProgress === undefined ? {} : { progress: onProgress });
    this.busyWorkers++;
    try {
      return await this.inWorker(task, label, onProgress);
    } finally {
      this.busyWorkers--;
      this.waiting.shift()?.();
    }
  }

  private async inWorker(task: Task, label: string, onProgress?: (p: TaskProgress) => void, signal?: AbortSignal): Promise<TaskResult> {
    this.ran.workers++;
    const channel = onProgress === undefined ? undefined : new MessageChannel();
    channel?.port1.on('message', (m: TaskProgress) => onProgress!(m));
    try {
      // Refused at once if the threads have failed or stopped: named below like any failure.
      return (await this.workers.run(
        { task, ...(channel ? { port: channel.port2 } : {}) },
        { ...(channel ? { transferList: [channel.port2] } : {}), ...(signal ? { signal } : {}) },
      )) as TaskResult;
    } catch (e) {
      const failed = this.workers.failure;
      if (failed !== undefined && !signal?.aborted) throw new LbsimError('WORKER_FAILED', `${label}: ${failed.message}`, { cause: failed.cause, exitCode: 70 });
      if (this.destroyed || signal?.aborted) throw new LbsimError('CANCELLED', 'run cancelled');
      throw new LbsimError('WORKER_FAILED', `${label}: worker thread failed: ${(e as Error)?.message ?? String(e)}`, { cause: e, exitCode: 70 });
    } finally {
      channel?.port1.close();
    }
  }

  /**
   * A task on the main thread: the same code as in a worker (so the same result, byte for
   * byte), run in slices with a turn of the event loop between them. destroy() cancels it
   * at the next slice.
   */
  private async executeHere(task: Task, driver: HereDriver): Promise<TaskResult> {
    this.mainBusy = true;
    this.ran.here++;
    try {
      const pause = () =>
        new Promise<void>((resolve, reject) =>
          setImmediate(() => (this.destroyed ? reject(new LbsimError('CANCELLED', 'run cancelled')) : this.workers.failure !== undefined ? reject(this.workers.failure) : resolve())),
        );
      return await executeTask(task, { ...driver, pause });
    } finally {
      this.mainBusy = false;
      this.waiting.shift()?.();
    }
  }

  /** Stops every thread at once; running tasks reject with CANCELLED. Again: the same wait for the threads to end. */
  async destroy(): Promise<void> {
    if (!this.destroyed) {
      this.destroyed = true;
      for (const wake of this.waiting.splice(0)) wake();
    }
    await this.workers.stop();
  }
}
