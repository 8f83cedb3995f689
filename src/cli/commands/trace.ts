import { Command, InvalidArgumentError, Option } from 'commander';
import { traceInfo, formatTraceInfo } from '../../traffic/lbt/info.ts';
import { timeBound, type TimeBound } from '../../traffic/trace-schema.ts';
import { emit } from '../output.ts';

export function traceCommand(): Command {
  const trace = new Command('trace').description('inspect .lbt traces');
  trace.addCommand(
    new Command('info')
      .description('requests, time span, rate per minute, work percentiles, distinct clients')
      .argument('<trace>', 'a .lbt file')
      .addOption(new Option('--format <format>', 'text or json').choices(['text', 'json']).default('text'))
      .action(async (file: string, opts: { format: 'text' | 'json' }) => {
        const info = traceInfo(file);
        await emit(opts.format === 'json' ? `${JSON.stringify(info, null, 2)}\n` : formatTraceInfo(info), undefined);
      }),
  );
  return trace;
}

/** Replay flags of `lbsim run`, overriding the scenario's traffic transforms. */
export interface ReplayFlags {
  from?: TimeBound;
  to?: TimeBound;
  speed?: number;
  scale?: number;
  sample?: number;
}

function bound(value: string): TimeBound {
  const r = timeBound.safeParse(value);
  if (!r.success) throw new InvalidArgumentError('expected an offset into the trace (90m, 2d4h) or an ISO-8601 date-time');
  return r.data;
}

function factor(max: number) {
  return (value: string): number => {
    const x = Number(value);
    if (!(x > 0) || x > max) throw new InvalidArgumentError(`expected a number above 0 and at most ${max}`);
    return x;
  };
}

/** Adds --from, --to, --speed, --scale, --sample to a command. */
export function addReplayOptions(cmd: Command): Command {
  return cmd
    .option('--from <time>', 'trace replay: start of the window (offset such as 2h, or ISO date-time)', bound)
    .option('--to <time>', 'trace replay: end of the window', bound)
    .option('--speed <x>', 'trace replay: time compression (2 = same requests, twice as fast)', factor(1e6))
    .option('--scale <x>', 'trace replay: request multiplier (1.5 = every request once, half of them twice)', factor(64))
    .option('--sample <x>', 'trace replay: keep this seeded fraction of requests', factor(1));
}
