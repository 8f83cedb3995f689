import { Command, InvalidArgumentError, Option } from 'commander';
import { isLbsimError, LbsimError } from '../../errors.ts';
import { loadScenario, type Scenario } from '../../scenario/load.ts';
import { prepareTrace, resolveTrace, traceSpecOf, withTraceTraffic } from '../../traffic/prepare.ts';
import { diff, DIFF_DEFAULTS } from '../../workflows/diff.ts';
import { formatDiffJson, formatDiffMarkdown, formatDiffText } from '../../workflows/diff-format.ts';
import type { CliContext } from '../context.ts';
import { addClusterOptions, type ClusterFlags, clusterOf } from '../cluster.ts';
import { addThreadsOption, parsePositiveInt, parseSeed } from '../options.ts';
import { checkOutputNotInput, emit } from '../output.ts';
import { addConfigOptions, backendsOf, type ConfigFlags, loadScenarioOrConfig, scenarioInputs } from '../inputs.ts';

type Format = 'text' | 'json' | 'markdown';

function parseShare(value: string): number {
  const x = value.trim().endsWith('%') ? Number(value.trim().slice(0, -1)) / 100 : Number(value);
  if (!Number.isFinite(x) || x <= 0 || x >= 10) throw new InvalidArgumentError('expected a relative change such as 10% or 0.1');
  return x;
}

/** Exit codes a CI pipeline reads: 0 pass, 1 regression or SLO broken (2: bad input, from main). */
export function diffCommand(ctx: CliContext): Command {
  const command = addThreadsOption(addClusterOptions(new Command('diff')))
    .description('test a config change: run BEFORE and AFTER on the same traffic, report what changed, and exit 1 if AFTER regresses or breaks its SLO')
    .argument('<before>', 'scenario, or proxy config (haproxy.cfg, nginx.conf, Envoy cluster YAML), with the current config')
    .argument('<after>', 'scenario or proxy config with the changed config (a scenario\'s `slo` is the bar)');
  return addConfigOptions(command)
    .option('--traffic <trace>', 'replay this recorded traffic (.lbt or an access log) through both instead of their own traffic; replications then vary only the balancers’ randomness')
    .option('--replications <n>', 'independent replications per side', parsePositiveInt, DIFF_DEFAULTS.replications)
    .option('--seed <n>', 'first seed, for both sides (default: BEFORE’s)', parseSeed)
    .option('--independent', 'run AFTER on its own seeds (independent traffic samples, compared unpaired)')
    .option('--threshold <change>', 'relative latency change that counts as a regression', parseShare, DIFF_DEFAULTS.threshold)
    .addOption(new Option('--format <format>', 'output: text, markdown (for a pull request), json').choices(['text', 'json', 'markdown']).default('text'))
    .option('-o, --out <file>', 'write the output to a file (atomically) instead of stdout')
    .action(
      async (
        beforeFile: string,
        afterFile: string,
        opts: { traffic?: string; replications: number; seed?: number; independent?: boolean; threshold: number; format: Format; out?: string } & ConfigFlags & ClusterFlags & { threads?: number },
      ) => {
        checkOutputNotInput(opts.out, [beforeFile, afterFile, ...[opts.scenario, opts.traffic].filter((f) => f !== undefined)]);
        if (opts.traffic !== undefined) await checkTraffic(opts.traffic);
        const base = opts.scenario === undefined ? undefined : await loadScenario(opts.scenario);
        const [backendBefore, backendAfter] = backendsOf(opts.backend);
        const side = (backend: string | undefined): ConfigFlags => {
          const { backend: _both, ...rest } = opts;
          return backend === undefined ? rest : { ...rest, backend };
        };
        let [before, after] = [await loadScenarioOrConfig(beforeFile, side(backendBefore), opts.traffic, base, ctx), await loadScenarioOrConfig(afterFile, side(backendAfter), opts.traffic, base, ctx)];
        if (opts.traffic !== undefined) [before, after] = await withTrace([before, after], opts.traffic);
        else if (JSON.stringify(before.traffic) !== JSON.stringify(after.traffic) || before.durationMs !== after.durationMs) {
          ctx.info(`note: ${afterFile} describes different traffic than ${beforeFile}; each side runs its own (same seeds)`);
        }
        checkOutputNotInput(opts.out, [...(base === undefined ? [] : scenarioInputs(base)), ...scenarioInputs(before), ...scenarioInputs(after)]);
        if (!opts.independent && opts.seed === undefined && after.seed !== before.seed) {
          ctx.info(`note: both sides run on ${beforeFile}'s seeds (common random numbers); --independent uses ${afterFile}'s seed ${after.seed} for AFTER`);
        }
        const cluster = clusterOf(opts, ctx);
        const result = await diff(before, after, {
          ...(cluster === undefined ? {} : { cluster }),
        ...(opts.threads === undefined ? {} : { threads: opts.threads }),
          replications: opts.replications,
          ...(opts.seed === undefined ? {} : { seed: opts.seed }),
          independent: Boolean(opts.independent),
          threshold: opts.threshold,
          labels: [beforeFile, afterFile],
          signal: ctx.signal,
        });
        const text = opts.format === 'json' ? formatDiffJson(result) : opts.format === 'markdown' ? formatDiffMarkdown(result) : formatDiffText(result);
        await emit(text, opts.out);
        if (!result.verdict.pass) process.exitCode = 1;
      },
    );
}

/**
 * The --traffic trace read (its header; a raw log imported, cached for both sides) before
 * either side loads, so that its problems name the flag rather than a line of a config the
 * trace is fed to; diff has no flag to skip a log's malformed rows, `lbsim import` has.
 */
async function checkTraffic(file: string): Promise<void> {
  try {
    const spec = traceSpecOf({ trace: file }, undefined, process.cwd(), file, `import it first with \`lbsim import ${file} --format nginx|haproxy|alb|envoy|csv|jsonl -o FILE.lbt\` and pass that`);
    const { spec: prepared } = await prepareTrace(spec, { skipHint: `to skip bad rows, import the log with \`lbsim import ${file} --on-error skip -o FILE.lbt\` and pass that` });
    resolveTrace(prepared);
  } catch (e) {
    throw isLbsimError(e) ? new LbsimError(e.code, `--traffic: ${e.message}`, { cause: e }) : e;
  }
}

/** Both scenarios with their traffic replaced by the same recorded trace (a raw log is imported once, cached). */
async function withTrace([before, after]: [Scenario, Scenario], trace: string): Promise<[Scenario, Scenario]> {
  const b = await withTraceTraffic(before, trace);
  return [b, await withTraceTraffic(after, trace)];
}
