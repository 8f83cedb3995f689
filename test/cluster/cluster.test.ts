/**
 * A cluster on loopback, end to end through the real binary: a redis-server, two
 * `lbsim worker` processes and coordinators (`run`/`compare --redis`). Reports must be
 * byte-identical to the local run's — for a replication sweep, a time-split trace replay
 * (windows and their fix-ups as jobs), two coordinators sharing the queue at once, and a
 * run whose worker is SIGKILLed mid-job (BullMQ's stalled-job check hands the job to the
 * other worker). A job that fails three times fails the run with its error; an
 * unreachable Redis is exit 2 within seconds.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, hasStackTrace, runCli } from '../helpers/cli.ts';
import { freePort, startRedis, startWorker, stopAll, uniqueQueue, type WorkerProcess } from '../helpers/cluster.ts';

let dir: string;
let redis: string;
let queue: string;
let workers: WorkerProcess[];

/** A small sweep cell (60k requests). */
const sweep = (name: string, seed: number, rate: string) => `name: ${name}
seed: ${seed}
duration: 40s
warmup: 2s
timeout: 2s
traffic:
  synthetic:
    rate: ${rate}
    service: { distribution: lognormal, mean: 2ms, cv: 1.5 }
    clients: { count: 300, skew: 1.0 }
balancer: { algorithm: round-robin }
backends:
  - { name: web, count: 6, concurrency: 4, queue: 100 }
report: { interval: 1s }
`;

