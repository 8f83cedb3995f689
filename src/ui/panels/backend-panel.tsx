/**
 * One backend inspected: its utilization and queue over time, its totals, and the
 * overload ranges the report lists for it. Pick the backend with ↑/↓.
 */
import { Box, Text } from 'ink';
import { axisNumber, Legend, LineChart, niceCeil, quarterRows } from '../charts/line-chart.tsx';
import { TimeAxis } from '../charts/time-axis.tsx';
import { count, ms, pct } from '../format.ts';
import { tint, useTheme } from '../theme.tsx';
import { columnRanges, columnValues, formatAxisTime, originOf } from '../time-window.ts';
import { AXIS_LABEL_WIDTH, type PanelProps } from './panel-props.ts';

export function BackendPanel({ report, window, width, height, selected }: PanelProps) {
  const theme = useTheme();
  const b = report.backends[selected];
  const s = report.timeseries.backends[selected];
  if (b === undefined || s === undefined) return <Text dimColor>no backends</Text>;
  const origin = originOf(report);
  const plotWidth = Math.max(1, width - AXIS_LABEL_WIDTH - 1);
  const ranges = columnRanges(report.timeseries, window, plotWidth);
  const mine = report.overload.filter((o) => o.backend === b.name);
  const listed = Math.min(mine.length, 3);
  const chartRows = Math.max(6, height - 7 - listed);
  const utilHeight = quarterRows(Math.max(3, Math.floor(chartRows / 2)));
  const queueHeight = quarterRows(Math.max(3, chartRows - utilHeight));
  const util = columnValues(s.utilization, ranges);
  const queue = columnValues(s.meanQueue, ranges);
  const queueTop = niceCeil(Math.max(1, ...queue.map((v) => v ?? 0)));
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        {b.name} <Text dimColor>({selected + 1} of {report.backends.length}; ↑/↓ picks)</Text> weight {b.weight} · {b.concurrency} slot{b.concurrency === 1 ? '' : 's'} · share {pct(b.share)} · util {pct(b.utilization)} · p50{' '}
        {ms(b.latency.p50)} p99 {ms(b.latency.p99)} · rejected {count(b.rejected)} · timed out {count(b.timedOut)} · max queue {count(b.maxQueue)}
      </Text>
      <Legend series={[{ label: 'utilization (busy slots / slots)', values: [], color: 'cyan' }]} />
      <LineChart series={[{ label: 'util', values: util, color: 'cyan' }]} height={utilHeight} yMax={1} formatY={(v) => `${Math.round(v * 100)}%`} width={width} labelWidth={AXIS_LABEL_WIDTH} />
      <Legend series={[{ label: 'requests waiting (mean in interval)', values: [], color: 'yellow' }]} />
      <LineChart series={[{ label: 'queue', values: queue, color: 'yellow' }]} height={queueHeight} yMax={queueTop} formatY={axisNumber} width={width} labelWidth={AXIS_LABEL_WIDTH} />
      <TimeAxis window={window} width={width} offset={AXIS_LABEL_WIDTH + 1} origin={origin} />
      {mine.length === 0 ? (
        <Text dimColor>never overloaded</Text>
      ) : (
        mine.slice(0, listed).map((o) => (
          <Text key={`${o.from}`} wrap="truncate">
            <Text color={tint(theme, o.kind === 'rejecting' ? 'red' : 'yellow')}>{o.kind === 'rejecting' ? '█' : '▓'}</Text> {formatAxisTime(o.from, origin, 0)}–{formatAxisTime(o.to, origin, 0)} {o.kind}
            {o.rejected > 0 ? `, ${count(o.rejected)} rejected` : ''}, max queue {count(o.maxQueue)}
          </Text>
        ))
      )}
      {mine.length > listed ? <Text dimColor>… {mine.length - listed} more overload ranges</Text> : null}
    </Box>
  );
}
