/**
 * Response time over time: p50, p90 and p99 of the requests arriving in each interval,
 * with the scenario's p99 SLO as a line. Intervals where nothing completed (all failed)
 * are gaps, not zeros.
 */
import { Box, Text } from 'ink';
import { Legend, LineChart, niceCeil, quarterRows, type ChartSeries, type ReferenceLine } from '../charts/line-chart.tsx';
import { TimeAxis } from '../charts/time-axis.tsx';
import { ms } from '../format.ts';
import { columnRanges, columnValues, originOf } from '../time-window.ts';
import { AXIS_LABEL_WIDTH, type PanelProps } from './panel-props.ts';

export const PERCENTILE_COLORS = { p50: 'green', p90: 'yellow', p99: 'magenta' } as const;
export const SLO_COLOR = 'red';
const PERCENTILE_STYLES = { p50: 'double', p90: 'light', p99: 'heavy' } as const;

export function LatencyPanel({ report, window, width, height, logScale }: PanelProps) {
  const ts = report.timeseries;
  const plotWidth = Math.max(1, width - AXIS_LABEL_WIDTH - 1);
  const ranges = columnRanges(ts, window, plotWidth);
  const nothingDone = (r: number) => ts.completed[r] === 0;
  const series: ChartSeries[] = (['p50', 'p90', 'p99'] as const).map((k) => ({ label: k, values: columnValues(ts[k], ranges, nothingDone), color: PERCENTILE_COLORS[k], style: PERCENTILE_STYLES[k] }));
  const references: ReferenceLine[] = report.slo?.p99 === undefined ? [] : [{ label: `SLO p99 ${ms(report.slo.p99)}`, value: report.slo.p99, color: SLO_COLOR }];
  let top = 0;
  for (const v of series[2]!.values) if (v !== null && v > top) top = v;
  for (const r of references) top = Math.max(top, r.value * 1.1);
  const chartHeight = quarterRows(Math.max(3, height - 3));
  const hasData = top > 0;
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        Response time per interval <Text dimColor>(each column: its worst interval{logScale ? '; log scale' : ''})</Text>
      </Text>
      <Legend series={series} references={references} />
      {hasData ? (
        <LineChart series={series} references={references} height={chartHeight} yMax={niceCeil(top)} formatY={ms} width={width} labelWidth={AXIS_LABEL_WIDTH} scale={logScale ? 'log' : 'linear'} />
      ) : (
        <Box height={chartHeight}>
          <Text dimColor>no request completed in this run</Text>
        </Box>
      )}
      <TimeAxis window={window} width={width} offset={AXIS_LABEL_WIDTH + 1} origin={originOf(report)} />
    </Box>
  );
}