/** A recorded trace of about 30k requests in 60 s, and a scenario replaying it. */
async function writeTrace(): Promise<string> {
  let csv = 'timestamp,duration_ms,client_ip,path,status,backend\n';
  let t = 0;
  let x = 12345;
  const next = () => ((x = (x * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
  while (t < 60_000) {
    t += -Math.log(next()) * 2;
    const at = new Date(Date.UTC(2024, 3, 15, 10) + t).toISOString().replace('Z', '000Z');
    csv += `${at},${(-Math.log(next()) * 7).toFixed(3)},203.0.113.${Math.floor(next() * 200)},/api/x,200,web-0\n`;
  }
  await writeFile(join(dir, 'trace.csv'), csv);
  execFileSync(process.execPath, [BIN, 'import', join(dir, 'trace.csv'), '-o', join(dir, 'trace.lbt')], { stdio: 'ignore' });
  const file = join(dir, 'replay.yaml');
  await writeFile(file, 'name: replay\nseed: 3\ntimeout: 2s\nreport: { interval: 1s }\ntraffic: { trace: trace.lbt }\nbalancer: { algorithm: least-connections }\nbackends:\n  - { name: web, count: 3, concurrency: 2, queue: 50 }\n');
  return file;
}

async function scenarioFile(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

function expectSameReport(cluster: { code: number | null; stdout: string; stderr: string }, local: { code: number | null; stdout: string; stderr: string }): void {
  expect(local.code, local.stderr).toBe(0);
  expect(cluster.code, cluster.stderr).toBe(0);
  expect(cluster.stdout.length).toBeGreaterThan(100);
  // Byte equality; on failure show where they part.
  if (cluster.stdout !== local.stdout) {
    let i = 0;
    while (cluster.stdout[i] === local.stdout[i]) i++;
    expect.fail(`reports differ at byte ${i}: cluster …${cluster.stdout.slice(i - 80, i + 40)}… local …${local.stdout.slice(i - 80, i + 40)}…`);
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lbsim-cluster-'));
  redis = await startRedis();
  queue = uniqueQueue('e2e');
  workers = await Promise.all([startWorker(redis, queue), startWorker(redis, queue)]);
});

afterAll(async () => {
  await stopAll();
  await rm(dir, { recursive: true, force: true });
});

describe('cluster runs give the local report, byte for byte', () => {
  it('a replication sweep (compare: 2 algorithms × 2 replications)', async () => {
    const file = await scenarioFile('sweep.yaml', sweep('sweep', 11, '1500/s'));
    const args = ['compare', file, '--algorithms', 'round-robin,least-connections', '--replications', '2', '--format', 'json'];
    const [cluster, local] = await Promise.all([runCli([...args, '--redis', redis, '--cluster-queue', queue]), runCli(args)]);
    expectSameReport(cluster, local);
    expect(cluster.stderr).toMatch(/cluster run \w+ on queue '[^']+' at redis:\/\/127\.0\.0\.1:\d+: 2 worker\(s\), 2 thread\(s\)/);
    expect(cluster.stderr).toMatch(/cluster: 4\/4 jobs done/);
    // Both workers took jobs: it really ran there.
    for (const w of workers) expect(w.log()).toMatch(/run \d of 4 \(sweep, seed 1[12]\): done/);
  });

  it('a time-split trace replay (4 windows and their fix-ups as jobs)', async () => {
    const file = await writeTrace();
    const [cluster, local] = await Promise.all([
      runCli(['run', file, '--format', 'json', '--windows', '4', '--redis', redis, '--cluster-queue', queue]),
      runCli(['run', file, '--format', 'json', '--no-tui']),
    ]);
    expectSameReport(cluster, local);
    expect(cluster.stderr).toMatch(/on the cluster, 4 windows, [\d.]+% re-simulated/);
    expect(workers.map((w) => w.log()).join('')).toMatch(/window \d of 4 \([^)]*\): fix-up: done/);
  });

  it('diff and capacity (several runMany rounds, each a cluster run of its own)', async () => {
    const diffArgs = ['diff', 'scenarios/config-change/before.yaml', 'scenarios/config-change/after.yaml', '--replications', '2', '--format', 'json'];
    const capArgs = ['capacity', 'scenarios/capacity-planning.yaml', '--vary', 'backends', '--replications', '1', '--no-n-plus-one', '--format', 'json'];
    const [cd, ld, cc, lc] = await Promise.all([
      runCli([...diffArgs, '--redis', redis, '--cluster-queue', queue]),
      runCli(diffArgs),
      runCli([...capArgs, '--redis', redis, '--cluster-queue', queue]),
      runCli(capArgs),
    ]);
    expectSameReport(cd, ld);
    expectSameReport(cc, lc);
    expect((cc.stderr.match(/cluster run \w+/g) ?? []).length).toBeGreaterThan(1);
  });

  it('two coordinators on one queue at once never mix their results', async () => {
    const a = await scenarioFile('a.yaml', sweep('a', 21, '1200/s'));
    const b = await scenarioFile('b.yaml', sweep('b', 31, '1800/s'));
    const args = (f: string) => ['compare', f, '--algorithms', 'round-robin,random', '--replications', '2', '--format', 'json'];
    const [ca, cb] = await Promise.all([runCli([...args(a), '--redis', redis, '--cluster-queue', queue]), runCli([...args(b), '--redis', redis, '--cluster-queue', queue])]);
    const [la, lb] = [await runCli(args(a)), await runCli(args(b))];
    expectSameReport(ca, la);
    expectSameReport(cb, lb);
    const runIds = [ca, cb].map((r) => /cluster run (\w+)/.exec(r.stderr)?.[1]);
    expect(runIds[0]).not.toBe(runIds[1]);
  });
});

describe('cluster faults', () => {
  it('a job that fails three times fails the run with its error (exit 2, no stack)', async () => {
    const file = await scenarioFile(
      'throws.yaml',
      `name: throws\nduration: 30s\ntraffic: { synthetic: { rate: 2000/s, service: { distribution: exponential, mean: 1ms } } }\nbalancer: { algorithm: ${resolve('test/fixtures/balancers/throws-later.js')} }\nbackends: [{ name: web, count: 4 }]\n`,
    );
    const r = await runCli(['run', file, '--redis', redis, '--cluster-queue', queue, '--windows', '1']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/lbsim: run of throws: failed 3 times on the cluster: .*throws-later\.js(:\d+)?: pick\(\) threw on request 20000: cursor out of range/);
    expect(hasStackTrace(r.stderr)).toBe(false);
    const attempts = workers.map((w) => w.log().match(/run of throws: started \(job \S+, attempt \d\)/g) ?? []).flat();
    expect(attempts.length).toBe(3);
  });

  it('a worker SIGKILLed in the middle of a job: the job runs again on the other worker, same report', async () => {
    // Jobs of about a second of wall time that hardly use the CPU (the balancer sleeps 5 ms every 100 requests).
    const sleepy = (seed: number) =>
      `name: kill\nseed: ${seed}\nduration: 10s\ntraffic: { synthetic: { rate: 2000/s, service: { distribution: exponential, mean: 2ms } } }\nbalancer: { algorithm: ${resolve('test/fixtures/balancers/sleepy.js')} }\nbackends: [{ name: web, count: 6, concurrency: 4 }]\nreport: { interval: 1s }\n`;
    const args = ['compare', await scenarioFile('kill-a.yaml', sleepy(41)), await scenarioFile('kill-b.yaml', sleepy(51)), '--replications', '2', '--format', 'json'];
    const victim = workers[0]!;
    const before = victim.log().length;
    const clusterRun = runCli([...args, '--redis', redis, '--cluster-queue', queue], { timeoutMs: 90_000 });
    // Kill it while a job of this run is in its hands (started, not done).
    await victim.waitFor(new RegExp(`^[\\s\\S]{${before}}[\\s\\S]*\\(kill, seed \\d+\\): started`));
    victim.child.kill('SIGKILL');
    const killedDuring = victim.log().slice(before);
    const [cluster, local] = [await clusterRun, await runCli(args)];
    expectSameReport(cluster, local);
    // Its last word was a start: it died holding the job.
    expect(killedDuring.trimEnd().split('\n').at(-1)).toMatch(/\(kill, seed \d+\): started/);
    expect(cluster.stderr).toMatch(/its worker stopped answering; the job is retried on another worker/);
    workers[0] = await startWorker(redis, queue);
  });

  it('Redis unreachable: a clear message and exit 2 within seconds (coordinator and worker)', async () => {
    const port = await freePort();
    const file = await scenarioFile('down.yaml', sweep('down', 1, '100/s'));
    // What starting the binary costs on this machine now (it swings with the load), to compare with.
    let started = performance.now();
    const baseline = await runCli(['compare', join(dir, 'no-such.yaml'), '--algorithms', 'round-robin,random']);
    expect(baseline.code).toBe(2);
    const startup = performance.now() - started;
    started = performance.now();
    const r = await runCli(['compare', file, '--algorithms', 'round-robin,random', '--redis', `redis://127.0.0.1:${port}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`lbsim: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.*is redis-server running there`));
    expect(hasStackTrace(r.stderr)).toBe(false);
    // Within seconds: at most 4 s more than failing on a missing file, plus that again for
    // loading BullMQ and ioredis, which the missing-file path never does (on a loaded
    // machine loading modules is what takes the time; a client that retried forever
    // would still run into the 60 s limit of runCli and fail here).
    expect(performance.now() - started).toBeLessThan(4_000 + 2 * startup);
    const w = await runCli(['worker', '--redis', `redis://127.0.0.1:${port}`]);
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/cannot reach Redis/);
  });
});
