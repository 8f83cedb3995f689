/**
 * Heat strips: one row per item (a backend), one shaded cell per column. Shades are
 * relative to one `max` shared by all rows so rows compare; with colour on, cells also
 * go green → yellow → red.
 */
import { Box, Text } from 'ink';
import { segments } from './line-chart.tsx';
import { tint, useTheme } from '../theme.tsx';

const SHADES = [' ', '░', '▒', '▓', '█'];
const HEAT_COLORS = [undefined, 'green', 'yellow', 'redBright', 'red'];

/** Shade level 0..4 of a value against the scale's max; any value above zero shows at least ░. */
export function shadeLevel(v: number | null, max: number): number {
  if (v === null || !(v > 0) || !(max > 0)) return 0;
  return Math.min(4, Math.max(1, Math.ceil((v / max) * 4)));
}

export interface HeatRow {
  label: string;
  values: ReadonlyArray<number | null>;
  selected?: boolean;
}

export interface HeatStripProps {
  rows: readonly HeatRow[];
  max: number;
  labelWidth: number;
  width: number;
}

export function HeatStrip({ rows, max, labelWidth, width }: HeatStripProps) {
  const theme = useTheme();
  const plotWidth = Math.max(1, width - labelWidth - 1);
  return (
    <Box flexDirection="column">
      {rows.map((row) => {
        const cells = row.values.slice(0, plotWidth).map((v) => {
          const level = shadeLevel(v, max);
          return { ch: v === null ? ' ' : level === 0 ? '·' : SHADES[level]!, color: tint(theme, HEAT_COLORS[level]) };
        });
        return (
          <Text key={row.label} wrap="truncate">
            <Text inverse={row.selected === true}>{row.label.slice(0, labelWidth).padEnd(labelWidth)}</Text>
            <Text dimColor>│</Text>
            {segments(cells).map((s, i) => (
              <Text key={i} color={s.color} dimColor={s.text.startsWith('·')}>
                {s.text}
              </Text>
            ))}
          </Text>
        );
      })}
    </Box>
  );
}

/** The scale under a heat strip: what each shade means. */
export function HeatLegend({ max, format }: { max: number; format: (v: number) => string }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate">
      <Text dimColor>· 0 </Text>
      {[1, 2, 3, 4].map((level) => (
        <Text key={level}>
          <Text color={tint(theme, HEAT_COLORS[level])}>{SHADES[level]}</Text> ≤{format((max * level) / 4)}{' '}
        </Text>
      ))}
    </Text>
  );
}
