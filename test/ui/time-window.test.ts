/** Zoom, pan, column mapping and time labels of the shared time axis. */
import { describe, expect, it } from 'vitest';
import { axisLine, columnRanges, columnValues, fullWindow, pan, zoomIn, zoomOut } from '../../src/ui/time-window.ts';
import type { TimeSeries } from '../../src/report/types.ts';
import { OVERLOADED_YAML, reportOf } from './reports.ts';

const ts = (rows: number, interval: number) => ({ interval, start: Array.from({ length: rows }, (_, i) => i * interval) }) as unknown as TimeSeries;

describe('time window', () => {
  it('columns map to the intervals under them: several per column, or one repeated', () => {
    expect(columnRanges(ts(8, 1000), { from: 0, to: 8000 }, 4)).toEqual([
      [0, 2],
      [2, 4],
      [4, 6],
      [6, 8],
    ]);
    expect(columnRanges(ts(2, 1000), { from: 0, to: 2000 }, 4)).toEqual([
      [0, 1],
      [0, 1],
      [1, 2],
      [1, 2],
    ]);
  });

  it('a column shows the worst interval under it; skipped intervals leave a gap', () => {
    expect(columnValues([1, 5, 2, 0], [[0, 2], [2, 4]])).toEqual([5, 2]);
    expect(columnValues([1, 5, 2, 0], [[0, 2], [2, 4]], (r) => r >= 2)).toEqual([5, null]);
  });

  it('zoom halves and doubles around the middle, pan moves a quarter, both stay inside the run', () => {
    const r = reportOf(OVERLOADED_YAML);
    const full = fullWindow([r]);
    expect(full).toEqual({ from: 0, to: 120_000 });
    const z = zoomIn(full, [r]);
    expect(z).toEqual({ from: 30_000, to: 90_000 });
    expect(pan(z, 1, [r])).toEqual({ from: 45_000, to: 105_000 });
    expect(pan(pan(pan(z, 1, [r]), 1, [r]), 1, [r])).toEqual({ from: 60_000, to: 120_000 });
    expect(zoomOut(zoomOut(z, [r]), [r])).toEqual(full);
    // No narrower than 4 intervals (5 s each).
    let w = full;
    for (let i = 0; i < 10; i++) w = zoomIn(w, [r]);
    expect(w.to - w.from).toBe(20_000);
  });

  it('axis labels sit at round times, as clock times when the run has a start', () => {
    const line = axisLine({ from: 0, to: 120_000 }, 72, Date.parse('2024-04-15T10:00:00Z'));
    expect(line.length).toBe(72);
    expect(line.startsWith('10:00:00')).toBe(true);
    expect(line).toContain('10:01:00');
    expect(line.endsWith('10:02:00')).toBe(true);
    const offsets = axisLine({ from: 0, to: 600_000 }, 72, undefined);
    expect(offsets.startsWith('0 ')).toBe(true);
    expect(offsets).toContain('4m00s');
    expect(offsets.endsWith('10m00s')).toBe(true);
  });
});
