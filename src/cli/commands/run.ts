import { Command, Option } from 'commander';
import { formatCsv } from '../../report/csv.ts';
import { formatText } from '../../report/text.ts';
import type { Report } from '../../report/types.ts';
import { loadScenario } from '../../scenario/load.ts';
import { runScenario } from '../../simulate.ts';
import { checkOutputNotInput, emit } from '../output.ts';
import { LbsimError } from '../../errors.ts';
import { scenarioInputs, showImportWarnings } from '../inputs.ts';
import { parsePositiveInt, parseSeed, parseThreads } from '../options.ts';
import { runSplit } from '../../parallel/run-split.ts';
import type { TimeSplitStats } from '../../parallel/time-split.ts';
import type { Scenario } from '../../scenario/load.ts';
import { formatCount, formatDuration } from '../../scenario/units.ts';
import type { CliContext } from '../context.ts';
import { progressLine } from '../progress.ts';
import { runSplitWithTui, runWithTui, shouldUseTui } from '../tui.ts';
import { withReplayOverrides } from '../../traffic/prepare.ts';
import { addReplayOptions, type ReplayFlags } from './trace.ts';
import { addClusterOptions, type ClusterFlags, clusterOf } from '../cluster.ts';
import type { ClusterOptions } from '../../cluster/options.ts';

export type ReportFormat = 'text' | 'json' | 'csv';

export function formatReport(report: Report, format: ReportFormat): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (format === 'csv') return formatCsv(report);
  return formatText(report);
}

export function runCommand(ctx: CliContext): Command {
  return addClusterOptions(addReplayOptions(new Command('run')))
    .description('simulate a scenario and report latency, errors, per-backend load and overload')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('--seed <n>', 'random seed (overrides the scenario)', parseSeed)
    .addOption(new Option('--format <format>', 'output: text summary, full json report, or csv time series').choices(['text', 'json', 'csv']).default('text'))
    .option('-o, --out <file>', 'write the output to a file (atomically) instead of stdout')
    .option('--progress', 'print progress lines to stderr')
    .option('--no-tui', 'never open the terminal dashboard')
    .option('--threads <n>', 'split the run in time across n worker threads (exact: the report is byte-identical)', parseThreads)
    .option('--windows <k>', 'windows of the timeline when split (default: the thread count; with --redis the workers’ threads)', parsePositiveInt)
    .action(async (file: string, opts: { seed?: number; format: ReportFormat; out?: string; progress?: boolean; tui?: boolean; threads?: number; windows?: number } & ReplayFlags & ClusterFlags) => {
      checkOutputNotInput(opts.out, [file]);
      const scenario = withReplayOverrides(await loadScenario(file), opts);
      checkOutputNotInput(opts.out, scenarioInputs(scenario));
      showImportWarnings(scenario, ctx);
      if (scenario.traffic.kind === 'trace' && scenario.traffic.skippedRows > 0) ctx.info(`note: ${formatCount(scenario.traffic.skippedRows)} malformed rows were skipped when the trace was imported`);
      const cluster = clusterOf(opts, ctx);
      if (opts.windows !== undefined && cluster === undefined && (opts.threads ?? 1) <= 1) throw new LbsimError('USAGE', '--windows K splits a run across threads: add --threads N (N ≥ 2) or --redis URL');
      if (cluster !== undefined || (opts.threads ?? 1) > 1) return runSplitCommand(scenario, opts, ctx, cluster);
      if (shouldUseTui(opts)) return runWithTui(scenario, opts, ctx);
      const started = performance.now();
      const report = await runScenario(scenario, {
        ...(opts.seed === undefined ? {} : { seed: opts.seed }),
        signal: ctx.signal,
        ...(opts.progress ? { onProgress: (p) => process.stderr.write(`${progressLine(p)}\n`) } : {}),
      });
      const wall = (performance.now() - started) / 1000;
      await emit(formatReport(report, opts.format), opts.out);
      // Wall-clock figures never enter the report: it must be identical run to run.
      ctx.info(`simulated ${formatCount(report.requests.total)} requests in ${wall.toFixed(2)} s`);
    });
}

/**
 * `run --threads N` or `run --redis URL`: one run split in time over a thread pool or a
 * cluster; statistics of the split go to stderr. At a terminal it runs under the split
 * live view and ends in the dashboard, as a one-thread run does.
 */
async function runSplitCommand(
  scenario: Scenario,
  opts: { seed?: number; format: ReportFormat; out?: string; progress?: boolean; tui?: boolean; threads?: number; windows?: number },
  ctx: CliContext,
  cluster: ClusterOptions | undefined,
): Promise<void> {
  const threads = opts.threads ?? 1;
  let report: Report;
  let stats: TimeSplitStats | undefined;
  let wall: number;
  if (shouldUseTui(opts)) {
    ({ report, stats, wallSeconds: wall } = await runSplitWithTui(scenario, { ...opts, threads, ...(cluster === undefined ? {} : { cluster }) }, ctx));
  } else {
    const started = performance.now();
    // The split reports 100% when its windows' first runs end and again after fix-ups and splicing: one line is enough.
    let lastCovered = Number.NaN;
    ({ report, stats } = await runSplit(scenario, {
      threads,
      ...(cluster === undefined ? {} : { cluster }),
      ...(opts.windows === undefined ? {} : { windows: opts.windows }),
      ...(opts.seed === undefined ? {} : { seed: opts.seed }),
      signal: ctx.signal,
      onNote: (m) => ctx.info(m),
      ...(opts.progress
        ? {
            onProgress: (p) => {
              if (p.covered === lastCovered) return;
              lastCovered = p.covered;
              const wall = (performance.now() - started) / 1000;
              process.stderr.write(`progress ${((p.covered / p.end) * 100).toFixed(1)}% sim ${formatDuration(p.covered)} of ${formatDuration(p.end)} · ${(p.events / wall / 1e6).toFixed(2)} M events/s\n`);
            },
          }
        : {}),
    }));
    wall = (performance.now() - started) / 1000;
    await emit(formatReport(report, opts.format), opts.out);
  }
  ctx.info(`simulated ${formatCount(report.requests.total)} requests in ${wall.toFixed(2)} s${splitSummary(stats, cluster === undefined ? threads : undefined)}`);
}

/**
 * Where a split run ran, for the summary line: `threads` locally (undefined on a cluster).
 * A window runs on one thread, so fewer windows than threads kept some of them idle; a run
 * that was not split (the note before said why) ran whole on one thread.
 */
function splitSummary(stats: TimeSplitStats | undefined, threads: number | undefined): string {
  if (stats === undefined) return '';
  if (stats.notSplit !== undefined) return threads === undefined ? ' on the cluster, 1 window (not split in time)' : ' on 1 thread (not split in time)';
  const n = threads === undefined ? 0 : Math.min(threads, stats.windows);
  const used = threads === undefined ? 'the cluster' : `${n} thread${n === 1 ? '' : 's'}`;
  return ` on ${used}, ${stats.windows} window${stats.windows === 1 ? '' : 's'}, ${((stats.resimulatedEvents / Math.max(stats.events, 1)) * 100).toFixed(1)}% re-simulated`;
}
