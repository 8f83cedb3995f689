/**
 * The piscina worker: runs one task (a whole run, a count, or a window of a time-split
 * run). Progress goes out on the MessagePort the task brings, if any. A ping does
 * nothing: its answer tells the pool this thread is up (SimulationPool.workersReady).
 */
import type { MessagePort } from 'node:worker_threads';
import { executeTask, type Task, type TaskResult } from '../src/parallel/tasks.ts';

export default async function run(message: { task: Task; port?: MessagePort } | { ping: true }): Promise<TaskResult | true> {
  if ('ping' in message) return true;
  const { task, port } = message;
  try {
    return await executeTask(task, port === undefined ? {} : { progress: (p) => port.postMessage(p) });
  } finally {
    port?.close();
  }
}
