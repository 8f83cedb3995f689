/**
 * The line of numbered panel tabs under a view's header (the current one highlighted),
 * with the zoomed time range when the time axis is zoomed. The dashboard and the
 * comparison view share it.
 */
import { Text } from 'ink';
import type { Report } from '../report/types.ts';
import { formatAxisTime, isZoomed, type TimeWindow } from './time-window.ts';

export function PanelTabs<Id extends string>({ panels, current, window, reports, origin }: { panels: readonly { id: Id; title: string }[]; current: Id; window: TimeWindow; reports: readonly Report[]; origin: number | undefined }) {
  return (
    <Text wrap="truncate">
      {panels.map((p, i) => (
        <Text key={p.id} inverse={p.id === current} bold={p.id === current}>
          {` ${i + 1} ${p.title} `}
        </Text>
      ))}
      {isZoomed(window, reports) ? (
        <Text dimColor>
          {'  '}zoom {formatAxisTime(window.from, origin, 0)}–{formatAxisTime(window.to, origin, 0)}
        </Text>
      ) : null}
    </Text>
  );
}
