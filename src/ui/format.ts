/** How the UI writes numbers: the same units as the text summary. */
import { formatCount, formatDuration } from '../scenario/units.ts';

export const pct = (x: number): string => `${(x * 100).toFixed(x >= 0.1 || x === 0 ? (x >= 0.995 ? 0 : 1) : 2)}%`;
export const ms = (x: number): string => formatDuration(x);
export const count = formatCount;

/** Large counts in a few characters: 950, 12.3k, 4.1M. */
export function compact(x: number): string {
  const a = Math.abs(x);
  if (a < 1000) return String(Math.round(x));
  if (a < 1e6) return `${(x / 1e3).toFixed(a < 1e4 ? 1 : 0)}k`;
  if (a < 1e9) return `${(x / 1e6).toFixed(a < 1e7 ? 1 : 0)}M`;
  return `${(x / 1e9).toFixed(1)}G`;
}
