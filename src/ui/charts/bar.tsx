/** Horizontal bars with eighth-block resolution, for progress and per-backend load. */
import { Text } from 'ink';
import { tint, useTheme } from '../theme.tsx';

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar `width` cells wide filled to `fraction` (clamped to 0..1), padded with `empty`. */
export function barString(fraction: number, width: number, empty = ' '): string {
  const w = Math.max(0, Math.floor(width));
  const f = Number.isFinite(fraction) ? Math.min(Math.max(fraction, 0), 1) : 0;
  const eighths = Math.round(f * w * 8);
  const full = Math.floor(eighths / 8);
  const part = EIGHTHS[eighths % 8]!;
  const used = full + (part === '' ? 0 : 1);
  return '█'.repeat(full) + part + empty.repeat(Math.max(0, w - used));
}

export interface HBarProps {
  value: number;
  max: number;
  width: number;
  color?: string;
}

export function HBar({ value, max, width, color }: HBarProps) {
  const theme = useTheme();
  const bar = barString(max > 0 ? value / max : 0, width, '·');
  const filled = bar.replace(/·+$/, '');
  return (
    <Text>
      <Text color={tint(theme, color)}>{filled}</Text>
      <Text dimColor>{bar.slice(filled.length)}</Text>
    </Text>
  );
}
