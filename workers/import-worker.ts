/**
 * The piscina worker of a parallel import: parses one byte range of a log into columns
 * (src/traffic/readers/chunks.ts).
 */
import { type ChunkReadFailure, type ChunkResult, type ChunkTask, parseChunk } from '../src/traffic/readers/chunks.ts';

export default function run(task: ChunkTask): ChunkResult | ChunkReadFailure {
  try {
    return parseChunk(task);
  } catch (e) {
    // A failed system call here is a read of the user's file; anything else is a bug, thrown on.
    if ((e as NodeJS.ErrnoException)?.syscall !== undefined) return { readFailed: (e as Error).message };
    throw e;
  }
}
