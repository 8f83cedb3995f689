/**
 * A small facade over piscina: a pool of worker threads that run `Task`s, the local
 * `TaskExecutor`. Every task result is checked: a failed task rejects with an LbsimError
 * naming the task, and the caller destroys the pool (so a fault never leaves threads
 * running or a run hanging). `lbsim worker` runs cluster jobs on one of these too.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { LbsimError } from '../errors.ts';
import { checkResult, type TaskExecutor, type TaskOk } from './executor.ts';
import { executeTask, type HereDriver, type Task, type TaskProgress, type TaskResult } from './tasks.ts';

export interface PoolOptions {
  /** Threads tasks run on, the main thread included when `mainThread` is set. @default os.availableParallelism() */
  threads?: number;
  /**
   * The main thread is one of the `threads`: it runs a task itself whenever it has none,
   * in slices that hand the event loop back, and piscina starts one worker fewer. On a
   * machine with as many cores as threads this saves a worker's boot (a thread and the
   * engine's modules) and keeps one core from sitting idle in the main thread. Not for a
   * process whose main thread has other work to keep up with (`lbsim worker`). @default false
   */
  mainThread?: boolean;
}

export const POOL_DEFAULTS = { threads: availableParallelism(), mainThread: false } as const;

/** Set to true by scripts/bundle.ts in the bundle the binary runs; undefined elsewhere. */
declare const LBSIM_BUNDLE: boolean | undefined;

/**
 * How piscina starts `workers/<name>`, in each of the three layouts this module runs in:
 * from sources (vitest, tsx) the worker is TypeScript two folders up and needs tsx's
 * loader; in tsc's dist/src it is plain JS two folders up; in dist/bundle (what
 * bin/lbsim.js runs) the worker is an entry point beside every chunk of the bundle.
 */
export function workerScript(name: string): { filename: string; execArgv?: string[] } {
  if (typeof LBSIM_BUNDLE !== 'undefined') return { filename: new URL(`./${name}.js`, import.meta.url).href };
  const fromSource = import.meta.url.endsWith('.ts');
  const filename = new URL(`../../workers/${name}.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;
  return fromSource ? { filename, execArgv: [...process.execArgv, '--import', 'tsx'] } : { filename };
}

export class SimulationPool implements TaskExecutor {
  readonly threads: number;
  private readonly piscina: Piscina;
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
  /** With the main thread in: workers that have answered a ping, so are up (piscina counts a starting worker as ready). */
  private workersUp = 0;
  /** Why a worker failed outside any task, its ping included (failWorkers), if one did. */
  private workerFailure: LbsimError | undefined;
  /** piscina's own shutdown, once begun (by destroy() or failWorkers()). */
  private piscinaDown: Promise<void> | undefined;

  constructor(options: PoolOptions = {}) {
    this.threads = Math.max(1, options.threads ?? POOL_DEFAULTS.threads);
    this.inline = (options.mainThread ?? POOL_DEFAULTS.mainThread) && this.threads >= 2;
    this.workerThreads = this.threads - (this.inline ? 1 : 0);
    this.piscina = new Piscina({
      ...workerScript('sim-worker'),
      minThreads: this.workerThreads,
      maxThreads: this.workerThreads,
      // One task per thread at a time: tasks are long and CPU-bound.
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
    });
    // A worker that cannot start (or breaks outside a task) is emitted on the pool, where
    // unheard it would end the process with a stack trace.
    this.piscina.on('error', (e: unknown) => this.failWorkers(e));
    // Piscina marks its first workers ready before they have loaded anything; a ping each
    // (one per idle worker, as piscina hands tasks to idle workers first) tells when they are.
    if (this.inline) {
      for (let i = 0; i < this.workerThreads; i++) {
        this.piscina.run({ ping: true }).then(
          () => void this.workersUp++,
          // A worker that could not start: reported by workersReady() and every task.
          (e: unknown) => this.failWorkers(e),
        );
      }
    }
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
   * at once. Throws WORKER_FAILED if a worker could not start (failWorkers).
   */
  workersReady(): boolean {
    if (this.workerFailure !== undefined) throw this.workerFailure;
    return this.workersUp >= this.workerThreads && this.piscina.idleThreads >= this.workerThreads;
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
      return (await this.piscina.run(
        { task, ...(channel ? { port: channel.port2 } : {}) },
        { ...(channel ? { transferList: [channel.port2] } : {}), ...(signal ? { signal } : {}) },
      )) as TaskResult;
    } catch (e) {
      const failed = this.workerFailure;
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
          setImmediate(() => (this.destroyed ? reject(new LbsimError('CANCELLED', 'run cancelled')) : this.workerFailure !== undefined ? reject(this.workerFailure) : resolve())),
        );
      return await executeTask(task, { ...driver, pause });
    } finally {
      this.mainBusy = false;
      this.waiting.shift()?.();
    }
  }

  /** Stops every thread at once; running tasks reject with CANCELLED. Again: the same wait for the threads to end. */
  async destroy(): Promise<void> {
    if (this.destroyed) return this.piscinaDown;
    this.destroyed = true;
    for (const wake of this.waiting.splice(0)) wake();
    await (this.piscinaDown ??= this.piscina.destroy());
  }

  /**
   * A worker could not start (piscina's 'error', or its ping failed), or broke outside a
   * task: piscina would start another in its place, and another, while the tasks waiting
   * for one waited for ever. So every task fails with it instead (WORKER_FAILED): the
   * workers' (piscina's shutdown rejects them, inWorker) and the main thread's (at its
   * next slice, executeHere).
   */
  private failWorkers(e: unknown): void {
    if (this.destroyed || this.workerFailure !== undefined) return;
    const cause = e instanceof Error ? e : new Error(String(e));
    this.workerFailure = new LbsimError('WORKER_FAILED', `a worker thread failed: ${cause.message}`, { cause, exitCode: 70 });
    this.piscinaDown ??= this.piscina.destroy();
  }
}
