/**
 * Live terminal UI or plain output for `lbsim run` (one thread or split). The UI opens only for a person at a
 * terminal: stdout and stdin are TTYs, not CI, TERM is not dumb, and the output is the
 * text summary (not --format json|csv, not --no-tui, not --progress, whose lines on
 * stderr would tear the screen). Everything else gets exactly the plain output.
 */
import { formatText } from '../report/text.ts';
import type { Scenario } from '../scenario/load.ts';
import { runScenario } from '../simulate.ts';
import type { CliContext } from './context.ts';
import { emit } from './output.ts';
import { formatCount } from '../scenario/units.ts';
import type { ClusterOptions } from '../cluster/options.ts';
import { runSplit } from '../parallel/run-split.ts';
import type { TimeSplitStats } from '../parallel/time-split.ts';
import { unsplittableReason } from '../parallel/windows.ts';
import type { Report } from '../report/types.ts';
import type { SplitProgress } from '../ui/live-view.tsx';

export interface TuiChoice {
  /** `--no-tui` sets it false. @default true */
  tui?: boolean;
  /** @default 'text' */
  format?: string;
  progress?: boolean;
}

export interface TuiEnvironment {
  env: NodeJS.ProcessEnv;
  stdoutIsTTY: boolean;
  stdinIsTTY: boolean;
}

function currentEnvironment(): TuiEnvironment {
  return { env: process.env, stdoutIsTTY: process.stdout.isTTY === true, stdinIsTTY: process.stdin.isTTY === true };
}

/** CI as CI services announce it (CI=true, CI=1, ...); CI=false or 0 is not CI. */
export function inCi(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/** Why the plain output is used, or null when the live UI may open. */
export function plainOutputReason(opts: TuiChoice, environment: TuiEnvironment = currentEnvironment()): string | null {
  if (opts.tui === false) return '--no-tui';
  if (opts.format !== undefined && opts.format !== 'text') return `--format ${opts.format}`;
  if (opts.progress) return '--progress';
  if (!environment.stdoutIsTTY) return 'stdout is not a terminal';
  if (!environment.stdinIsTTY) return 'stdin is not a terminal (no keys for the dashboard)';
  if (inCi(environment.env)) return 'CI';
  if (environment.env.TERM === 'dumb') return 'TERM=dumb';
  return null;
}

export function shouldUseTui(opts: TuiChoice, environment: TuiEnvironment = currentEnvironment()): boolean {
  return plainOutputReason(opts, environment) === null;
}

/** The live view redraws this often: a frame costs ink ~7 ms of CPU here (benchmarks/ui.ts), so 4 a second cost ~3% of a run. */
export const LIVE_UPDATE_MS = 250;

/**
 * ink and React load only when the UI opens, so plain and machine output start without
 * them. React's development build (the default without NODE_ENV) checks every element and
 * makes each live frame ~20% dearer; a CLI runs the production build unless told otherwise.
 */
type TerminalUi = typeof import('../ui/terminal.tsx');

async function loadTerminalUi(): Promise<TerminalUi> {
  process.env.NODE_ENV ??= 'production';
  return import('../ui/terminal.tsx');
}

export interface TuiRunOptions {
  seed?: number;
  /** The text summary goes to this file instead of stdout. */
  out?: string;
}

/**
 * Runs the scenario under the live view, then shows the dashboard until `q`. The text
 * summary is written after the dashboard closes (or to --out at once), so the shell's
 * scrollback keeps the result.
 */
export async function runWithTui(scenario: Scenario, opts: TuiRunOptions, ctx: CliContext): Promise<void> {
  const { showDashboard, startLiveView } = await loadTerminalUi();
  const live = startLiveView({
    scenario: scenario.name,
    algorithm: scenario.balancer.algorithm,
    backends: scenario.backends.map((b) => ({ name: b.name, concurrency: b.concurrency, queue: b.queue })),
  });
  const started = performance.now();
  let report;
  try {
    report = await runScenario(scenario, {
      ...(opts.seed === undefined ? {} : { seed: opts.seed }),
      signal: ctx.signal,
      onProgress: (p) => live.update(p),
      progressIntervalMs: LIVE_UPDATE_MS,
    });
  } finally {
    live.stop();
  }
  const wall = (performance.now() - started) / 1000;
  await showResult(report, opts.out, wall, showDashboard);
  ctx.info(`simulated ${formatCount(report.requests.total)} requests in ${wall.toFixed(2)} s`);
}

export interface SplitTuiOptions extends TuiRunOptions {
  threads: number;
  /** --windows K; unset, the windows are cut while the run goes. */
  windows?: number;
  cluster?: ClusterOptions;
}

/**
 * A split run (`--threads N`, `--redis`) under its live view, then the dashboard and the
 * text summary as for one thread; the caller says where it ran. runSplit's notes (why a
 * run was not split in time) would tear the live screen: they are held and printed once
 * it is gone, cancelled or not.
 */
export async function runSplitWithTui(scenario: Scenario, opts: SplitTuiOptions, ctx: CliContext): Promise<{ report: Report; stats: TimeSplitStats | undefined; wallSeconds: number }> {
  const { showDashboard, startSplitLiveView } = await loadTerminalUi();
  const live = startSplitLiveView({
    scenario: scenario.name,
    algorithm: scenario.balancer.algorithm,
    backends: scenario.backends.length,
    threads: opts.cluster === undefined ? opts.threads : undefined,
    windows: opts.windows,
    notSplit: unsplittableReason(scenario),
  });
  const notes: string[] = [];
  // A user's balancer that cannot be split is found out once the run starts: the view then says where it really runs.
  let notSplit: string | undefined;
  const started = performance.now();
  // Windows report progress many times a second between them: redraw at most every LIVE_UPDATE_MS, the latest figures last.
  let latest: SplitProgress | undefined;
  let drawn = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    timer = undefined;
    drawn = performance.now();
    if (latest !== undefined) live.update(latest);
    latest = undefined;
  };
  let result;
  try {
    result = await runSplit(scenario, {
      threads: opts.threads,
      ...(opts.cluster === undefined ? {} : { cluster: opts.cluster }),
      ...(opts.windows === undefined ? {} : { windows: opts.windows }),
      ...(opts.seed === undefined ? {} : { seed: opts.seed }),
      signal: ctx.signal,
      onNote: (m) => notes.push(m),
      onNotSplit: (why) => {
        notSplit = why;
      },
      onProgress: (p) => {
        latest = { ...p, wallMs: performance.now() - started, ...(notSplit === undefined ? {} : { notSplit }) };
        if (timer !== undefined) return;
        const wait = drawn + LIVE_UPDATE_MS - performance.now();
        if (wait <= 0) draw();
        else timer = setTimeout(draw, wait);
      },
    });
  } finally {
    clearTimeout(timer);
    live.stop();
    for (const m of notes) ctx.info(m);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  await showResult(result.report, opts.out, wallSeconds, showDashboard);
  return { ...result, wallSeconds };
}

/**
 * After a live view: the dashboard until `q`, and the text summary — to --out at once, or
 * to stdout once the dashboard has closed, so the shell's scrollback keeps the result.
 */
async function showResult(report: Report, out: string | undefined, wallSeconds: number, showDashboard: TerminalUi['showDashboard']): Promise<void> {
  if (out !== undefined) await emit(formatText(report), out);
  await showDashboard(report, { wallSeconds });
  if (out === undefined) await emit(formatText(report), undefined);
}
