/**
 * The per-backend table: share, utilization, p50/p99, rejected, timed out, max queue;
 * wider terminals get more columns. The picked backend is highlighted; backends that
 * appear in report.overload are marked ●.
 */
import { Box, Text } from 'ink';
import type { BackendReport } from '../../report/types.ts';
import { count, ms, pct } from '../format.ts';
import { tint, useTheme } from '../theme.tsx';
import { type PanelProps, visibleBackends } from './panel-props.ts';

interface Column {
  title: string;
  width: number;
  cell: (b: BackendReport) => string;
  /** Only shown when the panel is at least this wide. */
  minPanelWidth?: number;
}

const COLUMNS: readonly Column[] = [
  { title: 'requests', width: 11, cell: (b) => count(b.requests), minPanelWidth: 120 },
  { title: 'share', width: 7, cell: (b) => pct(b.share) },
  { title: 'util', width: 7, cell: (b) => pct(b.utilization) },
  { title: 'p50', width: 8, cell: (b) => ms(b.latency.p50) },
  { title: 'p99', width: 8, cell: (b) => ms(b.latency.p99) },
  { title: 'rejected', width: 9, cell: (b) => count(b.rejected) },
  { title: 'timed out', width: 10, cell: (b) => count(b.timedOut) },
  { title: 'max queue', width: 10, cell: (b) => count(b.maxQueue) },
  { title: 'mean queue', width: 11, cell: (b) => b.meanQueue.toFixed(1), minPanelWidth: 120 },
  { title: 'max in flight', width: 14, cell: (b) => count(b.maxInFlight), minPanelWidth: 140 },
  { title: 'weight', width: 7, cell: (b) => String(b.weight), minPanelWidth: 140 },
  { title: 'slots', width: 6, cell: (b) => String(b.concurrency), minPanelWidth: 140 },
];

export function BackendsPanel({ report, width, height, selected }: PanelProps) {
  const theme = useTheme();
  const columns = COLUMNS.filter((c) => c.minPanelWidth === undefined || width >= c.minPanelWidth);
  const nameWidth = Math.max(7, Math.min(24, width - columns.reduce((s, c) => s + c.width, 0) - 2, Math.max(0, ...report.backends.map((b) => b.name.length))));
  const overloaded = new Set(report.overload.map((o) => o.backend));
  const [first, last] = visibleBackends(report.backends.length, Math.max(1, height - 4), selected);
  const i = report.imbalance;
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        Backends <Text dimColor>(● overloaded at some time; imbalance max/mean share {i.maxOverMean.toFixed(3)}, Jain {i.jain.toFixed(3)})</Text>
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
