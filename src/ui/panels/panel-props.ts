/** What every dashboard panel is given: the report, the shown time window, its box, and the picked backend. */
import type { Report } from '../../report/types.ts';
import type { BackendSort } from '../backend-order.ts';
import type { TimeWindow } from '../time-window.ts';

export interface PanelProps {
  report: Report;
  window: TimeWindow;
  /** Columns and rows the panel may use. */
  width: number;
  height: number;
  /** Index of the backend picked for inspection. */
  selected: number;
  /** Latency axes on a log scale. @default false */
  logScale?: boolean;
  /** The order `report.backends` is in (the dashboard sorts the report it gives). @default 'scenario' */
  sortBy?: BackendSort;
}

/** Width of y-axis labels in charts, so every time panel's plot starts at the same column. */
export const AXIS_LABEL_WIDTH = 7;

/** Rows of backends to show when they do not all fit: a window that keeps `selected` in view. */
export function visibleBackends(total: number, rows: number, selected: number): [number, number] {
  if (total <= rows) return [0, total];
  const first = Math.min(Math.max(0, selected - Math.floor(rows / 2)), total - rows);
  return [first, first + Math.max(rows, 0)];
}
