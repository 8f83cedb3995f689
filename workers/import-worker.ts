/**
 * The piscina worker of a parallel import: parses one byte range of a log into columns
 * (src/traffic/readers/chunks.ts).
 */
import { type ChunkResult, type ChunkTask, parseChunk } from '../src/traffic/readers/chunks.ts';

export default function run(task: ChunkTask): ChunkResult {
  return parseChunk(task);
}
