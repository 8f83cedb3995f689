/**
 * Ctrl-C and SIGTERM at a real terminal, and a split run's live view there. The binary runs under `script` (util-linux), which
 * gives it a pseudo-terminal, so the live views open and ink (with its signal-exit) is
 * loaded: the case a pipe never shows. Ctrl-C is typed into the terminal (byte 0x03, which
 * the terminal turns into SIGINT for the foreground process), SIGTERM is sent to the
 * process itself. Either must cancel cleanly: the one-line "cancelled" message, exit 130,
 * no temporary or partial output left behind. `script -e` reports a child killed by a
 * signal as 128 + its number, so the message and the files tell a clean exit apart.
 * Needs `script` (Debian: bsdutils, an essential package) and a built dist/.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, BIN } from '../helpers/cli.ts';

function scriptMissing(): string | null {
  const r = spawnSync('script', ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined || !/util-linux/.test(r.stdout)) return '`script` from util-linux is not installed (Debian: bsdutils)';
  return null;
}

const missing = scriptMissing();
if (missing !== null) process.stderr.write(`test/e2e/tty-signals.test.ts skipped: ${missing}\n`);

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

interface Terminal {
  child: ChildProcess;
  /** Everything the terminal showed so far (escape codes included). */
  output(): string;
  /** The lbsim process's pid (the shell script starts execs it). */
  pid(): number;
  exited: Promise<number | null>;
}

/** Starts `lbsim ARGS` on a pseudo-terminal in `dir`, as a person at a terminal would (no CI, a real TERM). */
function atTerminal(dir: string, args: string[]): Terminal {
  // The terminal `script` opens takes its size from script's own stdin, a pipe here: 0×0,
  // on which ink redraws by clearing the screen and never shows a frame's text.
  const command = `stty rows 40 cols 120; echo LBSIM_PID=$$; exec ${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(' ')}`;
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', SHELL: '/bin/sh' };
  delete env.CI;
  const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    output: () => out,
    pid: () => Number(/LBSIM_PID=(\d+)/.exec(out)?.[1]),
    exited,
  };
}

async function waitFor(test: () => boolean, what: string, t: Terminal, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; the terminal showed:\n${t.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** 1.5 M rows (≈ 45 MB), a thousand a second: an import that takes seconds, long past the first frame of its progress bar. */
function bigCsv(file: string): void {
  const blocks = ['timestamp,duration_ms\n'];
  const t0 = Date.parse('2024-04-15T10:00:00Z');
  for (let s = 0; s < 1500; s++) blocks.push(`${new Date(t0 + s * 1000).toISOString()},1.250\n`.repeat(1000));
  writeFileSync(file, blocks.join(''));
}

/** 4 M requests: the live view is up long before the run could end. */
const SCENARIO = `name: tty-signals
seed: 5
duration: 10m
traffic:
  synthetic:
    rate: 7000/s
    service: { distribution: exponential, mean: 1ms }
balancer: { algorithm: round-robin }
backends:
  - { name: a, concurrency: 4 }
  - { name: b, concurrency: 4 }
`;

describe.skipIf(missing !== null)(`Ctrl-C and SIGTERM at a terminal${missing === null ? '' : ` (skipped: ${missing})`}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbsim-tty-signals-'));
  const running: Terminal[] = [];
  const csv = join(dir, 'big.csv');
  beforeAll(() => bigCsv(csv));
  afterAll(() => {
    for (const t of running) if (t.child.exitCode === null) t.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('dist/ is built', () => {
    expect(() => assertBuilt()).not.toThrow();
  });

  for (const how of ['Ctrl-C', 'SIGTERM'] as const) {
    it.concurrent(`import with its live progress bar: ${how} exits 130, says "import cancelled", leaves no temp file`, async () => {
      const work = join(dir, `import-${how}`);
      const out = join(work, 'out');
      rmSync(work, { recursive: true, force: true });
      mkdirSync(out, { recursive: true });
      const t = atTerminal(work, ['import', csv, '--threads', '1', '-o', join(out, 'big.lbt')]);
      running.push(t);
      // The bar is up and the temp file beside the target is being written.
      await waitFor(() => t.output().includes('importing big.csv') && readdirSync(out).some((f) => f.startsWith('.big.lbt.tmp-')), 'the progress bar and the temp file', t);
      if (how === 'Ctrl-C') t.child.stdin!.write('\x03');
      else process.kill(t.pid(), 'SIGTERM');
      const code = await t.exited;
      expect(t.output()).toContain('lbsim: import cancelled');
      expect(code).toBe(130);
      expect(readdirSync(out)).toEqual([]);
    });
  }

  const runs = [
    { how: 'Ctrl-C', threads: 1 },
    { how: 'SIGTERM', threads: 1 },
    { how: 'Ctrl-C', threads: 2 },
  ] as const;
  for (const { how, threads } of runs) {
    const view = threads > 1 ? 'the split live view' : 'its live view';
    it.concurrent(`run ${threads > 1 ? `--threads ${threads} ` : ''}with ${view}: ${how} exits 130, says "run cancelled", writes no -o file, shows the cursor again`, async () => {
      const work = mkdtempSync(join(dir, 'run-'));
      writeFileSync(join(work, 's.yaml'), SCENARIO);
      const t = atTerminal(work, ['run', 's.yaml', '-o', 'report.txt', ...(threads > 1 ? ['--threads', String(threads)] : [])]);
      running.push(t);
      await waitFor(() => t.output().includes('Ctrl-C cancels') && (threads === 1 || t.output().includes(`split over ${threads} threads`)), view, t);
      if (how === 'Ctrl-C') t.child.stdin!.write('\x03');
      else process.kill(t.pid(), 'SIGTERM');
      const code = await t.exited;
      expect(t.output()).toContain('lbsim: run cancelled');
      expect(code).toBe(130);
      expect(readdirSync(work)).toEqual(['s.yaml']);
      // ink hid the cursor for the live view; cancelling must show it again.
      expect(t.output().lastIndexOf('\x1b[?25h')).toBeGreaterThan(t.output().lastIndexOf('\x1b[?25l'));
    });
  }

  it.concurrent('run --threads 2 at a terminal: the split live view, then the dashboard; q prints the summary and where it ran', async () => {
    const work = mkdtempSync(join(dir, 'split-'));
    // 2 M requests: a few frames of the live view, and still quick. (A machine fast enough to end before the first progress report shows the last frame only.)
    writeFileSync(join(work, 's.yaml'), SCENARIO.replace('duration: 10m', 'duration: 5m'));
    const t = atTerminal(work, ['run', 's.yaml', '--threads', '2']);
    running.push(t);
    await waitFor(() => /sim \S+ of 5m00s|windows simulated: checking/.test(t.output()) && t.output().includes('split over 2 threads'), 'the split live view', t);
    await waitFor(() => t.output().includes('1-6/tab panels'), 'the dashboard', t, 30_000);
    t.child.stdin!.write('q');
    const code = await t.exited;
    expect(code).toBe(0);
    const after = t.output().slice(t.output().lastIndexOf('1-6/tab panels'));
    expect(after).toMatch(/tty-signals · round-robin · seed 5 · 5m00s/);
    expect(after).toMatch(/simulated [\d,]+ requests in [\d.]+ s on \d threads?/);
  });
});
