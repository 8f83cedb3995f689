/**
 * Starts the worker threads a command is about to ask for before the CLI has even loaded,
 * so their boot overlaps with the main thread's (src/parallel/pool.ts, startPoolEarly).
 * This reads argv without commander: a guess that only ever costs an unused pool (ended
 * by main), never a different result — commander still parses and checks everything.
 */
import { availableParallelism } from 'node:os';
import { startPoolEarly } from '../parallel/pool.ts';

/** Commands whose simulations go to the local pool unless `--threads 1`; `run` only with `--threads N`. */
const POOLED_BY_DEFAULT = new Set(['compare', 'diff', 'capacity']);

/** The pool size the command line will ask for, or 0 when it runs in this thread or on a cluster. */
export function earlyPoolSize(argv: readonly string[]): number {
  const args = argv.slice(2);
  const command = args.find((a) => !a.startsWith('-'));
  if (command === undefined || args.some((a) => a === '--redis' || a.startsWith('--redis=') || a === '--help' || a === '-h')) return 0;
  let threads: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = a === '--threads' ? args[i + 1] : a.startsWith('--threads=') ? a.slice('--threads='.length) : undefined;
    if (value !== undefined) threads = /^\d+$/.test(value) ? Number(value) : 0;
  }
  if (command === 'run') return threads ?? 0;
  if (POOLED_BY_DEFAULT.has(command)) return threads ?? availableParallelism();
  return 0;
}

export function startEarlyPool(argv: readonly string[]): void {
  const threads = earlyPoolSize(argv);
  // A silly size is left for commander to refuse.
  if (threads > 1 && threads <= 256) startPoolEarly(threads);
}
