/**
 * Where tasks run: "run these tasks, give me their results, with progress and
 * cancellation". Two implementations: the local thread pool (pool.ts) and a BullMQ queue
 * on Redis served by `lbsim worker` processes on other machines (src/cluster/). The code
 * that cuts work into tasks and merges their results (run-many.ts, time-split.ts) is
 * written once against this interface, so a cluster run merges exactly as a local one.
 */
import { LbsimError } from '../errors.ts';
import type { ClusterOptions } from '../cluster/options.ts';
import type { HereDriver, Task, TaskProgress, TaskResult } from './tasks.ts';

/** The successful result of a task of kind K. */
export type TaskOk<T extends Task> = Extract<TaskResult, { ok: true; kind: T['kind'] }>;

export interface TaskExecutor {
  /** Tasks it runs at once: the default number of windows of a time-split run. */
  readonly threads: number;
  /**
   * Runs a task. `label` names it in errors ("window 3 (10m-20m)"). `onProgress`
   * receives the task's progress messages. Rejects with an LbsimError when the task failed.
   */
  run<T extends Task>(task: T, label: string, onProgress?: (p: TaskProgress) => void): Promise<TaskOk<T>>;
  /** Stops everything at once; running tasks reject with CANCELLED. */
  destroy(): Promise<void>;
  /**
   * Executors whose main thread is one of their threads (the local pool with
   * `mainThread`): runs a task on it at once, with hooks only it can offer, such as a
   * window end decided while the window runs (src/parallel/dynamic-windows.ts).
   */
  runHere?<T extends Task>(task: T, label: string, driver: HereDriver): Promise<TaskOk<T>>;
  /** With runHere: whether every other thread is up and idle, so that a task given now starts at once. */
  workersReady?(): boolean;
}

export interface ExecutorOptions {
  /** Worker threads of the local pool (ignored on a cluster). */
  threads: number;
  /** Run on a cluster instead of the local pool. */
  cluster?: ClusterOptions;
  signal?: AbortSignal;
  /** The local pool's main thread takes tasks too (PoolOptions.mainThread). @default false */
  mainThread?: boolean;
}

/**
 * A task's result as its caller wants it: a failure becomes an LbsimError naming the
 * task. A user's mistake (e.g. their balancer threw) keeps its code and exit 2; anything
 * else is a bug (exit 70).
 */
export function checkResult<T extends Task>(task: T, label: string, result: TaskResult): TaskOk<T> {
  if (!result.ok) throw taskError(label, result.code, result.message);
  if (result.kind !== task.kind) throw new Error(`task ${label}: a '${task.kind}' task returned a '${result.kind}' result`);
  return result as TaskOk<T>;
}

/** The error a failed task of this code and message raises. */
export function taskError(label: string, code: string, message: string): LbsimError {
  // A task cancelled is the run cancelled (Ctrl-C), not that task's failure: the user is
  // told "run cancelled" however the cancellation reached them, never a window's name.
  if (code === 'CANCELLED') return new LbsimError('CANCELLED', message);
  const internal = code === 'INTERNAL' || code === 'WORKER_FAILED';
  return new LbsimError(internal ? 'WORKER_FAILED' : (code as LbsimError['code']), `${label}: ${message}`, internal ? { exitCode: 70 } : undefined);
}

/**
 * Runs `body` with an executor that is destroyed afterwards, and at once when `signal`
 * aborts: the local pool, or with `cluster` a coordinator of a BullMQ queue (loaded only
 * then, so a local run never loads the Redis client).
 */
export async function withExecutor<T>(options: ExecutorOptions, body: (executor: TaskExecutor) => Promise<T>): Promise<T> {
  if (options.signal?.aborted) throw new LbsimError('CANCELLED', 'run cancelled');
  let executor: TaskExecutor;
  if (options.cluster === undefined) {
    const { SimulationPool } = await import('./pool.ts');
    executor = new SimulationPool({ threads: options.threads, mainThread: options.mainThread ?? false });
  } else {
    const { ClusterExecutor } = await import('../cluster/coordinator.ts');
    executor = await ClusterExecutor.connect(options.cluster);
  }
  const onAbort = () => void executor.destroy();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await body(executor);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await executor.destroy();
  }
}
