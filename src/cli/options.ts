/** Parsers for CLI option values; each failure names the option and what was expected. */
import { type Command, InvalidArgumentError } from 'commander';
import { availableParallelism } from 'node:os';
import { maxThreads } from '../parallel/thread-limit.ts';

export function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > Number.MAX_SAFE_INTEGER) throw new InvalidArgumentError('expected a whole number >= 0');
  return n;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1');
  return n;
}

export function oneOf<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}`);
    return value as T;
  };
}

/** `--threads <n>` of every command that takes it: a whole number from 1 to maxThreads() (thread-limit.ts says why). */
export function parseThreads(value: string): number {
  const n = parsePositiveInt(value);
  const cores = availableParallelism();
  if (n > maxThreads(cores)) throw new InvalidArgumentError(`expected at most ${maxThreads(cores)} threads (this machine has ${cores} core${cores === 1 ? '' : 's'})`);
  return n;
}

/** `--threads <n>` of the commands that run many simulations at once (compare, diff, capacity). */
export function addThreadsOption(cmd: Command): Command {
  return cmd.option('--threads <n>', 'worker threads the simulations run on (1: one after another; default: the machine’s cores)', parseThreads);
}
