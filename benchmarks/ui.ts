/**
 * benchmarks/ui: what the live terminal UI costs a run. The real binary runs the same
 * scenario (≈ 6 M requests, 12 backends, overloaded so the counters move) in a
 * pseudo-terminal (util-linux `script`), alternately with the live view and with
 * --no-tui, 5 times each; each run's own figure "simulated N requests in X s" (the run
 * alone, from the CLI's note) is compared, median against median. When the dashboard
 * appears the benchmark presses q.
 *
 * Each process also runs under /usr/bin/time for its CPU seconds (start-up to exit).
 *
 * Also, in process: the cost of one live-view frame (React + ink layout + output to a
 * discarding stream), the whole per-update price of the live view; it redraws every
 * LIVE_UPDATE_MS, so frame CPU ms / LIVE_UPDATE_MS is the share of a run it costs.
 *
 * The gate, in process: the same scenario through runScenario, alternately with the live
 * view drawing through ink (as the CLI does, into a discarding 100×30 terminal) and
 * without it, 5 runs each, CPU seconds per run (robust to the load other processes put
 * on a shared machine). Bar: median(live) / median(no UI) ≤ 1.10.
 *
 * The real-binary figures above are printed, not judged (see the comment in main).
 * Exits 1 when the bar is missed. Builds dist/ first.
 *
 *   npm run bench -- ui
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { LIVE_UPDATE_MS } from '../src/cli/tui.ts';
import type { Progress } from '../src/simulate.ts';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const RUNS = 5;
const BAR_RATIO = 1.1;
const BACKENDS = 12;

const SCENARIO = `name: bench-ui
seed: 9
duration: 10m
timeout: 2s
traffic:
  synthetic:
    rate: 10000/s
    service: { distribution: exponential, mean: 1ms }
balancer: { algorithm: power-of-two }
backends:
  - { name: web, count: ${BACKENDS}, concurrency: 1, queue: 50 }
report: { interval: 1s }
`;

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]/g;

interface Measured {
  runSeconds: number;
  /** CPU seconds (user + system) of the whole process, start to exit, when /usr/bin/time is there. */
  cpuSeconds: number;
  requests: number;
}

const TIME = '/usr/bin/time';
const hasTime = existsSync(TIME);

