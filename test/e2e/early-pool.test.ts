/**
 * Worker threads started before the CLI loads (src/cli/early-pool.ts, src/parallel/
 * early-pool.ts): which command lines start them, that a fitting pool is adopted, and that
 * one nobody takes never keeps the process alive or changes a result.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { earlyPoolSize } from '../../src/cli/early-pool.ts';
import { endEarlyPool, takeEarly } from '../../src/parallel/early-pool.ts';
import { startPoolEarly, takePool } from '../../src/parallel/pool.ts';
import { runCli } from '../helpers/cli.ts';

const argv = (line: string) => ['node', 'lbsim', ...line.split(' ').filter((a) => a !== '')];

describe('the pool size a command line will ask for', () => {
  it('run only with --threads N; compare, diff and capacity by default with the cores; never on a cluster or for help', () => {
    const cores = availableParallelism();
    expect(earlyPoolSize(argv('run s.yaml'))).toBe(0);
    expect(earlyPoolSize(argv('run s.yaml --threads 3'))).toBe(3);
    expect(earlyPoolSize(argv('run --threads=4 s.yaml'))).toBe(4);
    expect(earlyPoolSize(argv('run s.yaml --threads 2 --redis redis://x'))).toBe(0);
    expect(earlyPoolSize(argv('run s.yaml --threads two'))).toBe(0);
    expect(earlyPoolSize(argv('compare a.yaml b.yaml'))).toBe(cores);
    expect(earlyPoolSize(argv('diff a.cfg b.cfg --threads 1'))).toBe(1);
    expect(earlyPoolSize(argv('capacity s.yaml --help'))).toBe(0);
    expect(earlyPoolSize(argv('import x.log -o x.lbt --threads 2'))).toBe(0);
    expect(earlyPoolSize(argv('--help'))).toBe(0);
  });
});

describe('adopting the early pool', () => {
  afterAll(endEarlyPool);

  it('the first pool of at most its size is the early one; a bigger request gets a new pool', async () => {
    startPoolEarly(2);
    const early = takeEarly()!;
    expect(early.threads).toBe(2);
    startPoolEarly(1); // one thread: no pool worth starting early
    expect(takeEarly()).toBeUndefined();
    // Put it back as the CLI would have left it, then ask.
    const { keepEarly } = await import('../../src/parallel/early-pool.ts');
    keepEarly(early);
    const taken = takePool(2);
    expect(taken).toBe(early);
    keepEarly(takePool(2)); // a new one (nothing early left), kept early again
    const bigger = takePool(3);
    expect(bigger.threads).toBe(3);
    expect(takeEarly()).toBeUndefined();
    await Promise.all([taken.destroy(), bigger.destroy()]);
  });
});

describe('through the binary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbsim-early-'));
  const scenario = (extra: string) => {
    const file = join(dir, `s${extra.length}.yaml`);
    writeFileSync(file, `name: early\nseed: 3\nduration: 20s\n${extra}\ntraffic: { synthetic: { rate: 2000/s, service: { distribution: exponential, mean: 3ms } } }\nbalancer: { algorithm: round-robin }\nbackends: [{ name: web, count: 8 }]\n`);
    return file;
  };

  it('run --threads 2 splits with the early pool and gives the one-thread report byte for byte', async () => {
    const file = scenario('');
    const one = await runCli(['run', file, '--format', 'json', '-o', join(dir, '1.json')]);
    const two = await runCli(['run', file, '--threads', '2', '--format', 'json', '-o', join(dir, '2.json')]);
    expect([one.code, two.code]).toEqual([0, 0]);
    expect(two.stderr).toMatch(/on 2 threads, 2 windows/);
    expect(readFileSync(join(dir, '2.json'), 'utf8')).toBe(readFileSync(join(dir, '1.json'), 'utf8'));
  });

  it('an early pool nobody takes (a usage error, a missing file) ends with the process, at once', async () => {
    const started = performance.now();
    const missing = await runCli(['run', join(dir, 'missing.yaml'), '--threads', '2']);
    const usage = await runCli(['compare', scenario(''), '--replications', 'many']);
    expect([missing.code, usage.code]).toEqual([2, 2]);
    expect(missing.stderr).toMatch(/missing\.yaml: no such file/);
    // Threads left running must not hold the process (piscina unrefs idle threads, and main ends the pool anyway).
    expect(performance.now() - started).toBeLessThan(30_000);
  });
});
