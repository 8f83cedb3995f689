/**
 * The flags that turn run, compare, diff and capacity into the coordinator of a cluster
 * run, and what they become: ClusterOptions whose notes and job progress go to stderr.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { LbsimError } from '../errors.ts';
import { redisUrlProblem } from '../cluster/keys.ts';
import type { ClusterOptions } from '../cluster/options.ts';
import { CLUSTER_DEFAULTS } from '../cluster/options.ts';
import type { CliContext } from './context.ts';

export interface ClusterFlags {
  redis?: string;
  clusterQueue: string;
  traceUrl?: string;
}

export function parseRedisUrl(value: string): string {
  const problem = redisUrlProblem(value);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
  return value;
}

function parseQueueName(value: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) throw new InvalidArgumentError('expected a name of letters, digits, _ . - (up to 64)');
  return value;
}

/** `--redis` and `--cluster-queue`, shared with `lbsim worker` (`--queue` is a backend's queue limit elsewhere). */
export function addQueueOptions(cmd: Command, what: string): Command {
  return cmd
    .option('--redis <url>', what, parseRedisUrl)
    .option('--cluster-queue <name>', 'with --redis: the queue coordinators and workers share', parseQueueName, CLUSTER_DEFAULTS.queue);
}

export function addClusterOptions(cmd: Command): Command {
  return addQueueOptions(cmd, 'coordinate a cluster run: enqueue the work as jobs on this Redis (redis://host:port) for `lbsim worker`s').option(
    '--trace-url <base>',
    'with --redis: workers download traces from <base>/<file name> (e.g. an object store) instead of reading this machine’s path',
  );
}

/** Progress lines at most this often (plus the last one). */
const PROGRESS_EVERY_MS = 2_000;

/** ClusterOptions from the flags, or undefined without --redis; notes and job progress go to stderr. */
export function clusterOf(flags: ClusterFlags, ctx: CliContext): ClusterOptions | undefined {
  if (flags.redis === undefined) {
    if (flags.traceUrl !== undefined) throw new LbsimError('USAGE', '--trace-url needs --redis (it says where cluster workers find traces)');
    return undefined;
  }
  let last = 0;
  return {
    redis: flags.redis,
    queue: flags.clusterQueue,
    ...(flags.traceUrl === undefined ? {} : { traceUrl: flags.traceUrl }),
    onNote: (m) => ctx.info(m),
    onProgress: (p) => {
      const now = performance.now();
      if (now - last < PROGRESS_EVERY_MS && p.done < p.total) return;
      last = now;
      ctx.info(`cluster: ${p.done}/${p.total} jobs done, ${p.running} running`);
    },
  };
}
