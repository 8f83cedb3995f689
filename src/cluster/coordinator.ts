/**
 * The coordinator side of a cluster run: a `TaskExecutor` whose tasks become BullMQ jobs
 * on a Redis queue, run by `lbsim worker` processes anywhere. The code that cuts the work
 * and merges results (run-many.ts, time-split.ts) is the local run's; only where tasks run
 * changes, so the report is byte-identical.
 *
 * BullMQ semantics relied on (BullMQ 5 docs, "Retrying failing jobs", "Stalled jobs",
 * "Events"): a job with `attempts: n` is retried until it has failed n times, then emits
 * `failed` with its error; a job whose worker stops renewing its lock is moved back to
 * waiting by another worker's stalled-job check and runs again; QueueEvents streams
 * `active`, `progress`, `completed`, `failed` and `stalled` for every job of the queue,
 * so this coordinator listens only to job ids of its own run.
 *
 * A run lives in Redis only while its coordinator does: a liveness key renewed every
 * heartbeat. Workers drop the jobs of a run whose key has expired (and stop one already
 * running), so a coordinator that dies leaves nothing running; results nobody collects
 * and failed jobs expire after an hour.
 */
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { LbsimError } from '../errors.ts';
import { checkResult, taskError, type TaskExecutor, type TaskOk } from '../parallel/executor.ts';
import type { Task, TaskProgress, TaskResult } from '../parallel/tasks.ts';
import { decodeJson, encodeJson } from './codec.ts';
import { type ClusterJob, parseFailure } from './job.ts';
import { clusterKeys, connectRedis, redactUrl } from './keys.ts';
import { CLUSTER_DEFAULTS, type ClusterOptions } from './options.ts';
import { fingerprint, type TraceRef, traceOf, traceUrl } from './traces.ts';

interface Pending {
  task: Task;
  label: string;
  onProgress: ((p: TaskProgress) => void) | undefined;
  resolve: (r: TaskResult) => void;
  reject: (e: Error) => void;
}

/** How often pending jobs are looked up directly, in case an event was missed. */
const POLL_MS = 5_000;
/** How long Redis may be gone during a run before the run fails. */
const REDIS_LOST_MS = 15_000;

export class ClusterExecutor implements TaskExecutor {
  private readonly pending = new Map<string, Pending>();
  private readonly traces = new Map<string, Promise<TraceRef>>();
  private readonly keys: ReturnType<typeof clusterKeys>;
  private readonly timers: NodeJS.Timeout[] = [];
  private seq = 0;
  private done = 0;
  private running = new Set<string>();
  private destroyed = false;
  /** Set while Redis is unreachable during the run. */
  private lost: NodeJS.Timeout | undefined;

  private constructor(
    private readonly options: ClusterOptions,
    readonly runId: string,
    /** Threads of the workers alive when the run started. */
    readonly threads: number,
    private readonly control: Redis,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
  ) {
    this.keys = clusterKeys(options.queue ?? CLUSTER_DEFAULTS.queue);
    this.listen();
    this.watchConnection();
    this.timers.push(
      setInterval(() => void this.heartbeat(), CLUSTER_DEFAULTS.heartbeatMs),
      setInterval(() => void this.poll(), POLL_MS),
    );
  }

  /** Connects (failing within seconds with REDIS_UNREACHABLE), announces the run and counts the workers. */
  static async connect(options: ClusterOptions): Promise<ClusterExecutor> {
    const control = await connectRedis(options.redis);
    const queueName = options.queue ?? CLUSTER_DEFAULTS.queue;
    const keys = clusterKeys(queueName);
    const runId = randomUUID().slice(0, 13).replace('-', '');
    await control.set(keys.alive(runId), '1', 'PX', CLUSTER_DEFAULTS.aliveTtlMs);
    const queue = new Queue(queueName, { connection: control });
    const events = new QueueEvents(queueName, { connection: control.duplicate() });
    await events.waitUntilReady();
    const workers = await countWorkers(control, keys.workerPattern);
    const executor = new ClusterExecutor(options, runId, Math.max(1, workers.threads), control, queue, events);
    options.onNote?.(
      `cluster run ${runId} on queue '${queueName}' at ${redactUrl(options.redis)}: ` +
        (workers.processes === 0 ? 'no workers yet (start `lbsim worker --redis URL`); jobs wait for them' : `${workers.processes} worker(s), ${workers.threads} thread(s)`),
    );
    return executor;
  }

  async run<T extends Task>(task: T, label: string, onProgress?: (p: TaskProgress) => void): Promise<TaskOk<T>> {
    if (this.destroyed) throw new LbsimError('CANCELLED', 'run cancelled');
    const jobId = `${this.runId}-${++this.seq}`;
    const file = traceOf(task);
    const traces = file === undefined ? [] : [await this.traceRef(file)];
    const job: ClusterJob = { run: this.runId, label, task: encodeJson(task), traces };
    const result = new Promise<TaskResult>((resolve, reject) => this.pending.set(jobId, { task, label, onProgress, resolve, reject }));
    await this.queue.add('task', job, {
      jobId,
      attempts: this.options.attempts ?? CLUSTER_DEFAULTS.attempts,
      backoff: { type: 'fixed', delay: 500 },
      // The result travels in its own key (see the worker); a failed job stays an hour for inspection.
      removeOnComplete: true,
      removeOnFail: { age: CLUSTER_DEFAULTS.leftoverTtlS },
    });
    this.progress();
    return checkResult(task, label, await result);
  }

