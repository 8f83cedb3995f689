/**
 * Orders of a report's backends that the human outputs share: the busiest first (by
 * utilization) or the slowest first (by p99), ties in scenario order. The text summary
 * lists a big fleet's busiest and least busy (text.ts), the dashboard sorts by either
 * (src/ui/backend-order.ts). JSON and CSV keep scenario order.
 */
import type { BackendReport } from './types.ts';

/** Up to this many backends, a table lists every one; of a bigger fleet, the ones that matter. */
export const ALL_BACKENDS_UP_TO = 24;

export type BackendRanking = 'util' | 'p99';

/** Backend indexes, highest `by` first, ties in scenario order. */
export function backendOrder(backends: readonly BackendReport[], by: BackendRanking): number[] {
  const key = (i: number) => (by === 'util' ? backends[i]!.utilization : backends[i]!.latency.p99);
  return backends.map((_, i) => i).sort((a, b) => key(b) - key(a) || a - b);
}
