/** The comparison view the workflows commands call: panels, the differences table, argument checks. */
import { describe, expect, it } from 'vitest';
import { isLbsimError } from '../../src/errors.ts';
import { ComparisonView, comparisonToString, showComparison } from '../../src/ui/comparison.tsx';
import { pct } from '../../src/ui/format.ts';
import { frameOf, frameWhen, KEYS, renderAt, widestLine } from './helpers.tsx';
import { EMPTY_YAML, OVERLOADED_YAML, reportOf } from './reports.ts';

const wrr = () => reportOf(OVERLOADED_YAML);
const lc = () => reportOf(OVERLOADED_YAML.replace('weighted-round-robin', 'least-connections'));

describe('comparison view', () => {
  it('the differences table: each run, and the change from the first, coloured by better or worse', () => {
    const [a, b] = [wrr(), lc()];
    expect(b.requests.failedShare).toBeLessThan(a.requests.failedShare);
    const frame = comparisonToString([a, b], ['wrr', 'leastconn'], { panel: 'differences', columns: 80, rows: 24 });
    const failed = frame.split('\n').find((l) => l.startsWith('failed'))!;
    expect(failed).toContain(pct(a.requests.failedShare));
    expect(failed).toContain(`${pct(b.requests.failedShare)} -${pct(a.requests.failedShare - b.requests.failedShare)}`);
    const requests = frame.split('\n').find((l) => l.startsWith('requests'))!;
    // Same traffic in both runs: no change.
    expect(requests).toMatch(/ =$/);
  });

  for (const [columns, rows] of [
    [80, 24],
    [160, 40],
  ] as const) {
    for (const panel of ['p99', 'failed', 'queues', 'differences'] as const) {
      it(`${panel} fits ${columns}×${rows}, also with an empty run among them`, () => {
        const frame = comparisonToString([wrr(), lc(), reportOf(EMPTY_YAML)], ['wrr', 'lc', 'empty'], { panel, columns, rows });
        expect(widestLine(frame)).toBeLessThanOrEqual(columns);
        expect(frame.split('\n').length).toBeLessThan(rows);
      });
    }
  }

  it('runs are overlaid with distinct line styles, so they stay apart without colour', () => {
    const frame = comparisonToString([wrr(), lc()], ['wrr', 'leastconn'], { panel: 'failed', columns: 80, rows: 24 });
    expect(frame).toContain('━━ wrr');
    expect(frame).toContain('── leastconn');
    expect(frame).toContain('━'); // wrr fails in the middle stretch: its line leaves the 0% row
  });

  it('wide terminals put the differences table beside the chart', () => {
    expect(comparisonToString([wrr(), lc()], ['a', 'b'], { columns: 160, rows: 30 })).toContain('vs first run');
    expect(comparisonToString([wrr(), lc()], ['a', 'b'], { columns: 80, rows: 30 })).not.toContain('vs first run');
  });

  it('keys switch panels', async () => {
    const r = renderAt(<ComparisonView reports={[wrr(), lc()]} labels={['wrr', 'lc']} columns={100} rows={30} />, 100);
    expect(frameOf(r)).toContain('p99 response time, runs overlaid');
    r.stdin.write('2');
    expect(await frameWhen(r, (f) => f.includes('Failed share per interval'))).toContain('Failed share per interval, runs overlaid');
    r.stdin.write(KEYS.tab);
    expect(await frameWhen(r, (f) => f.includes('run by run'))).toContain('Queue length per backend, run by run');
    r.stdin.write('4');
    expect(await frameWhen(r, (f) => f.includes('vs first run'))).toContain('vs first run');
    r.unmount();
  });

  it('refuses mismatched labels and no reports with a usage error', async () => {
    const err = await showComparison([wrr()], ['a', 'b']).catch((e: unknown) => e);
    expect(isLbsimError(err)).toBe(true);
    expect((err as Error).message).toContain('1 reports but 2 labels');
    expect(() => comparisonToString([], [])).toThrow(/no reports/);
  });
});
