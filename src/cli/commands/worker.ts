import { Command, InvalidArgumentError } from 'commander';
import { LbsimError } from '../../errors.ts';
import { parseDuration } from '../../scenario/units.ts';
import { WORKER_DEFAULTS } from '../../cluster/options.ts';
import { addQueueOptions } from '../cluster.ts';
import type { CliContext } from '../context.ts';
import { parseThreads } from '../options.ts';

function parseLock(value: string): number {
  const ms = parseDuration(value);
  if (!(ms >= 1000)) throw new InvalidArgumentError('expected a duration of at least 1s, such as 10s');
  return ms;
}

/** `lbsim worker`: serve cluster jobs until SIGTERM or Ctrl-C (then hand running jobs back and exit 0). */
export function workerCommand(ctx: CliContext): Command {
  return addQueueOptions(new Command('worker'), 'the Redis the coordinators enqueue on (redis://host:port)')
    .description('serve cluster runs: take jobs from a Redis queue and run them on local threads until SIGTERM')
    .option('--threads <n>', 'jobs run at once, one per thread (default: the cores)', parseThreads)
    .option('--lock <duration>', 'how soon a dead worker’s jobs are retried elsewhere (BullMQ lock duration)', parseLock, WORKER_DEFAULTS.lockMs)
    .option('--cache <dir>', 'where traces downloaded from --trace-url are kept', WORKER_DEFAULTS.cacheDir)
    .action(async (opts: { redis?: string; clusterQueue: string; threads?: number; lock: number; cache: string }) => {
      if (opts.redis === undefined) throw new LbsimError('USAGE', 'worker: --redis <url> is required (the Redis the coordinators use, e.g. redis://localhost:6379)');
      // BullMQ is loaded only by the command that uses it (it costs every CLI start ~0.2 s).
      const { serveJobs } = await import('../../cluster/worker.ts');
      await serveJobs(
        {
          redis: opts.redis,
          queue: opts.clusterQueue,
          lockMs: opts.lock,
          cacheDir: opts.cache,
          ...(opts.threads === undefined ? {} : { threads: opts.threads }),
          onNote: (m) => ctx.info(m),
        },
        ctx.signal,
      );
    });
}
