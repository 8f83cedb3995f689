/**
 * Bounded memory: a run's statistics are histograms and per-interval buckets, never
 * per-request arrays, so its peak RSS must not grow with the number of requests.
 *
 * The real binary runs the model (16 round-robin backends, ρ 0.9) for 0.5 M and
 * for 8 M requests, with a preload that reports the process's peak RSS. The full
 * 50 M-request run (the bar: < 300 MB) takes ~20 s, too long for the suite; it is in
 * benchmarks/engine.ts (`npm run bench -- engine`) and its figure in benchmarks/RESULTS.md.
 *
 * Why these thresholds: measured here (2 cores, Node 20.20) the peak RSS is 90–120 MB;
 * between runs of different length it moved by up to 11 MB with the garbage collector's
 * timing (a longer run lets the heap grow further before a collection). Keeping anything
 * per request — even one float64 — costs ≥ 8 bytes × 7.5 M extra requests = 60 MB, so
 * an allowance of 25 MB for the longer run catches it while leaving room for GC timing.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, BIN, REPO_ROOT } from '../helpers/cli.ts';

const run = promisify(execFile);
const PRELOAD = join(REPO_ROOT, 'test', 'helpers', 'max-rss-on-exit.mjs');
/** 14 400 requests/s: 16 single-slot backends at ρ 0.9 with 1 ms mean service. */
const RATE = 14_400;
const GROWTH_ALLOWANCE_MB = 25;
const BAR_MB = 300;

let dir: string;
beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'lbsim-mem-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `lbsim run` on the model for `durationS` seconds; returns requests simulated and peak RSS in MB. */
async function peakRss(durationS: number): Promise<{ requests: number; mb: number }> {
  const file = join(dir, `mem-${durationS}.json`);
  await writeFile(
    file,
    JSON.stringify({
      name: 'bounded-memory',
      duration: `${durationS}s`,
      traffic: { synthetic: { rate: RATE, service: { distribution: 'exponential', mean: 1 } } },
      balancer: { algorithm: 'round-robin' },
      backends: [{ name: 'web', count: 16 }],
    }),
  );
  const { stdout, stderr } = await run(process.execPath, ['--import', PRELOAD, BIN, 'run', file, '--format', 'json'], {
    maxBuffer: 64 << 20,
    // A leak can take the machine's memory within a minute; the run takes seconds.
    timeout: 120_000,
    killSignal: 'SIGKILL',
  });
  const m = /maxRssKb=(\d+)/.exec(stderr);
  if (!m) throw new Error(`no maxRssKb in stderr: ${stderr}`);
  return { requests: (JSON.parse(stdout) as { requests: { total: number } }).requests.total, mb: Number(m[1]) / 1024 };
}

describe('bounded memory', () => {
  it('peak RSS stays under 300 MB and does not grow with the number of requests', async () => {
    // One after the other, so the two children do not compete for the two cores.
    const short = await peakRss(35); // ≈ 0.5 M requests
    const long = await peakRss(560); // ≈ 8 M requests
    expect(short.requests).toBeGreaterThan(480_000);
    expect(long.requests).toBeGreaterThan(7_950_000);
    expect(long.mb).toBeLessThan(BAR_MB);
    expect(long.mb - short.mb, `peak RSS ${short.mb.toFixed(1)} MB for ${short.requests} requests, ${long.mb.toFixed(1)} MB for ${long.requests}`).toBeLessThan(GROWTH_ALLOWANCE_MB);
  });
});
