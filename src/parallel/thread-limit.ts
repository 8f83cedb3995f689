/**
 * The most threads a command may ask for (`--threads`). Each worker thread is a V8
 * isolate with its own heap and the engine's modules: `lbsim run … --threads 9999` spawned
 * thousands and died of a V8 out-of-memory fatal error (exit 133) instead of saying what
 * was wrong. Threads beyond the cores only share them, so the bound is the cores, or 64
 * on a smaller machine (room to oversubscribe one on purpose, e.g. to test a split).
 */
import { availableParallelism } from 'node:os';

/** The bound below which every machine may go, whatever its cores. */
export const THREADS_FLOOR = 64;

export function maxThreads(cores = availableParallelism()): number {
  return Math.max(THREADS_FLOOR, cores);
}
