/**
 * Faults in worker threads, through the real binary: a user's balancer that throws inside
 * a worker ends the run with one message naming the window and the file (exit 2), and
 * Ctrl-C cancels every worker and exits 130 without leaving a report file behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { taskError } from '../../src/parallel/executor.ts';
import { TraceWriter } from '../../src/traffic/lbt/writer.ts';

const BIN = resolve('bin/lbsim.js');
const FIXTURE = resolve('test/fixtures/balancers/throws-later.js');
const THROWS_AT = resolve('test/fixtures/balancers/throws-at.js');

function scenario(dir: string, algorithm: string, duration: string): string {
  const file = join(dir, 'scenario.yaml');
  writeFileSync(
    file,
    `name: faults
duration: ${duration}
traffic: { synthetic: { rate: 2000/s, service: { distribution: exponential, mean: 1ms } } }
balancer: { algorithm: ${algorithm} }
backends: [{ name: web, count: 4 }]
`,
  );
  return file;
}

describe('worker faults', () => {
  it("a user's balancer that throws in a worker: one clear message naming the window, exit 2, no hang", () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbsim-faults-'));
    const file = scenario(dir, FIXTURE, '60s');
    const r = spawnSync(process.execPath, [BIN, 'run', file, '--threads', '2', '--out', join(dir, 'out.json')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/window \d of 2 .*throws-later\.js(:\d+)?: pick\(\) threw on request 20000: cursor out of range/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(join(dir, 'out.json'))).toBe(false);
  });

  // A trace replay's windows are cut while it runs (src/parallel/dynamic-windows.ts): a
  // fault on either thread must still end the run at once, with the window named.
  it('a trace replay split while it runs: a throw late in the trace (a worker’s window) or early (the main thread’s) ends the run the same way', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbsim-faults-trace-'));
    const trace = join(dir, 't.lbt');
    const w = new TraceWriter(trace);
    for (let i = 0; i < 3_000_000; i++) w.push(i * 0.4, 1, i % 1000, 0, 0);
    w.finish();
    for (const at of [2_900_000, 100]) {
      const file = join(dir, `at-${at}.yaml`);
      writeFileSync(file, `name: faults-trace\ntraffic: { trace: ${trace} }\nbalancer: { algorithm: ${THROWS_AT}, at: ${at} }\nbackends: [{ name: web, count: 4 }]\n`);
      const r = spawnSync(process.execPath, [BIN, 'run', file, '--threads', '2', '--out', join(dir, 'out.json')], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`window \\d of 2 .*throws-at\\.js(:\\d+)?: pick\\(\\) threw on request ${at}: cursor out of range`));
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(dir, 'out.json'))).toBe(false);
    }
  });

  it('Ctrl-C cancels all workers, exits 130 and leaves no partial report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbsim-sigint-'));
    const file = scenario(dir, 'least-connections', '2h');
    const out = join(dir, 'out.json');
    const child = spawn(process.execPath, [BIN, 'run', file, '--threads', '2', '--out', out, '--progress'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    // Wait until the workers report progress, then interrupt.
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no progress within 60 s: ${stderr}`)), 60_000);
      child.stderr.on('data', () => {
        if (stderr.includes('progress')) {
          clearTimeout(timer);
          res();
        }
      });
    });
    const started = Date.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    expect(code).toBe(130);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(stderr).toContain('cancelled');
  });
});

describe('a failed task as its caller is told', () => {
  it('names the task for a failure, but a cancelled task is the run cancelled, without the window\'s name', () => {
    const failed = taskError('window 2 of 3 (10s–20s)', 'BALANCER_ERROR', 'my-balancer.js: pick() threw');
    expect([failed.code, failed.message]).toEqual(['BALANCER_ERROR', 'window 2 of 3 (10s–20s): my-balancer.js: pick() threw']);
    const internal = taskError('window 1 of 2 (0s–end)', 'INTERNAL', 'boom');
    expect([internal.code, internal.exitCode]).toEqual(['WORKER_FAILED', 70]);
    // Ctrl-C can reach the user through a window's result first (a race the TTY test met): still one plain message.
    const cancelled = taskError('window 1 of 2 (0s–end)', 'CANCELLED', 'run cancelled');
    expect([cancelled.code, cancelled.message]).toEqual(['CANCELLED', 'run cancelled']);
  });
});