/** Runs the binary in a 100×30 pseudo-terminal; presses q when the dashboard shows. */
function runInPty(file: string, live: boolean): Promise<Measured> {
  const cmd = `stty cols 100 rows 30; exec ${hasTime ? `${TIME} -f 'lbsim-cpu %U %S' ` : ''}node bin/lbsim.js run '${file}'${live ? '' : ' --no-tui'}`;
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
  delete env.CI;
  delete env.NO_COLOR;
  return new Promise((done, fail) => {
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: REPO, env, stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let quit = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      if (live && !quit && out.includes('1-6/tab panels')) {
        quit = true;
        child.stdin.write('q');
      }
    });
    child.on('error', fail);
    child.on('close', (code) => {
      const text = out.replace(ANSI, '');
      const m = /simulated ([\d,]+) requests in ([\d.]+) s/.exec(text);
      if (code !== 0 || m === null) return fail(new Error(`lbsim exited ${code}; output:\n${text.slice(-2000)}`));
      if (live && !quit) return fail(new Error('the dashboard never appeared'));
      const cpu = /lbsim-cpu ([\d.]+) ([\d.]+)/.exec(text);
      done({ requests: Number(m[1]!.replace(/,/g, '')), runSeconds: Number(m[2]), cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : Number.NaN });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** ms per live-view frame (wall and CPU), rendered through ink to a stream that discards the bytes. */
async function frameCost(): Promise<{ wallMs: number; cpuMs: number }> {
  // React's production build, as the CLI runs it (src/cli/tui.ts): set before React loads.
  process.env.NODE_ENV ??= 'production';
  const { render } = await import('ink');
  const { createElement } = await import('react');
  const { LiveView } = await import('../src/ui/live-view.tsx');
  const { ThemeContext } = await import('../src/ui/theme.tsx');
  const sink = Object.assign(new Writable({ write: (_c, _e, cb) => cb() }), { columns: 100, rows: 30, isTTY: true }) as unknown as NodeJS.WriteStream;
  const backends = Array.from({ length: BACKENDS }, (_, i) => ({ name: `web-${i + 1}`, concurrency: 1, queue: 50 }));
  const progress = (k: number): Progress => ({
    now: k * 100,
    end: 600_000,
    events: k * 1e5,
    arrived: k * 5e4,
    rejected: k * 10,
    timedOut: k,
    inFlight: backends.map((_, b) => (k + b) % 40),
    queued: backends.map((_, b) => (k + b) % 39),
    wallMs: k * 30,
  });
  const view = (k: number) => createElement(ThemeContext.Provider, { value: { color: true } }, createElement(LiveView, { scenario: 'bench-ui', algorithm: 'power-of-two', backends, progress: progress(k), columns: 100, rows: 30 }));
  // maxFps high so ink does not throttle: every rerender is a full frame.
  const instance = render(view(0), { stdout: sink, patchConsole: false, exitOnCtrlC: false, maxFps: 100_000 });
  for (let k = 1; k <= 200; k++) instance.rerender(view(k)); // warm-up
  const frames = 1000;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 1; k <= frames; k++) instance.rerender(view(k));
  const wallMs = (performance.now() - t0) / frames;
  const cpu = process.cpuUsage(c0);
  instance.unmount();
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 / frames };
}

/**
 * The gate: the same run in this process, alternately with the live view drawing
 * through ink (startLiveView, as the CLI does, into a discarding 100×30 "terminal") and
 * without (a cancellation signal only, as the plain CLI path). CPU seconds of each run.
 */
async function inProcess(): Promise<{ live: number[]; plain: number[]; requests: number }> {
  process.env.NODE_ENV ??= 'production';
  const { parseScenario } = await import('../src/scenario/load.ts');
  const { runScenario } = await import('../src/simulate.ts');
  const { startLiveView } = await import('../src/ui/terminal.tsx');
  const scenario = parseScenario(SCENARIO);
  const sink = Object.assign(new Writable({ write: (_c, _e, cb) => cb() }), { columns: 100, rows: 30, isTTY: true }) as unknown as NodeJS.WriteStream;
  const live: number[] = [];
  const plain: number[] = [];
  let requests = 0;
  for (let i = 0; i < RUNS; i++) {
    for (const withUi of i % 2 === 0 ? [false, true] : [true, false]) {
      const signal = new AbortController().signal;
      const c0 = process.cpuUsage();
      let report;
      if (withUi) {
        const view = startLiveView({ scenario: scenario.name, algorithm: scenario.balancer.algorithm, backends: scenario.backends }, { stdout: sink, color: true });
        try {
          report = await runScenario(scenario, { signal, onProgress: (p) => view.update(p), progressIntervalMs: LIVE_UPDATE_MS });
        } finally {
          view.stop();
        }
      } else {
        report = await runScenario(scenario, { signal });
      }
      const c = process.cpuUsage(c0);
      requests = report.requests.total;
      (withUi ? live : plain).push((c.user + c.system) / 1e6);
      process.stdout.write(`  in process, ${withUi ? 'live view' : 'no UI    '}  ${((c.user + c.system) / 1e6).toFixed(2)} s CPU\n`);
    }
  }
  return { live, plain, requests };
}

async function main(): Promise<number> {
  const script = spawnSync('script', ['--version'], { encoding: 'utf8' });
  if (script.status !== 0) {
    process.stderr.write('bench ui: needs util-linux `script` for a pseudo-terminal\n');
    return 1;
  }
  process.stdout.write('building dist/ ...\n');
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: 'inherit' });
  if (build.status !== 0) return 1;

  const frame = await frameCost();
  process.stdout.write(
    `live-view frame: ${frame.wallMs.toFixed(2)} ms wall, ${frame.cpuMs.toFixed(2)} ms CPU (one every ${LIVE_UPDATE_MS} ms: ${((frame.cpuMs / LIVE_UPDATE_MS) * 100).toFixed(1)}% of a run's CPU)\n`,
  );

  const a = await inProcess();
  const inProcessRatio = median(a.live) / median(a.plain);
  process.stdout.write(
    `in process: ${a.requests.toLocaleString('en-US')} requests; median CPU no UI ${median(a.plain).toFixed(2)} s, live view ${median(a.live).toFixed(2)} s; ratio ${inProcessRatio.toFixed(3)} (bar ≤ ${BAR_RATIO})\n`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'lbsim-bench-ui-'));
  try {
    const file = join(dir, 'bench-ui.yaml');
    writeFileSync(file, SCENARIO);
    const live: number[] = [];
    const plain: number[] = [];
    const liveCpu: number[] = [];
    const plainCpu: number[] = [];
    let requests = 0;
    for (let i = 0; i < RUNS; i++) {
      // Alternate, so drift in the machine's load hits both alike.
      for (const withUi of i % 2 === 0 ? [false, true] : [true, false]) {
        const m = await runInPty(file, withUi);
        requests = m.requests;
        (withUi ? live : plain).push(m.runSeconds);
        (withUi ? liveCpu : plainCpu).push(m.cpuSeconds);
        process.stdout.write(`  ${withUi ? 'live view' : '--no-tui '}  run ${m.runSeconds.toFixed(2)} s wall, process ${m.cpuSeconds.toFixed(2)} s CPU\n`);
      }
    }
    const ratio = median(live) / median(plain);
    const cpuRatio = median(liveCpu) / median(plainCpu);
    process.stdout.write(
      `${requests.toLocaleString('en-US')} requests; run wall: median --no-tui ${median(plain).toFixed(2)} s (${(requests / median(plain) / 1e6).toFixed(2)} M req/s), live view ${median(live).toFixed(2)} s, ratio ${ratio.toFixed(3)}\n` +
        `process CPU: median --no-tui ${median(plainCpu).toFixed(2)} s, live view ${median(liveCpu).toFixed(2)} s, ratio ${cpuRatio.toFixed(3)} (bar ≤ ${BAR_RATIO})\n`,
    );
    // The bar is on the in-process CPU ratio: what the live view adds to a run. The real
    // binary's figures are printed, not judged: on a shared 2-core machine wall time swings
    // by more than the 10% being measured, and its process CPU includes one-off costs a
    // run's length does not scale (loading ink and React, ~0.5 s CPU here; the dashboard).
    if (inProcessRatio > BAR_RATIO) {
      process.stderr.write(`bench ui: the live view costs ${((inProcessRatio - 1) * 100).toFixed(1)}% of a run (bar ${((BAR_RATIO - 1) * 100).toFixed(0)}%)\n`);
      return 1;
    }
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
