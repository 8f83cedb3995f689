/**
 * The number of each window's first request in a run split while it goes
 * (dynamic-windows.ts): a window's requests keep the numbers they have in the whole run,
 * which round-robin's counters and every per-request draw depend on. A trace's come from
 * its index; synthetic traffic's and a sampled or scaled replay's are counted first, by
 * the workers, while the main thread starts the run.
 */
import type { Scenario } from '../scenario/load.ts';
import { formatDuration } from '../scenario/units.ts';
import { COUNT_BLOCK } from '../traffic/replay-count.ts';
import { BLOCK_MS } from '../traffic/synthetic.ts';
import type { TaskExecutor } from './executor.ts';
import { changesCount, replayCounter, traceIndexAt } from './windows.ts';

/** The number of requests before a boundary, once `ready()`; `counted` settles when it is (or its count failed). */
export interface RequestNumbers {
  ready: () => boolean;
  before: (ms: number) => number;
  counted: Promise<void>;
}

/**
 * A trace's request numbers come from its index (trace-wide; the run's first request is
 * the one at its time 0). Synthetic traffic's are counted: its arrivals block by block
 * (window boundaries lie on block boundaries), one part of the run per worker thread, all at once;
 * call this once the main thread is busy, so that the counts go to the workers. A block's
 * count is one Poisson draw (src/traffic/synthetic.ts), not its arrivals: a week of 1 s
 * blocks is counted in ~0.1 s on one thread here (it took ~8% of the simulation's work
 * when counting drew every arrival's gap, until 2026-11-26).
 */
export function requestNumbers(pool: TaskExecutor, scenario: Scenario, seed: number): RequestNumbers {
  if (changesCount(scenario)) return replayNumbers(pool, scenario, seed);
  if (scenario.traffic.kind === 'trace') {
    const origin = traceIndexAt(scenario, 0);
    return { ready: () => true, before: (ms) => traceIndexAt(scenario, ms) - origin, counted: Promise.resolve() };
  }
  const blocks = Math.ceil(scenario.durationMs / BLOCK_MS);
  const parts = Math.max(1, Math.min(pool.threads - 1, blocks));
  const cuts = Array.from({ length: parts + 1 }, (_, p) => Math.round((p * blocks) / parts) * BLOCK_MS);
  // before[i]: the requests before block i.
  const { before, ready, counted } = blockPrefix(
    blocks,
    cuts.slice(0, -1).map((from, p) => pool.run({ kind: 'blocks', scenario, seed, startMs: from, endMs: cuts[p + 1]! }, `counting requests ${formatDuration(from)}–${formatDuration(cuts[p + 1]!)}`)),
  );
  return { ready, before: (ms) => before[Math.round(ms / BLOCK_MS)]!, counted };
}

/**
 * Block counts from parts counted at once (each part's blocks in order, the parts in
 * order), summed into before[k], the count of the blocks before block k, once all are in.
 */
function blockPrefix(blocks: number, parts: Promise<{ counts: number[] }>[]): { before: Float64Array; ready: () => boolean; counted: Promise<void> } {
  const before = new Float64Array(blocks + 1);
  let ready = false;
  const counted = Promise.all(parts).then((results) => {
    let k = 0;
    for (const { counts } of results) {
      for (const n of counts) {
        before[k + 1] = before[k]! + n;
        k++;
      }
    }
    ready = true;
  });
  return { before, ready: () => ready, counted };
}

/**
 * A sampled or scaled replay's request numbers: its requests are counted as synthetic
 * traffic's are, by the workers, all at once, in blocks of the trace's requests
 * (COUNT_BLOCK; each request's draws, no trace read: replay-count.ts); a boundary's
 * number is the blocks before it, the draws of its own block up to it, and the copies of
 * its first request that arrive before it. Measured: 9–13 ns a trace request (2026-11-27;
 * 0.2–0.25 s of one worker for 20 M), against ~0.2 µs a request to simulate.
 */
function replayNumbers(pool: TaskExecutor, scenario: Scenario, seed: number): RequestNumbers {
  const counter = replayCounter(scenario, seed);
  const origin = counter.point(0);
  const from = origin.index;
  const end = Math.max(from, counter.point(scenario.durationMs).index);
  const blocks = Math.ceil((end - from) / COUNT_BLOCK);
  const parts = Math.max(1, Math.min(pool.threads - 1, blocks));
  const cuts = Array.from({ length: parts + 1 }, (_, p) => Math.min(end, from + Math.round((p * blocks) / parts) * COUNT_BLOCK));
  // before[k]: the requests emitted for the trace's requests before from + k · COUNT_BLOCK.
  const { before, ready, counted } = blockPrefix(
    blocks,
    cuts.slice(0, -1).map((a, p) => pool.run({ kind: 'replayed', scenario, seed, fromIndex: a, toIndex: cuts[p + 1]! }, `counting replayed requests ${a}–${cuts[p + 1]!}`)),
  );
  return {
    ready,
    before: (ms) => {
      const p = counter.point(ms);
      const k = Math.floor((p.index - from) / COUNT_BLOCK);
      return before[k]! + counter.draws.emitted(from + k * COUNT_BLOCK, p.index) + p.copiesBefore - origin.copiesBefore;
    },
    counted,
  };
}
