/**
 * The per-backend table: share, utilization, p50/p99, rejected, timed out, max queue;
 * wider terminals get more columns, and each backend's weight leads when weights differ. The picked backend is highlighted; backends that
 * appear in report.overload are marked ●.
 */
import { Box, Text } from 'ink';
import type { BackendReport } from '../../report/types.ts';
import { SORT_LABEL } from '../backend-order.ts';
import { count, ms, pct } from '../format.ts';
import { tint, useTheme } from '../theme.tsx';
import { type PanelProps, visibleBackends } from './panel-props.ts';

interface Column {
  title: string;
  width: number;
  cell: (b: BackendReport) => string;
  /** Only shown when the panel is at least this wide. */
  minPanelWidth?: number;
  /** Which columns give way first when the panel is too narrow for all it may show: lowest first. */
  keep: number;
}

/** Weight, first when the backends' weights differ (a misweighted backend explains an uneven share); else among the extras of wide panels. */
const WEIGHT: Column = { title: 'weight', width: 7, cell: (b) => String(b.weight), keep: 9 };

const COLUMNS: readonly Column[] = [
  { title: 'requests', width: 11, cell: (b) => count(b.requests), minPanelWidth: 120, keep: 3 },
  { title: 'share', width: 7, cell: (b) => pct(b.share), keep: 10 },
  { title: 'util', width: 7, cell: (b) => pct(b.utilization), keep: 8 },
  { title: 'p50', width: 8, cell: (b) => ms(b.latency.p50), keep: 4 },
  { title: 'p99', width: 8, cell: (b) => ms(b.latency.p99), keep: 7 },
  { title: 'rejected', width: 9, cell: (b) => count(b.rejected), keep: 6 },
  { title: 'timed out', width: 10, cell: (b) => count(b.timedOut), keep: 6 },
  { title: 'max queue', width: 10, cell: (b) => count(b.maxQueue), keep: 5 },
  { title: 'mean queue', width: 11, cell: (b) => b.meanQueue.toFixed(1), minPanelWidth: 120, keep: 2 },
  { title: 'max in flight', width: 14, cell: (b) => count(b.maxInFlight), minPanelWidth: 140, keep: 1 },
  { ...WEIGHT, minPanelWidth: 140, keep: 1 },
  { title: 'slots', width: 6, cell: (b) => String(b.concurrency), minPanelWidth: 140, keep: 1 },
];

/** Room for the overload mark and the shortest name column. */
const ROW_HEAD = 2 + 7;

/** The columns a panel `width` wide shows for these backends. */
export function backendColumns(backends: readonly BackendReport[], width: number): Column[] {
  const weightsDiffer = backends.some((b) => b.weight !== backends[0]!.weight);
  let columns = COLUMNS.filter((c) => c.title !== 'weight' || !weightsDiffer).filter((c) => c.minPanelWidth === undefined || width >= c.minPanelWidth);
  if (weightsDiffer) columns = [WEIGHT, ...columns];
  const used = () => ROW_HEAD + columns.reduce((s, c) => s + c.width, 0);
  while (used() > width && columns.length > 1) {
    const drop = columns.reduce((lo, c) => (c.keep < lo.keep ? c : lo));
    columns = columns.filter((c) => c !== drop);
  }
  return columns;
}

export function BackendsPanel({ report, width, height, selected, sortBy = 'scenario' }: PanelProps) {
  const theme = useTheme();
  const columns = backendColumns(report.backends, width);
  const nameWidth = Math.max(7, Math.min(24, width - columns.reduce((s, c) => s + c.width, 0) - 2, Math.max(0, ...report.backends.map((b) => b.name.length))));
  const overloaded = new Set(report.overload.map((o) => o.backend));
  const [first, last] = visibleBackends(report.backends.length, Math.max(1, height - 4), selected);
  const i = report.imbalance;
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        Backends <Text dimColor>{SORT_LABEL[sortBy]} (s sorts; ● overloaded at some time; imbalance max/mean share {i.maxOverMean.toFixed(3)}, Jain {i.jain.toFixed(3)})</Text>
      </Text>
      <Text bold wrap="truncate">
        {'  '}
        {'backend'.padEnd(nameWidth)}
        {columns.map((c) => c.title.padStart(c.width)).join('')}
      </Text>
      {report.backends.slice(first, last).map((b, k) => {
        const index = first + k;
        return (
          <Text key={b.name} wrap="truncate" inverse={index === selected}>
            <Text color={tint(theme, 'red')}>{overloaded.has(b.name) ? '● ' : '  '}</Text>
            {b.name.slice(0, nameWidth).padEnd(nameWidth)}
            {columns.map((c) => c.cell(b).padStart(c.width)).join('')}
          </Text>
        );
      })}
      {last - first < report.backends.length ? <Text dimColor>backends {first + 1}–{last} of {report.backends.length} (↑/↓ to scroll)</Text> : null}
      {report.backends.length === 0 ? <Text dimColor>no backends</Text> : null}
    </Box>
  );
}
