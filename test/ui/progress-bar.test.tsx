/** The reusable progress bar and the import's live line: the ETA survives narrow terminals. */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { startImportProgress } from '../../src/ui/import-progress.tsx';
import { ProgressBar } from '../../src/ui/progress-bar.tsx';
import { frameOf, renderAt, settle, widestLine } from './helpers.tsx';

const IMPORT_DETAIL = ['1.23 M rows/s', '412 of 2048 MB', '1,234,567 requests'];

describe('progress bar at narrow widths', () => {
  it('drops detail parts from the last, never the ETA, and stays inside its width', () => {
    const at = (width: number, label = 'importing access-2024-04-15.log') => frameOf(renderAt(<ProgressBar fraction={0.2} width={width} label={label} detail={IMPORT_DETAIL} etaMs={65_000} />, width));
    const wide = at(140);
    expect(wide).toContain('1.23 M rows/s · 412 of 2048 MB · 1,234,567 requests ETA 1m05s');
    const eighty = at(80);
    expect(widestLine(eighty)).toBeLessThanOrEqual(80);
    expect(eighty).toMatch(/20\.0% {2}1\.23 M rows\/s ETA 1m05s$/);
    const narrow = at(60);
    expect(widestLine(narrow)).toBeLessThanOrEqual(60);
    expect(narrow).toMatch(/20\.0% ETA 1m05s$/);
    // A label too long for the line gives way (…) before the ETA does.
    const long = at(60, `importing ${'x'.repeat(80)}.log`);
    expect(widestLine(long)).toBeLessThanOrEqual(60);
    expect(long).toMatch(/^importing x+… ▕.*20\.0% ETA 1m05s$/);
  });

  it('a single detail string is shown whole or not at all', () => {
    const frame = frameOf(renderAt(<ProgressBar fraction={0.5} width={40} detail="sim 1h00m00s of 4h30m00s" etaMs={2000} />, 40));
    expect(frame).toMatch(/50\.0% ETA 2\.00s$/);
  });
});

describe('import progress line', () => {
  it('at 80 columns keeps the rate and the ETA', async () => {
    const out = Object.assign(new EventEmitter(), { columns: 80, rows: 24, isTTY: true, chunks: [] as string[], write(s: string) {
      out.chunks.push(s);
      return true;
    } });
    const view = startImportProgress('importing access-2024-04-15.log', out as unknown as NodeJS.WriteStream);
    view.update({ bytesRead: 412e6, totalBytes: 2048e6, requests: 1_234_567, elapsedMs: 1000 });
    // ink draws at most every few tens of ms; under CI=true (is-in-ci) it draws no live frame
    // at all and writes the last one when the view stops. Stopping flushes the frame either way.
    await settle();
    view.stop();
    const text = out.chunks.join('');
    // eslint-disable-next-line no-control-regex
    const lines = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '\n').split('\n').filter((l) => l.includes('ETA'));
    expect(lines.at(-1)).toMatch(/1\.23 M rows\/s ETA 3\.97s$/);
    expect(widestLine(lines.at(-1)!)).toBeLessThanOrEqual(80);
  });
});
