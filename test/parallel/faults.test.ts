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

const BIN = resolve('bin/lbsim.js');
const FIXTURE = resolve('test/fixtures/balancers/throws-later.js');

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
