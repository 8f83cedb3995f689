/**
 * What a coordinator and a worker need to find each other: a Redis URL and a queue name.
 * Everything a run puts in Redis is named after its run id (see keys.ts), so coordinators
 * sharing a queue and its workers never see each other's results.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POOL_DEFAULTS } from '../parallel/pool-options.ts';

export interface ClusterProgress {
  /** Jobs this run has enqueued so far, finished, and running right now. */
  total: number;
  done: number;
  running: number;
}

export interface ClusterOptions {
  /** Redis URL, redis://[user:password@]host:port[/db] (rediss:// for TLS). */
  redis: string;
  /** The queue coordinators and `lbsim worker`s share. @default 'lbsim' */
  queue?: string;
  /**
   * Base URL workers download traces from (`<traceUrl>/<file name>`), e.g. an object
   * store's HTTP endpoint; absent, workers read the coordinator's absolute path (a shared
   * filesystem). Either way the worker checks size and SHA-256. @default undefined
   */
  traceUrl?: string;
  /** Attempts per job before the run fails with the job's error. @default 3 */
  attempts?: number;
  /** Told when a job starts or finishes. */
  onProgress?: (p: ClusterProgress) => void;
  /** Notes for people: the run id, workers found, retries. */
  onNote?: (message: string) => void;
}

export const CLUSTER_DEFAULTS = {
  queue: 'lbsim',
  attempts: 3,
  /** How often a coordinator renews its liveness key. */
  heartbeatMs: 2_000,
  /** A coordinator silent this long is dead: its jobs are dropped by workers. */
  aliveTtlMs: 10_000,
  /** How long an uncollected result or a failed job stays in Redis. */
  leftoverTtlS: 3_600,
} as const;

/** Defaults of `lbsim worker` (WorkerOptions in worker.ts). */
export const WORKER_DEFAULTS = { threads: POOL_DEFAULTS.threads, lockMs: 10_000, cacheDir: join(tmpdir(), 'lbsim-traces') } as const;
