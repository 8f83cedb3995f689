/**
 * A small facade over piscina: a pool of worker threads that run `Task`s. Every task
 * result is checked: a failed task rejects with an LbsimError naming the task, and the
 * caller destroys the pool (so a fault never leaves threads running or a run hanging).
 */
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { LbsimError } from '../errors.ts';
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

type Ok<K extends TaskResult> = Extract<K, { ok: true }>;

export class SimulationPool {
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

  /**
   * Runs a task. `label` names it in errors ("window 3 (10m-20m)"). `onProgress` receives
   * the task's progress messages.
   */
  async run<T extends Task>(task: T, label: string, onProgress?: (p: TaskProgress) => void): Promise<Ok<Extract<TaskResult, { kind: T['kind'] }>>> {
    let result: TaskResult;
    const channel = onProgress === undefined ? undefined : new MessageChannel();
    channel?.port1.on('message', (m: TaskProgress) => onProgress!(m));
    try {
      result = (await this.piscina.run(
        { task, ...(channel ? { port: channel.port2 } : {}) },
        channel ? { transferList: [channel.port2] } : {},
      )) as TaskResult;
    } catch (e) {
      if (this.destroyed) throw new LbsimError('CANCELLED', 'run cancelled');
      throw new LbsimError('WORKER_FAILED', `${label}: worker thread failed: ${(e as Error)?.message ?? String(e)}`, { cause: e, exitCode: 70 });
    } finally {
      channel?.port1.close();
    }
    if (!result.ok) {
      // A user's mistake (e.g. their balancer threw) keeps its code and exit 2; anything else is a bug.
      const internal = result.code === 'INTERNAL';
      throw new LbsimError(internal ? 'WORKER_FAILED' : (result.code as LbsimError['code']), `${label}: ${result.message}`, internal ? { exitCode: 70 } : undefined);
    }
    if (result.kind !== task.kind) throw new Error(`task ${label}: a '${task.kind}' task returned a '${result.kind}' result`);
    return result as Ok<Extract<TaskResult, { kind: T['kind'] }>>;
  }

  /** Stops every thread at once; running tasks reject with CANCELLED. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.piscina.destroy();
  }
}

/** Runs `body` with a pool that is destroyed afterwards, and at once when `signal` aborts. */
export async function withPool<T>(options: PoolOptions & { signal?: AbortSignal }, body: (pool: SimulationPool) => Promise<T>): Promise<T> {
  const pool = new SimulationPool(options);
  const onAbort = () => void pool.destroy();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (options.signal?.aborted) throw new LbsimError('CANCELLED', 'run cancelled');
    return await body(pool);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await pool.destroy();
  }
}
