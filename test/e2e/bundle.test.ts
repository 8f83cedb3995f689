/**
 * The binary runs the bundle in dist/bundle (scripts/bundle.ts), whose worker threads are
 * entry points of their own beside its chunks (workerScript in src/parallel/worker-script.ts). Each
 * kind of worker is started from it here and must give what one thread gives: a replay
 * split in time, and a CSV import parsed in parallel (which needs a log of two 4 MB ranges
 * or more, so a 9 MB one is written).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneUserError, hasStackTrace, REPO_ROOT, runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'lbsim-bundle-'));

/** A 9 MB CSV log (two 4 MB ranges or more: parsed in parallel when asked). */
function bigCsv(): string {
  const csv = join(dir, 'big.csv');
  if (existsSync(csv)) return csv;
  const rows = ['timestamp,duration_ms,client_ip,path,status,backend'];
  const start = Date.parse('2024-04-15T10:00:00Z');
  for (let i = 0; i < 160_000; i++) rows.push(`${new Date(start + i).toISOString()},${(14 + ((i * 37) % 13)).toFixed(3)},203.0.113.${i % 200},/k${i % 50},200,web`);
  writeFileSync(csv, `${rows.join('\n')}\n`);
  return csv;
}

describe('the bundled binary', () => {
  it('is what bin/lbsim.js runs, with both worker scripts beside it', () => {
    expect(readFileSync(join(REPO_ROOT, 'bin', 'lbsim.js'), 'utf8')).toContain("from '../dist/bundle/lbsim.js'");
    for (const worker of ['sim-worker.js', 'import-worker.js']) expect(existsSync(join(REPO_ROOT, 'dist', 'bundle', worker)), worker).toBe(true);
  });

  // Every command loads the entry and the CLI's main chunk, and with them what they import
  // statically. piscina (and the UI's and the cluster's packages) must stay behind dynamic
  // imports: a command that starts no thread should not pay for loading them (~10 ms).
  it('loads no worker-thread, terminal-UI or cluster package for a command that needs none', () => {
    const dir = join(REPO_ROOT, 'dist', 'bundle');
    const entry = readFileSync(join(dir, 'lbsim.js'), 'utf8');
    const cli = /import\("\.\/(main-[\w-]+\.js)"\)/.exec(entry)?.[1];
    expect(cli, 'the entry imports the CLI chunk').toBeDefined();
    const seen = new Set<string>();
    const packages = new Set<string>();
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/^import\s+(?:[^'"();]*?\s+from\s+)?["']([^"']+)["'];?$/gm)) {
        if (m[1]!.startsWith('./')) walk(m[1]!.slice(2));
        else packages.add(m[1]!);
      }
    };
    walk('lbsim.js');
    walk(cli!);
    expect(seen.size).toBeGreaterThan(3);
    expect(packages).toContain('node:fs');
    for (const lazy of ['piscina', 'node:worker_threads', 'ink', 'react', 'bullmq', 'ioredis']) expect(packages, lazy).not.toContain(lazy);
  });

  it('imports a 9 MB CSV log on 2 worker threads into the same trace as serially', async () => {
    const csv = bigCsv();
    const [serial, parallel] = await Promise.all([
      runCli(['import', csv, '-o', join(dir, 'serial.lbt'), '--threads', '1']),
      runCli(['import', csv, '-o', join(dir, 'parallel.lbt'), '--threads', '2']),
    ]);
    expect(serial.code, serial.stderr).toBe(0);
    expect(parallel.code, parallel.stderr).toBe(0);
    expect(parallel.stderr).toMatch(/imported 160,000 requests/);
    expect(readFileSync(join(dir, 'parallel.lbt')).equals(readFileSync(join(dir, 'serial.lbt')))).toBe(true);
  });

  it('replays a scenario split across the main thread and a worker into the one-thread report', async () => {
    const scenario = join(REPO_ROOT, 'scenarios', 'incident-2024-04-15', 'misconfigured.yaml');
    const [one, two] = await Promise.all([
      runCli(['run', scenario, '--format', 'json', '--threads', '1', '--no-tui']),
      runCli(['run', scenario, '--format', 'json', '--threads', '2', '--windows', '2', '--no-tui']),
    ]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    expect(two.stderr).toMatch(/on 2 threads, 2 windows/);
    expect(two.stdout).toBe(one.stdout);
  });

  // The bundle keeps only zod's English messages (scripts/bundle.ts); a mistake that only
  // zod's own message describes must still read as it does from the sources.
  it("a scenario mistake described by zod's own message: in English, one line", async () => {
    const file = join(dir, 'wrong-type.yaml');
    writeFileSync(file, 'name: z\nduration: 1s\ntraffic: { synthetic: { rate: 10/s, service: { distribution: constant, mean: 1ms } } }\nbalancer: { algorithm: round-robin }\nbackends: [{ name: web, weight: "x" }]\n');
    expectOneUserError(await runCli(['run', file, '--no-tui']), /wrong-type\.yaml:5: backends\[0\]\.weight: expected number, received string$/);
  });

  it('a worker script missing from an install: one line naming what failed, exit 70, no stack trace, no output file', async () => {
    const broken = join(REPO_ROOT, '.vitest-tmp', `bundle-${process.pid}`);
    rmSync(broken, { recursive: true, force: true });
    mkdirSync(join(REPO_ROOT, '.vitest-tmp'), { recursive: true });
    cpSync(join(REPO_ROOT, 'dist', 'bundle'), broken, { recursive: true });
    rmSync(join(broken, 'sim-worker.js'));
    rmSync(join(broken, 'import-worker.js'));
    try {
      const trace = join(dir, 'broken.lbt');
      const report = join(dir, 'broken.json');
      const [imported, ran] = await Promise.all([
        runCli(['import', bigCsv(), '-o', trace, '--threads', '2'], { bundle: broken }),
        runCli(['run', join(REPO_ROOT, 'scenarios', 'incident-2024-04-15', 'misconfigured.yaml'), '--threads', '2', '--windows', '2', '--no-tui', '-o', report], { bundle: broken }),
      ]);
      for (const [r, expected] of [
        [imported, /^lbsim: .*big\.csv: an import worker thread failed: .*import-worker\.js/],
        [ran, /^lbsim: .*a worker thread (could not start|failed): .*sim-worker\.js/],
      ] as const) {
        expect(r.code, r.stderr).toBe(70);
        expect(hasStackTrace(r.stderr), r.stderr).toBe(false);
        expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
        expect(r.stderr).toMatch(expected);
      }
      expect(existsSync(trace)).toBe(false);
      expect(existsSync(report)).toBe(false);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
