import type { Progress } from '../simulate.ts';
import { formatDuration } from '../scenario/units.ts';

/** One line of progress for `--progress` on stderr. */
export function progressLine(p: Progress): string {
  const share = p.end > 0 ? Math.min(p.now / p.end, 1) : 1;
  const eventsPerSec = p.wallMs > 0 ? (p.events / p.wallMs) * 1000 : 0;
  const speed = p.wallMs > 0 ? p.now / p.wallMs : 0;
  return `progress ${(share * 100).toFixed(1)}% sim ${formatDuration(p.now)} of ${formatDuration(p.end)} · ${(eventsPerSec / 1e6).toFixed(2)} M events/s · ${speed.toFixed(0)}× real time · rejected ${p.rejected} · timed out ${p.timedOut}`;
}
