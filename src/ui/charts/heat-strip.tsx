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

/**
 * The upper bound of each shade (levels 1..4) as text: rounded up, so "≤ x" holds for
 * every value drawn in that shade, to two significant digits of the top or more decimals
 * when that is needed to keep the four apart (a scale topping at 0.81 reads 0.21 0.41
 * 0.61 0.81, not 0 0 0 1).
 */
export function heatThresholds(max: number): string[] {
  const bounds = [1, 2, 3, 4].map((level) => (max * level) / 4);
  const first = max > 0 ? Math.max(0, 1 - Math.floor(Math.log10(max))) : 0;
  for (let decimals = first; decimals <= first + 6; decimals++) {
    const f = 10 ** decimals;
    // The small epsilon keeps 0.3 from rounding up to 0.31 through binary noise.
    const up = bounds.map((b) => Math.ceil(b * f - 1e-9) / f);
    if (up[0]! > 0 && new Set(up).size === up.length) return up.map((v) => v.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals }));
  }
  return bounds.map((b) => b.toPrecision(2));
}

/** The scale under a heat strip: what each shade means. */
export function HeatLegend({ max }: { max: number }) {
  const theme = useTheme();
  const labels = heatThresholds(max);
  return (
    <Text wrap="truncate">
      <Text dimColor>· 0 </Text>
      {[1, 2, 3, 4].map((level) => (
        <Text key={level}>
          <Text color={tint(theme, HEAT_COLORS[level])}>{SHADES[level]}</Text> ≤{labels[level - 1]}{' '}
        </Text>
      ))}
    </Text>
  );
}
