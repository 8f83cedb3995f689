/**
 * What a cluster job carries, and how a failure crosses Redis. A job is a `Task` (the
 * same one the thread pool runs) encoded as text, named for the run it belongs to. BullMQ
 * keeps a failure as one string (`failedReason`); the error's code rides in front of the
 * message so the coordinator fails the run with the code the worker saw.
 */
import type { TraceRef } from './traces.ts';

export interface ClusterJob {
  /** The coordinator's run id: jobs of a run whose coordinator is gone are dropped. */
  run: string;
  /** The task's name in messages: "run 3 of 8 (web, seed 9)". */
  label: string;
  /** The Task, as encodeJson wrote it. */
  task: string;
  /** Traces the task replays, with what the worker's copy must be. */
  traces: TraceRef[];
}

/** A failed task's code and message as one string: `[CODE] message`. */
export function formatFailure(code: string, message: string): string {
  return `[${code}] ${message}`;
}

export function parseFailure(reason: string): { code: string; message: string } {
  const m = /^\[([A-Z_]+)\] ([\s\S]*)$/.exec(reason);
  return m === null ? { code: 'WORKER_FAILED', message: reason } : { code: m[1]!, message: m[2]! };
}
