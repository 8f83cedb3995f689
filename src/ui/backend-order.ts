/**
 * The order the dashboard lists backends in, which `s` cycles: as the scenario gives them,
 * or the busiest first (by utilization, or by p99). For a fleet of hundreds, scrolling in
 * scenario order to find the hot ones is no way to read a run.
 */
import { backendOrder, type BackendRanking } from '../report/backend-order.ts';
import type { Report } from '../report/types.ts';

export type BackendSort = 'scenario' | BackendRanking;

export const BACKEND_SORTS: readonly BackendSort[] = ['scenario', 'util', 'p99'];

/** How the panels name the order, after "Backends". */
export const SORT_LABEL: Record<BackendSort, string> = { scenario: 'in scenario order', util: 'busiest first', p99: 'slowest p99 first' };

/** The next order `s` gives. */
export function nextSort(by: BackendSort): BackendSort {
  return BACKEND_SORTS[(BACKEND_SORTS.indexOf(by) + 1) % BACKEND_SORTS.length]!;
}

/**
 * The report with its backends (and their time series, index for index) in order `by`;
 * ties keep scenario order. The panels index backends by position, so they list and pick
 * in this order unchanged. The report itself is not changed.
 */
export function sortedReport(report: Report, by: BackendSort): Report {
  if (by === 'scenario') return report;
  const order = backendOrder(report.backends, by);
  return {
    ...report,
    backends: order.map((i) => report.backends[i]!),
    timeseries: { ...report.timeseries, backends: order.map((i) => report.timeseries.backends[i]!) },
  };
}
