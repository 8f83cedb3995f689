/**
 * Worker threads started before the CLI's modules load, for a run that will ask for them.
 *
 * Why: a worker thread takes ~0.1 s of CPU to start (Node's worker bootstrap, piscina,
 * the engine's modules) before it can take a window of a split run. Started when the run
 * starts (after the CLI's modules and the scenario are loaded, ~0.15 s in) it boots while
 * the main thread already simulates, and the run's windows are cut late; started from the
 * command line at once, it boots while the main thread loads the CLI, on a core that
 * would otherwise idle.
 *
 * The command line is only peeked at (`lbsim run … --threads N`, N ≥ 2, not on a
 * cluster); commander still parses it. A wrong guess costs a thread's start and nothing
 * else: threads no pool takes are stopped when the command ends (discardPrestarted).
 */
import { maxThreads } from './thread-limit.ts';
import type { WorkerThreads } from './worker-threads.ts';

/** Threads started and not yet taken by a pool (nor stopped). */
let prestarted: WorkerThreads | undefined;

/**
 * The worker threads a split `lbsim run` will start, from its command line: N − 1 for
 * `--threads N` (the main thread is one of the N: src/parallel/run-split.ts), or 0. None
 * for an N above maxThreads(): commander refuses it, and starting them first would exhaust
 * memory before it could.
 */
export function workersAskedFor(argv: readonly string[]): number {
  if (argv[2] !== 'run') return 0;
  let threads = 1;
  for (let i = 3; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--redis' || a.startsWith('--redis=')) return 0;
    const value = a === '--threads' ? argv[i + 1] : a.startsWith('--threads=') ? a.slice('--threads='.length) : undefined;
    if (value !== undefined && /^\d+$/.test(value)) threads = Number(value);
  }
  return threads >= 2 && threads <= maxThreads() ? threads - 1 : 0;
}

/**
 * Starts the worker threads `argv` asks for, if any. Resolves once they are starting
 * (piscina loaded, the threads spawned: ~20 ms), not once they are up. Awaited before the
 * CLI's modules load: loaded side by side, the two module graphs finished together, and
 * the threads spawned ~0.2 s in instead of ~0.09 s.
 */
export async function prestart(argv: readonly string[]): Promise<void> {
  const count = workersAskedFor(argv);
  if (count === 0 || prestarted !== undefined) return;
  try {
    // Loaded only here: the commands that start no threads do not load piscina at all.
    const { WorkerThreads } = await import('./worker-threads.ts');
    prestarted = new WorkerThreads(count, true);
  } catch {
    // Threads that could not even be created here: the pool starts its own, and reports why.
  }
}

/**
 * The prestarted threads, for a pool of `count` pinged workers, if they are there to be
 * taken. Otherwise the pool starts its own, and these are stopped.
 */
export function takePrestarted(count: number, pinged: boolean): WorkerThreads | undefined {
  const w = prestarted;
  prestarted = undefined;
  if (w !== undefined && w.count === count && w.pinged === pinged) return w;
  void w?.stop();
  return undefined;
}

/** At the end of the command: stops prestarted threads no pool took, so they do not keep the process alive. */
export async function discardPrestarted(): Promise<void> {
  const w = prestarted;
  prestarted = undefined;
  await w?.stop();
}
