/**
 * The overall latency distribution as a percentile ladder (report.latencyPercentiles):
 * one bar per percentile on a log scale, so a millisecond median and a multi-second tail
 * both show. The p99 SLO is marked ┃ on every bar.
 */
import { Box, Text } from 'ink';
import type { LatencyPercentile, Report } from '../../report/types.ts';
import { barString } from '../charts/bar.tsx';
import { count, ms } from '../format.ts';
import { tint, useTheme } from '../theme.tsx';
import type { PanelProps } from './panel-props.ts';

/** Decades the bars span below the maximum. */
const DECADES = 4;
/** Kept first when the panel is too short for every percentile. */
const ESSENTIAL = new Set([50, 90, 99, 99.9, 100]);

/** The report's percentile list, or the summary's five points for reports written before it existed. */
export function percentilesOf(report: Report): LatencyPercentile[] {
  if (Array.isArray(report.latencyPercentiles) && report.latencyPercentiles.length > 0) return report.latencyPercentiles;
  const l = report.latency;
  return [
    { p: 50, ms: l.p50 },
    { p: 90, ms: l.p90 },
    { p: 99, ms: l.p99 },
    { p: 99.9, ms: l.p999 },
    { p: 100, ms: l.max },
  ];
}

function logFraction(v: number, max: number): number {
  if (!(v > 0) || !(max > 0)) return 0;
  const lo = max / 10 ** DECADES;
  return Math.max(0, Math.log10(Math.max(v, lo) / lo) / DECADES);
}

export function DistributionPanel({ report, width, height }: PanelProps) {
  const theme = useTheme();
  let points = percentilesOf(report);
  if (points.length > height - 3) points = points.filter((p) => ESSENTIAL.has(p.p)).slice(0, Math.max(1, height - 3));
  const max = points.reduce((m, p) => Math.max(m, p.ms), 0);
  const barWidth = Math.max(4, width - 20);
  const slo = report.slo?.p99;
  const sloCol = slo !== undefined && max > 0 ? Math.min(barWidth - 1, Math.round(logFraction(slo, max) * barWidth)) : -1;
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        Latency distribution <Text dimColor>({count(report.latency.count)} completed; mean {ms(report.latency.mean)}; log scale)</Text>
      </Text>
      {report.latency.count === 0 ? (
        <Text dimColor>no request completed in this run</Text>
      ) : (
        points.map((p) => {
          const over = slo !== undefined && p.ms > slo;
          let bar = barString(logFraction(p.ms, max), barWidth);
          if (sloCol >= 0) bar = `${bar.slice(0, sloCol)}┃${bar.slice(sloCol + 1)}`;
          return (
            <Text key={p.p} wrap="truncate">
              {(p.p === 100 ? 'max' : `p${p.p}`).padEnd(7)}
              {ms(p.ms).padStart(9)}{' '}
              <Text color={tint(theme, over ? 'red' : 'cyan')}>{bar}</Text>
            </Text>
          );
        })
      )}
      {slo !== undefined ? (
        <Text dimColor wrap="truncate">
          ┃ SLO p99 {ms(slo)}
        </Text>
      ) : null}
    </Box>
  );
}
