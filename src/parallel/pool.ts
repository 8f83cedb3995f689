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
import type { Task, TaskProgress, TaskResult } from './tasks.ts';

export interface PoolOptions {
  /** Worker threads. @default os.availableParallelism() */
  threads?: number;
}

export const POOL_DEFAULTS = { threads: availableParallelism() } as const;

/**
 * How piscina starts `workers/<name>`: from sources (vitest, tsx) the worker is TypeScript
 * and needs tsx's loader; from dist/ it is plain JS.
 */
export function workerScript(name: string): { filename: string; execArgv?: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const filename = new URL(`../../workers/${name}.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;
  return fromSource ? { filename, execArgv: [...process.execArgv, '--import', 'tsx'] } : { filename };
}

export class SimulationPool implements TaskExecutor {
  readonly threads: number;
  private readonly piscina: Piscina;
  private destroyed = false;

  constructor(options: PoolOptions = {}) {
    this.threads = Math.max(1, options.threads ?? POOL_DEFAULTS.threads);
    this.piscina = new Piscina({
      ...workerScript('sim-worker'),
      minThreads: this.threads,
      maxThreads: this.threads,
      // One task per thread at a time: tasks are long and CPU-bound.
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
    });
  }

  async run<T extends Task>(task: T, label: string, onProgress?: (p: TaskProgress) => void): Promise<TaskOk<T>> {
    return checkResult(task, label, await this.execute(task, label, onProgress));
  }

  /**
   * Runs a task and returns its result as the worker thread gave it (a failure as
   * `{ ok: false }`). `signal` aborts this task alone (its thread is replaced).
   */
  async execute(task: Task, label: string, onProgress?: (p: TaskProgress) => void, signal?: AbortSignal): Promise<TaskResult> {
    const channel = onProgress === undefined ? undefined : new MessageChannel();
    channel?.port1.on('message', (m: TaskProgress) => onProgress!(m));
    try {
      return (await this.piscina.run(
        { task, ...(channel ? { port: channel.port2 } : {}) },
        { ...(channel ? { transferList: [channel.port2] } : {}), ...(signal ? { signal } : {}) },
      )) as TaskResult;
    } catch (e) {
      if (this.destroyed || signal?.aborted) throw new LbsimError('CANCELLED', 'run cancelled');
      throw new LbsimError('WORKER_FAILED', `${label}: worker thread failed: ${(e as Error)?.message ?? String(e)}`, { cause: e, exitCode: 70 });
    } finally {
      channel?.port1.close();
    }
  }

  /** Stops every thread at once; running tasks reject with CANCELLED. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.piscina.destroy();
  }
}
