/**
 * The thread pool's options and defaults, apart from the pool (pool.ts) so that code that
 * only needs a default (runMany deciding whether to start a pool at all, the cluster
 * worker's options) does not load piscina: commands that start no threads never load it.
 */
import { availableParallelism } from 'node:os';

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