  private listen(): void {
    this.events.on('active', ({ jobId }) => {
      if (!this.pending.has(jobId)) return;
      this.running.add(jobId);
      this.progress();
    });
    this.events.on('progress', ({ jobId, data }) => this.pending.get(jobId)?.onProgress?.(data as TaskProgress));
    this.events.on('completed', ({ jobId }) => void this.collect(jobId));
    this.events.on('failed', ({ jobId, failedReason }) => void this.failed(jobId, failedReason));
    this.events.on('stalled', ({ jobId }) => {
      const p = this.pending.get(jobId);
      if (p !== undefined) this.options.onNote?.(`${p.label}: its worker stopped answering; the job is retried on another worker`);
    });
  }

  /**
   * Redis lost during the run: BullMQ would wait for it forever. Give it a while to come
   * back (a restart, a failover), then fail the run with REDIS_UNREACHABLE.
   */
  private watchConnection(): void {
    this.control.on('close', () => {
      if (this.destroyed || this.lost !== undefined) return;
      this.lost = setTimeout(() => {
        const error = new LbsimError('REDIS_UNREACHABLE', `lost Redis at ${redactUrl(this.options.redis)} during the run and it did not come back within ${REDIS_LOST_MS / 1000} s`);
        const left = [...this.pending.values()];
        this.pending.clear();
        for (const p of left) p.reject(error);
      }, REDIS_LOST_MS);
    });
    this.control.on('ready', () => {
      clearTimeout(this.lost);
      this.lost = undefined;
    });
  }

  /** Takes a finished job's result out of Redis. */
  private async collect(jobId: string): Promise<void> {
    const p = this.pending.get(jobId);
    if (p === undefined) return;
    const key = this.keys.result(jobId);
    const text = await this.control.get(key);
    if (text === null || !this.pending.has(jobId)) return;
    this.pending.delete(jobId);
    await this.control.del(key);
    this.running.delete(jobId);
    this.done++;
    this.progress();
    p.resolve(decodeJson<TaskResult>(text));
  }

  /** A job that failed all its attempts fails the run with its error (keeping the error's code). */
  private async failed(jobId: string, reason: string): Promise<void> {
    const p = this.pending.get(jobId);
    if (p === undefined) return;
    const attempts = (await this.queue.getJob(jobId))?.attemptsMade ?? this.options.attempts ?? CLUSTER_DEFAULTS.attempts;
    if (!this.pending.has(jobId)) return;
    this.pending.delete(jobId);
    this.running.delete(jobId);
    const { code, message } = parseFailure(reason);
    p.reject(taskError(p.label, code, `failed ${attempts} time${attempts === 1 ? '' : 's'} on the cluster: ${message}`));
  }

  /** A missed `completed` or `failed` event must not hang the run: look the pending jobs up now and then. */
  private async poll(): Promise<void> {
    for (const jobId of [...this.pending.keys()]) {
      const state = await this.queue.getJobState(jobId).catch(() => 'unknown');
      if (state === 'failed') {
        const job = await this.queue.getJob(jobId);
        await this.failed(jobId, job?.failedReason ?? 'failed');
      } else if (state === 'completed' || state === 'unknown') {
        await this.collect(jobId);
      }
    }
  }

  private async heartbeat(): Promise<void> {
    await this.control.set(this.keys.alive(this.runId), '1', 'PX', CLUSTER_DEFAULTS.aliveTtlMs).catch((e: Error) => this.options.onNote?.(`cannot reach Redis: ${e.message}`));
  }

  private progress(): void {
    this.options.onProgress?.({ total: this.seq, done: this.done, running: this.running.size });
  }

  private traceRef(path: string): Promise<TraceRef> {
    let ref = this.traces.get(path);
    if (ref === undefined) {
      ref = fingerprint(path).then((f) => ({ path, ...f, ...(this.options.traceUrl === undefined ? {} : { url: traceUrl(this.options.traceUrl, path) }) }));
      this.traces.set(path, ref);
    }
    return ref;
  }

  /** Ends the run: its jobs are removed (running ones are stopped by their workers once the liveness key is gone). */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.lost);
    const cancelled = new LbsimError('CANCELLED', 'run cancelled');
    const left = [...this.pending.entries()];
    this.pending.clear();
    for (const [, p] of left) p.reject(cancelled);
    try {
      await this.control.del(this.keys.alive(this.runId));
      for (const [jobId] of left) {
        // An active job is locked by its worker and cannot be removed; it stops by itself.
        await this.queue.remove(jobId).catch(() => 0);
        await this.control.del(this.keys.result(jobId));
      }
    } finally {
      await this.events.close();
      await this.queue.close();
      this.control.disconnect();
    }
  }
}

/** Live workers of the queue (each renews its key while it runs) and their threads. */
async function countWorkers(redis: Redis, pattern: string): Promise<{ processes: number; threads: number }> {
  let processes = 0;
  let threads = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 100);
    cursor = next;
    for (const value of keys.length === 0 ? [] : await redis.mget(keys)) {
      if (value === null) continue;
      processes++;
      threads += Number(value) || 1;
    }
  } while (cursor !== '0');
  return { processes, threads };
}
