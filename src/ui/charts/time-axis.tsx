/** The time axis under a chart: labels aligned with the plot, wall-clock when the run has a start. */
import { Text } from 'ink';
import { axisLine, type TimeWindow } from '../time-window.ts';

export function TimeAxis({ window, width, offset, origin }: { window: TimeWindow; width: number; offset: number; origin: number | undefined }) {
  const plot = Math.max(1, width - offset);
  return (
    <Text dimColor wrap="truncate">
      {' '.repeat(offset)}
      {axisLine(window, plot, origin)}
    </Text>
  );
}
