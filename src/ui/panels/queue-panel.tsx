/**
 * Queue length per backend over time: one heat strip per backend, shade = requests
 * waiting (time-averaged within the interval), one scale for all rows so they compare.
 */
import { Box, Text } from 'ink';
import { HeatLegend, HeatStrip } from '../charts/heat-strip.tsx';
import { TimeAxis } from '../charts/time-axis.tsx';
import { columnRanges, columnValues, originOf } from '../time-window.ts';
import { AXIS_LABEL_WIDTH, type PanelProps, visibleBackends } from './panel-props.ts';

export function QueuePanel({ report, window, width, height, selected }: PanelProps) {
  const ts = report.timeseries;
  const labelWidth = Math.max(AXIS_LABEL_WIDTH, Math.min(16, Math.max(0, ...ts.backends.map((b) => b.name.length))));
  const plotWidth = Math.max(1, width - labelWidth - 1);
  const ranges = columnRanges(ts, window, plotWidth);
  const columns = ts.backends.map((b) => columnValues(b.meanQueue, ranges));
  let max = 0;
  for (const col of columns) for (const v of col) if (v !== null && v > max) max = v;
  const [first, last] = visibleBackends(ts.backends.length, Math.max(1, height - 4), selected);
  const rows = ts.backends.slice(first, last).map((b, i) => ({ label: b.name, values: columns[first + i]!, selected: first + i === selected }));
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        Queue length per backend <Text dimColor>(mean waiting in an interval; each column: its worst interval)</Text>
      </Text>
      {rows.length === 0 ? <Text dimColor>no backends</Text> : <HeatStrip rows={rows} max={max} labelWidth={labelWidth} width={width} />}
      <TimeAxis window={window} width={width} offset={labelWidth + 1} origin={originOf(report)} />
      {max > 0 ? <HeatLegend max={max} /> : <Text dimColor>no request ever waited</Text>}
      {last - first < ts.backends.length ? (
        <Text dimColor>
          backends {first + 1}–{last} of {ts.backends.length} (↑/↓ to scroll)
        </Text>
      ) : null}
    </Box>
  );
}
