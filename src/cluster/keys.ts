/**
 * Redis keys lbsim keeps beside BullMQ's own (BullMQ's live under `bull:<queue>:`), and
 * the connection every part of a cluster opens. A run id namespaces a run's jobs
 * (`<run>-<n>`), its liveness key and its results: two coordinators on one queue each
 * wait only for their own job ids and read only their own result keys.
 */
// Types only: the client is loaded when a connection is opened (ioredis costs every CLI start ~0.1 s).
import type { Redis, RedisOptions } from 'ioredis';
import { LbsimError } from '../errors.ts';

export function clusterKeys(queue: string) {
  const base = `lbsim:${queue}`;
  return {
    /** Exists while the run's coordinator is alive (renewed every heartbeat). */
    alive: (run: string) => `${base}:run:${run}:alive`,
    /** A finished job's encoded result, until its coordinator takes it. */
    result: (jobId: string) => `${base}:result:${jobId}`,
    /** One per live worker process: its thread count. */
    worker: (id: string) => `${base}:worker:${id}`,
    workerPattern: `${base}:worker:*`,
  };
}

/** `redis://user:secret@host` → `redis://user:***@host`, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** Checks the form of a --redis value; a string when it is wrong. */
export function redisUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `expected a Redis URL such as redis://localhost:6379, got '${url}'`;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return `expected a redis:// or rediss:// URL, got '${url}'`;
  return undefined;
}

/** How long a first connection may take before Redis counts as unreachable. */
const CONNECT_TIMEOUT_MS = 3_000;

/**
 * Opens a connection and proves Redis answers (PING) within a few seconds, or throws
 * REDIS_UNREACHABLE (exit 2). After that first contact the connection reconnects on its
 * own, as BullMQ needs (`maxRetriesPerRequest: null`: commands wait for the reconnect).
 */
export async function connectRedis(url: string): Promise<Redis> {
  const problem = redisUrlProblem(url);
  if (problem !== undefined) throw new LbsimError('USAGE', `--redis: ${problem}`);
  const options: RedisOptions = { lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, maxRetriesPerRequest: null, retryStrategy: () => null };
  const { Redis: RedisClient } = await import('ioredis');
  const client = new RedisClient(url, options);
  let lastError: Error | undefined;
  client.on('error', (e: Error) => (lastError = e));
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    client.disconnect();
    const why = (lastError ?? (e as Error)).message || String(e);
    throw new LbsimError('REDIS_UNREACHABLE', `cannot reach Redis at ${redactUrl(url)}: ${why} (is redis-server running there? --redis expects redis://host:port)`);
  }
  // Contact made: from now on reconnect with backoff instead of giving up (lost connections are retried, and noted by the caller).
  client.options.retryStrategy = (times: number) => Math.min(times * 200, 2_000);
  return client;
}
