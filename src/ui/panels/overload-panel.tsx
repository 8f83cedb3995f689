/**
 * The overload timeline: when each backend was rejecting or saturated (report.overload),
 * and under it the share of requests that failed per interval (of the outcomes resolved in it)
 * (timeseries.failedShare) on a 0–100% axis with 25% steps, so "75% failed" reads off it.
 */
import { Box, Text } from 'ink';
import { LineChart, type ReferenceLine } from '../charts/line-chart.tsx';
import { segments } from '../charts/line-chart.tsx';
import { TimeAxis } from '../charts/time-axis.tsx';
import { pct } from '../format.ts';
import { tint, useTheme } from '../theme.tsx';
import { columnRanges, columnValues, formatAxisTime, originOf, type TimeWindow } from '../time-window.ts';
import { AXIS_LABEL_WIDTH, type PanelProps, visibleBackends } from './panel-props.ts';
import type { OverloadRange } from '../../report/types.ts';

export const FAILED_COLOR = 'red';

/** The state of a backend in one column: the worst overload range overlapping its time span. */
export function overloadCells(ranges: readonly OverloadRange[], backend: string, window: TimeWindow, columns: number): Array<'rejecting' | 'saturated' | null> {
  const step = (window.to - window.from) / columns;
  const out: Array<'rejecting' | 'saturated' | null> = [];
  const mine = ranges.filter((o) => o.backend === backend);
  for (let c = 0; c < columns; c++) {
    const t0 = window.from + c * step;
    const t1 = t0 + step;
    let state: 'rejecting' | 'saturated' | null = null;
    for (const o of mine) {
      if (o.from < t1 && o.to > t0) {
        state = o.kind === 'rejecting' ? 'rejecting' : (state ?? 'saturated');
        if (state === 'rejecting') break;
      }
    }
    out.push(state);
  }
  return out;
}

export function OverloadPanel({ report, window, width, height, selected }: PanelProps) {
  const theme = useTheme();
  const ts = report.timeseries;
  const origin = originOf(report);
  const labelWidth = Math.max(AXIS_LABEL_WIDTH, Math.min(16, Math.max(0, ...ts.backends.map((b) => b.name.length))));
  const plotWidth = Math.max(1, width - labelWidth - 1);
  // Failed share: 5 rows give axis labels at exactly 0, 25, 50, 75 and 100%; 9 rows when there is room.
  const chartHeight = height >= 22 ? 9 : 5;
  const backendRows = Math.max(1, height - chartHeight - 5);
  const [first, last] = visibleBackends(ts.backends.length, backendRows, selected);
  const ranges = columnRanges(ts, window, plotWidth);
  const failed = columnValues(ts.failedShare, ranges, (r) => ts.arrivals[r] === 0);
  const references: ReferenceLine[] = report.slo?.errors === undefined ? [] : [{ label: `SLO errors ${pct(report.slo.errors)}`, value: report.slo.errors, color: 'yellow' }];
  // The worst interval, named in words so the headline number needs no squinting at the chart.
  let worst = -1;
  for (let r = 0; r < ts.failedShare.length; r++) if (ts.arrivals[r]! > 0 && (worst < 0 || ts.failedShare[r]! > ts.failedShare[worst]!)) worst = r;
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        Overload <Text color={tint(theme, 'red')}>█</Text> rejecting <Text color={tint(theme, 'yellow')}>▓</Text> saturated{' '}
        <Text dimColor>({report.overload.length} range{report.overload.length === 1 ? '' : 's'})</Text>
      </Text>
      {ts.backends.slice(first, last).map((b, i) => {
        const cells = overloadCells(report.overload, b.name, window, plotWidth).map((s) =>
          s === 'rejecting' ? { ch: '█', color: tint(theme, 'red') } : s === 'saturated' ? { ch: '▓', color: tint(theme, 'yellow') } : { ch: '·', color: undefined },
        );
        return (
          <Text key={b.name} wrap="truncate">
            <Text inverse={first + i === selected}>{b.name.slice(0, labelWidth).padEnd(labelWidth)}</Text>
            <Text dimColor>│</Text>
            {segments(cells).map((s, k) => (
              <Text key={k} color={s.color} dimColor={s.color === undefined}>
                {s.text}
              </Text>
            ))}
          </Text>
        );
      })}
      {last - first < ts.backends.length ? <Text dimColor>backends {first + 1}–{last} of {ts.backends.length} (↑/↓ to scroll)</Text> : null}
      <Text bold wrap="truncate">
        Failed requests per interval <Text dimColor>(rejected + timed out, of the outcomes in each interval)</Text>
      </Text>
      <LineChart series={[{ label: 'failed', values: failed, color: FAILED_COLOR }]} references={references} height={chartHeight} yMax={1} formatY={(v) => `${Math.round(v * 100)}%`} width={width} labelWidth={labelWidth} />
      <TimeAxis window={window} width={width} offset={labelWidth + 1} origin={origin} />
      <Text wrap="truncate">
        failed overall <Text bold>{pct(report.requests.failedShare)}</Text>
        {worst >= 0 ? (
          <Text>
            {' '}· worst interval <Text bold color={tint(theme, ts.failedShare[worst]! > 0 ? 'red' : undefined)}>{pct(ts.failedShare[worst]!)}</Text> failed at{' '}
            {formatAxisTime(ts.start[worst]!, origin, 0)}
          </Text>
        ) : null}
      </Text>
    </Box>
  );
}
