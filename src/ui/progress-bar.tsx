/**
 * A progress bar with rate and ETA: the live run view uses it, and so can anything long
 * (importing a trace: pass bytes read of the file's size). It shows what it is given;
 * `etaMs` helps the caller estimate the remaining wall time from the pace so far.
 *
 *   <ProgressBar fraction={read / size} width={60} label="importing access.log" detail="41 MB/s" etaMs={etaMs(read, size, elapsed)} />
 */
import { Text } from 'ink';
import { barString } from './charts/bar.tsx';
import { ms } from './format.ts';
import { tint, useTheme } from './theme.tsx';

export interface ProgressBarProps {
  /** Done so far, 0..1. */
  fraction: number;
  /** Columns for the whole line. */
  width: number;
  label?: string;
  /** Free text after the percentage: a rate, a position. */
  detail?: string;
  /** Wall-clock ms left; omitted or NaN shows no ETA. */
  etaMs?: number;
}

/** Remaining wall ms at the pace so far, NaN before there is a pace. */
export function etaMs(done: number, total: number, elapsedMs: number): number {
  if (!(done > 0) || !(elapsedMs > 0) || !(total > done)) return done >= total && total > 0 ? 0 : Number.NaN;
  return ((total - done) * elapsedMs) / done;
}

export function ProgressBar({ fraction, width, label, detail, etaMs: eta }: ProgressBarProps) {
  const theme = useTheme();
  const f = Number.isFinite(fraction) ? Math.min(Math.max(fraction, 0), 1) : 0;
  const pctText = `${(f * 100).toFixed(1).padStart(5)}%`;
  const etaText = eta !== undefined && Number.isFinite(eta) ? ` ETA ${ms(eta)}` : '';
  const tail = ` ${pctText}${detail ? `  ${detail}` : ''}${etaText}`;
  const head = label ? `${label} ` : '';
  const barWidth = Math.max(10, Math.min(40, width - head.length - tail.length - 2));
  return (
    <Text wrap="truncate">
      {head}
      <Text dimColor>▕</Text>
      <Text color={tint(theme, 'cyan')}>{barString(f, barWidth)}</Text>
      <Text dimColor>▏</Text>
      <Text bold>{tail}</Text>
    </Text>
  );
}
