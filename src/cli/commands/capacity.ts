import { Command, InvalidArgumentError, Option } from 'commander';
import { loadScenario } from '../../scenario/load.ts';
import { parseDuration } from '../../scenario/units.ts';
import { capacity, CAPACITY_DEFAULTS, type Vary } from '../../workflows/capacity.ts';
import { formatCapacityJson, formatCapacityText } from '../../workflows/capacity-format.ts';
import { parseSloFlag } from '../../workflows/run-metrics.ts';
import type { Slo } from '../../scenario/load.ts';
import type { CliContext } from '../context.ts';
import { addClusterOptions, type ClusterFlags, clusterOf } from '../cluster.ts';
import { addThreadsOption, parsePositiveInt } from '../options.ts';
import { checkOutputNotInput, emit } from '../output.ts';
import { scenarioInputs } from '../inputs.ts';

function parseSlo(value: string): Slo {
  const r = parseSloFlag(value, parseDuration);
  if (typeof r === 'string') throw new InvalidArgumentError(r);
  return r;
}

function parseScale(value: string): number {
  const x = Number(value);
  if (!Number.isFinite(x) || x <= 0) throw new InvalidArgumentError('expected a traffic multiplier above 0, such as 1.4');
  return x;
}

export function capacityCommand(ctx: CliContext): Command {
  return addThreadsOption(addClusterOptions(new Command('capacity')))
    .description('plan capacity: smallest fleet meeting the SLO (--vary backends|slots) or largest traffic the fleet survives (--vary rate), also with the busiest backend down')
    .argument('<scenario>', 'scenario file (its `slo` is the bar unless --slo is given)')
    .addOption(new Option('--vary <what>', 'what to search: backends, slots (per backend), or rate (traffic multiplier)').choices(['backends', 'slots', 'rate']).makeOptionMandatory())
    .option('--slo <slo>', 'SLO to meet, e.g. p99=250ms,errors=1%,p999=1s,maxUtilization=0.85', parseSlo)
    .option('--scale <factor>', 'multiply the traffic first (next quarter’s peak: 1.4)', parseScale, CAPACITY_DEFAULTS.scale)
    .option('--replications <n>', 'replications per candidate point', parsePositiveInt, CAPACITY_DEFAULTS.replications)
    .option('--batch <n>', 'candidate points evaluated per (parallel) round', parsePositiveInt, CAPACITY_DEFAULTS.batch)
    .option('--backend <name>', 'resize the group of backends configured like this one (default: the first)')
    .option('--max <n>', 'largest fleet or slot count to try', parsePositiveInt, CAPACITY_DEFAULTS.max)
    .option('--no-n-plus-one', 'skip the search with the busiest backend down')
    .addOption(new Option('--format <format>', 'output').choices(['text', 'json']).default('text'))
    .option('-o, --out <file>', 'write the output to a file (atomically) instead of stdout')
    .action(
      async (
        file: string,
        opts: { vary: Vary; slo?: Slo; scale: number; replications: number; batch: number; backend?: string; max: number; nPlusOne: boolean; format: 'text' | 'json'; out?: string } & ClusterFlags & { threads?: number },
      ) => {
        checkOutputNotInput(opts.out, [file]);
        const scenario = await loadScenario(file);
        checkOutputNotInput(opts.out, scenarioInputs(scenario));
        const cluster = clusterOf(opts, ctx);
        const started = performance.now();
        const result = await capacity(scenario, {
          ...(cluster === undefined ? {} : { cluster }),
        ...(opts.threads === undefined ? {} : { threads: opts.threads }),
          vary: opts.vary,
          ...(opts.slo === undefined ? {} : { slo: opts.slo }),
          scale: opts.scale,
          replications: opts.replications,
          batch: opts.batch,
          ...(opts.backend === undefined ? {} : { backend: opts.backend }),
          max: opts.max,
          nPlusOne: opts.nPlusOne,
          signal: ctx.signal,
        });
        ctx.info(`searched ${result.search.runs + (result.nPlusOne?.runs ?? 0)} points in ${((performance.now() - started) / 1000).toFixed(2)} s`);
        await emit(opts.format === 'json' ? formatCapacityJson(result) : formatCapacityText(result), opts.out);
        // No answer within range is a finding, not bad input: exit 1 so a pipeline notices.
        if (result.search.answer === null) process.exitCode = 1;
      },
    );
}
