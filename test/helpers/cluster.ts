/**
 * A real cluster on loopback for the end-to-end tests: a redis-server (the one `.ci/run`
 * started, named by LBSIM_TEST_REDIS, or one of this file's own on a free port) and
 * `lbsim worker` processes of the real binary. Every process started here is killed by
 * `stopAll()` (call it in afterAll) and, as a backstop, when the test process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { assertBuilt, BIN } from './cli.ts';

const started = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of started) p.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function ping(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false; // not up yet: the caller polls
  } finally {
    client.disconnect();
  }
}

/** The Redis to test against: LBSIM_TEST_REDIS, or a fresh redis-server of this test file. */
export async function startRedis(): Promise<string> {
  const given = process.env.LBSIM_TEST_REDIS;
  if (given !== undefined && given !== '') return given;
  const port = await freePort();
  const server = track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }));
  const failed = new Promise<never>((_, reject) => server.once('error', (e) => reject(new Error(`cannot start redis-server (apt-get install redis-server; .ci/run does): ${e.message}`))));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (!(await Promise.race([ping(url), failed]))) {
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return url;
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Its stderr so far. */
  log(): string;
  /** Resolves when its stderr matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

/** Starts `lbsim worker` and waits until it serves the queue. */
export async function startWorker(redis: string, queue: string, extra: readonly string[] = []): Promise<WorkerProcess> {
  assertBuilt();
  const child = track(spawn(process.execPath, [BIN, 'worker', '--redis', redis, '--cluster-queue', queue, '--threads', '1', '--lock', '2s', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let log = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    log += d;
    for (const w of [...waiters]) if (w.pattern.test(log)) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const worker: WorkerProcess = {
    child,
    log: () => log,
    exited,
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(log)) return resolve();
        const timer = setTimeout(() => reject(new Error(`worker never logged ${pattern}; its log:\n${log}`)), timeoutMs);
        waiters.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
        void exited.then((code) => reject(new Error(`worker exited (${code}) before logging ${pattern}; its log:\n${log}`)));
      }),
  };
  await worker.waitFor(/serving queue/);
  return worker;
}

function track(child: ChildProcess): ChildProcess {
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/** Kills every process this file started and waits for them to go. */
export async function stopAll(): Promise<void> {
  const all = [...started];
  await Promise.all(all.map((p) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : (p.once('exit', () => resolve()), p.kill('SIGKILL'))))));
}

/** A queue name of its own per test file, so files sharing one Redis never share jobs or workers. */
export function uniqueQueue(name: string): string {
  return `${name}-${process.pid}-${Date.now().toString(36)}`;
}
