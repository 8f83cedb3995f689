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
  /**
   * Free text after the percentage: a rate, a position. Several parts are shown joined
   * by ' · ' and, when the line is too narrow, dropped from the last; the ETA stays.
   */
  detail?: string | readonly string[];
  /** Wall-clock ms left; omitted or NaN shows no ETA. */
  etaMs?: number;
}

/** Remaining wall ms at the pace so far, NaN before there is a pace. */
export function etaMs(done: number, total: number, elapsedMs: number): number {
  if (!(done > 0) || !(elapsedMs > 0) || !(total > done)) return done >= total && total > 0 ? 0 : Number.NaN;
  return ((total - done) * elapsedMs) / done;
}

/** Narrowest bar drawn. */
const MIN_BAR = 10;

export function ProgressBar({ fraction, width, label, detail, etaMs: eta }: ProgressBarProps) {
  const theme = useTheme();
  const f = Number.isFinite(fraction) ? Math.min(Math.max(fraction, 0), 1) : 0;
  const pctText = `${(f * 100).toFixed(1).padStart(5)}%`;
  const etaText = eta !== undefined && Number.isFinite(eta) ? ` ETA ${ms(eta)}` : '';
  const parts = detail === undefined ? [] : typeof detail === 'string' ? [detail] : detail.filter((d) => d !== '');
  const len = (t: string) => [...t].length;
  const tailOf = (n: number) => ` ${pctText}${n > 0 ? `  ${parts.slice(0, n).join(' · ')}` : ''}${etaText}`;
  let head = label ? `${label} ` : '';
  // The parts that fit beside the narrowest bar, the ETA always among them.
  let shown = parts.length;
  while (shown > 0 && len(head) + MIN_BAR + 2 + len(tailOf(shown)) > width) shown--;
  const tail = tailOf(shown);
  const room = width - MIN_BAR - 2 - len(tail);
  if (len(head) > room && head !== '') head = `${[...head].slice(0, Math.max(1, room - 2)).join('')}… `;
  const barWidth = Math.max(MIN_BAR, Math.min(40, width - len(head) - len(tail) - 2));
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
