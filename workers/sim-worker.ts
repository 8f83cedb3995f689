/**
 * The piscina worker: runs one task (a whole run, a count, or a window of a time-split
 * run). Progress goes out on the MessagePort the task brings, if any.
 */
import type { MessagePort } from 'node:worker_threads';
import { executeTask, type Task, type TaskResult } from '../src/parallel/tasks.ts';

export default async function run({ task, port }: { task: Task; port?: MessagePort }): Promise<TaskResult> {
  try {
    return await executeTask(task, port === undefined ? {} : { progress: (p) => port.postMessage(p) });
  } finally {
    port?.close();
  }
}
