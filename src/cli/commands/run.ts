import { Command, Option } from 'commander';
import { formatCsv } from '../../report/csv.ts';
import { formatText } from '../../report/text.ts';
import type { Report } from '../../report/types.ts';
import { loadScenario } from '../../scenario/load.ts';
import { runScenario } from '../../simulate.ts';
import { emit } from '../output.ts';
import { parseSeed } from '../options.ts';
import type { CliContext } from '../context.ts';
import { progressLine } from '../progress.ts';
import { runWithTui, shouldUseTui } from '../tui.ts';
import { withReplayOverrides } from '../../traffic/prepare.ts';
import { addReplayOptions, type ReplayFlags } from './trace.ts';

export type ReportFormat = 'text' | 'json' | 'csv';

export function formatReport(report: Report, format: ReportFormat): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (format === 'csv') return formatCsv(report);
  return formatText(report);
}

export function runCommand(ctx: CliContext): Command {
  return addReplayOptions(new Command('run'))
    .description('simulate a scenario and report latency, errors, per-backend load and overload')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('--seed <n>', 'random seed (overrides the scenario)', parseSeed)
    .addOption(new Option('--format <format>', 'output: text summary, full json report, or csv time series').choices(['text', 'json', 'csv']).default('text'))
    .option('-o, --out <file>', 'write the output to a file (atomically) instead of stdout')
    .option('--progress', 'print progress lines to stderr')
    .option('--no-tui', 'never open the terminal dashboard')
    .action(async (file: string, opts: { seed?: number; format: ReportFormat; out?: string; progress?: boolean; tui?: boolean } & ReplayFlags) => {
      const scenario = withReplayOverrides(await loadScenario(file), opts);
      if (scenario.traffic.kind === 'trace' && scenario.traffic.skippedRows > 0) ctx.info(`note: ${scenario.traffic.skippedRows.toLocaleString('en-US')} malformed rows were skipped when the trace was imported`);
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
      ctx.info(`simulated ${report.requests.total.toLocaleString('en-US')} requests in ${wall.toFixed(2)} s`);
    });
}
