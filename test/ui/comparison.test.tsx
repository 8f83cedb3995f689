/** The comparison view the workflows commands call: panels, the differences table, argument checks. */
import { describe, expect, it } from 'vitest';
import { isLbsimError } from '../../src/errors.ts';
import { ComparisonView, comparisonToString, showComparison } from '../../src/ui/comparison.tsx';
import { count, pct } from '../../src/ui/format.ts';
import { DISTINCT_LOOKS, seriesLook } from '../../src/ui/charts/line-chart.tsx';
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

  it('five algorithms without colour: each run has a look of its own, and the legend wraps rather than losing one', () => {
    const algorithms = ['round-robin', 'random', 'least-connections', 'power-of-two', 'weighted-round-robin'];
    const runs = algorithms.map((a) => reportOf(OVERLOADED_YAML.replace('weighted-round-robin', a)));
    for (const panel of ['p99', 'failed'] as const) {
      const frame = comparisonToString(runs, algorithms, { panel, columns: 80, rows: 24 });
      expect(widestLine(frame)).toBeLessThanOrEqual(80);
      const legend = frame.split('\n').slice(3, 5).join('  ');
      const symbols = algorithms.map((a) => new RegExp(`(\\S\\S) ${a}(  |$)`).exec(legend)?.[1]);
      expect(symbols).toEqual(['━━', '──', '══', '●●', '××']);
      // The points of the marker runs are drawn in the chart.
      expect(frame.split('\n').slice(5).join('')).toMatch(/[●×]/);
    }
  });

  it('past the distinct looks (line styles, markers, letters) runs are left out of the chart and the legend says how many', () => {
    const looks = Array.from({ length: DISTINCT_LOOKS }, (_, i) => JSON.stringify(seriesLook(i)));
    expect(new Set(looks).size).toBe(DISTINCT_LOOKS);
    expect(DISTINCT_LOOKS).toBeGreaterThanOrEqual(30);
    expect(seriesLook(DISTINCT_LOOKS)).toBeNull();
    const runs = Array.from({ length: DISTINCT_LOOKS + 3 }, (_, i) => (i % 2 === 0 ? wrr() : lc()));
    const frame = comparisonToString(runs, runs.map((_, i) => `r${i + 1}`), { panel: 'failed', columns: 80, rows: 30 });
    expect(frame).toContain(`ZZ r${DISTINCT_LOOKS}`);
    expect(frame).not.toContain(`r${DISTINCT_LOOKS + 1} `);
    expect(frame).toContain('+3 more runs not drawn');
    expect(widestLine(frame)).toBeLessThanOrEqual(80);
    expect(frame.split('\n').length).toBeLessThan(30);
  });

  it('the differences table fits: labels whole at 120 columns, never a value cut short, runs that do not fit named', () => {
    const algorithms = ['round-robin', 'random', 'least-connections', 'power-of-two', 'weighted-round-robin'];
    const runs = algorithms.map((a) => reportOf(OVERLOADED_YAML.replace('weighted-round-robin', a)));
    const wide = comparisonToString(runs, algorithms, { panel: 'differences', columns: 120, rows: 24 });
    expect(widestLine(wide)).toBeLessThanOrEqual(120);
    expect(wide.split('\n')[2]).toMatch(/^vs first run +round-robin +random +least-connections +power-of-two +weighted-round-robin$/);
    const last = runs.at(-1)!;
    expect(wide).toContain(`${count(last.requests.rejected)} +${count(last.requests.rejected - runs[0]!.requests.rejected)}`);
    for (const columns of [80, 70]) {
      const narrow = comparisonToString(runs, algorithms, { panel: 'differences', columns, rows: 24 });
      expect(widestLine(narrow)).toBeLessThanOrEqual(columns);
      const failed = narrow.split('\n').find((l) => l.startsWith('failed'))!;
      expect(failed.trim().split(/ +/).slice(1)).toEqual(runs.map((r) => pct(r.requests.failedShare)));
    }
    const many = Array.from({ length: 12 }, (_, i) => runs[i % 5]!);
    const crowded = comparisonToString(many, many.map((_, i) => `run-${i + 1}`), { panel: 'differences', columns: 80, rows: 24 });
    expect(widestLine(crowded)).toBeLessThanOrEqual(80);
    expect(crowded).toMatch(/… \d+ more runs \(a wider terminal shows them\)/);
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
