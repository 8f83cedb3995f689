/** `--format csv`: the time series, with the warm-up's intervals marked. */
import { describe, expect, it } from 'vitest';
import { formatCsv } from '../../src/report/csv.ts';
import { CALM_YAML, reportOf } from '../ui/reports.ts';

describe('the CSV time series', () => {
  it('marks warm-up intervals, so the rows after it add up to the requests counted', () => {
    // A 10 s warm-up on 2 s intervals: the first five rows are the warm-up's.
    const r = reportOf(CALM_YAML.replace('duration: 1m', 'duration: 1m\nwarmup: 10s'));
    expect(r.timeseries.warmupIntervals).toBe(5);
    const [header, ...rows] = formatCsv(r).trimEnd().split('\n').map((l) => l.split(','));
    const at = (name: string) => header!.indexOf(name);
    expect(at('warmup')).toBeGreaterThan(0);
    expect(rows.map((row) => row[at('warmup')])).toEqual(rows.map((_, i) => (i < 5 ? '1' : '0')));
    const counted = rows.filter((row) => row[at('warmup')] === '0').reduce((sum, row) => sum + Number(row[at('arrivals')]), 0);
    expect(counted).toBe(r.requests.total);
    expect(rows.reduce((sum, row) => sum + Number(row[at('arrivals')]), 0)).toBeGreaterThan(r.requests.total);
  });
});
