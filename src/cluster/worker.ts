/**
 * `lbsim worker`: a long-running process that takes jobs from the queue and runs each on
 * its local thread pool (one job per thread). BullMQ's main-thread work (lock renewal,
 * events) never waits for a simulation, which runs on a pool thread: a busy worker keeps
 * its locks, and a dead one (SIGKILL, lost machine) loses them within `lockMs`, after
 * which another worker's stalled-job check puts its jobs back in the queue.
 *
 * Shutdown (SIGTERM): take no new jobs and hand the running ones back to the queue at
 * once (moved to delayed without counting an attempt) — a job is a pure function of its
 * data, so running it again elsewhere gives the same result, and a window of a long
 * replay may take longer than an orchestrator's grace period (Kubernetes: 30 s).
 */
import { hostname } from 'node:os';
import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { isLbsimError } from '../errors.ts';
import { SimulationPool } from '../parallel/pool.ts';
import type { Task, TaskProgress } from '../parallel/tasks.ts';
import { decodeJson, encodeJson } from './codec.ts';
import { type ClusterJob, formatFailure } from './job.ts';
import { clusterKeys, connectRedis, redactUrl } from './keys.ts';
import { CLUSTER_DEFAULTS, WORKER_DEFAULTS } from './options.ts';
import { localTrace } from './traces.ts';

export interface WorkerOptions {
  redis: string;
  /** @default 'lbsim' */
  queue?: string;
  /** Jobs run at once, one per pool thread. @default os.availableParallelism() */
  threads?: number;
  /** How long a job's lock lasts without renewal: a dead worker's jobs are retried after about this long. @default 10000 */
  lockMs?: number;
  /** Where traces downloaded from a URL are kept. @default <tmpdir>/lbsim-traces */
  cacheDir?: string;
  /** Log lines for operators (jobs started, finished, failed). */
  onNote?: (message: string) => void;
}


/** How often a running job checks that its coordinator is still there. */
const ALIVE_CHECK_MS = 2_000;
/** Progress updates per job at most this often. */
const PROGRESS_MS = 500;

/** Serves jobs until `signal` aborts, then hands running jobs back and returns. */
export async function serveJobs(options: WorkerOptions, signal: AbortSignal): Promise<void> {
  const redis = await connectRedis(options.redis);
  const queueName = options.queue ?? CLUSTER_DEFAULTS.queue;
  const keys = clusterKeys(queueName);
  const threads = Math.max(1, options.threads ?? WORKER_DEFAULTS.threads);
  const lockMs = options.lockMs ?? WORKER_DEFAULTS.lockMs;
  const cacheDir = options.cacheDir ?? WORKER_DEFAULTS.cacheDir;
  const note = options.onNote ?? (() => {});
  const id = `${hostname()}-${process.pid}`;
  const pool = new SimulationPool({ threads });
  const shutdown = new AbortController();

  const announce = () => redis.set(keys.worker(id), String(threads), 'PX', CLUSTER_DEFAULTS.aliveTtlMs);
  await announce();
  const heartbeat = setInterval(() => void announce().catch((e: Error) => note(`cannot reach Redis: ${e.message}`)), CLUSTER_DEFAULTS.heartbeatMs);

  const processJob = async (job: Job<ClusterJob>, token?: string): Promise<{ bytes: number }> => {
    const data = job.data;
    const alive = keys.alive(data.run);
    if ((await redis.exists(alive)) === 0) {
      note(`${data.label}: dropped (job ${job.id}): the coordinator of run ${data.run} is gone`);
      throw new UnrecoverableError(`the coordinator of run ${data.run} is gone`);
    }
    const started = performance.now();
    note(`${data.label}: started (job ${job.id}, attempt ${job.attemptsMade + 1})`);
    const task = decodeJson<Task>(data.task);
    for (const ref of data.traces) {
      const local = await localTrace(ref, cacheDir);
      if (task.scenario.traffic.kind === 'trace' && task.scenario.traffic.file === ref.path) task.scenario.traffic.file = local;
    }
    // The task stops when its coordinator dies or this worker shuts down.
    const stop = new AbortController();
    const onShutdown = () => stop.abort('shutdown');
    shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    const watch = setInterval(() => {
      void redis.exists(alive).then((n) => {
        if (n === 0) stop.abort('orphaned');
      });
    }, ALIVE_CHECK_MS);
    let lastProgress = 0;
    const onProgress = (p: TaskProgress) => {
      const now = performance.now();
      if (now - lastProgress < PROGRESS_MS) return;
      lastProgress = now;
      // Progress is advisory: a lost update (Redis blip) must not fail the job; the result is what counts.
      void job.updateProgress(p as unknown as object).catch(() => undefined);
    };
    try {
      const result = await pool.execute(task, data.label, onProgress, stop.signal);
      if (!result.ok) throw new Error(formatFailure(result.code, result.message));
      const text = encodeJson(result);
      await redis.set(keys.result(String(job.id)), text, 'EX', CLUSTER_DEFAULTS.leftoverTtlS);
      note(`${data.label}: done in ${((performance.now() - started) / 1000).toFixed(2)} s`);
      return { bytes: text.length };
    } catch (e) {
      if (stop.signal.reason === 'shutdown') {
        // Hand the job back without counting an attempt (BullMQ: moveToDelayed + DelayedError).
        await job.moveToDelayed(Date.now(), token);
        note(`${data.label}: handed back (shutting down)`);
        throw new DelayedError();
      }
      if (stop.signal.reason === 'orphaned') {
        note(`${data.label}: stopped (job ${job.id}): the coordinator of run ${data.run} is gone`);
        throw new UnrecoverableError(`the coordinator of run ${data.run} is gone`);
      }
      const message = isLbsimError(e) ? formatFailure(e.code, e.message) : (e as Error).message;
      note(`${data.label}: failed: ${message}`);
      throw new Error(message);
    } finally {
      clearInterval(watch);
      shutdown.signal.removeEventListener('abort', onShutdown);
    }
  };

  const worker = new Worker<ClusterJob>(queueName, processJob, {
    connection: redis,
    concurrency: threads,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    // A job whose worker died twice still gets a third run, as a failing job does.
    maxStalledCount: CLUSTER_DEFAULTS.attempts - 1,
    name: id,
  });
  worker.on('error', (e) => note(`worker error: ${e.message}`));
  await worker.waitUntilReady();
  note(`worker ${id} serving queue '${queueName}' at ${redactUrl(options.redis)} with ${threads} thread(s)`);

  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  note(`worker ${id}: shutting down`);
  shutdown.abort();
  clearInterval(heartbeat);
  try {
    await worker.close();
    await redis.del(keys.worker(id));
  } finally {
    await pool.destroy();
    redis.disconnect();
  }
}
