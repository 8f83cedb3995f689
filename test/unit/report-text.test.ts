/** `--format text`: the human summary says what each figure is over. */
import { describe, expect, it } from 'vitest';
import { formatText } from '../../src/report/text.ts';
import { CALM_YAML, OVERLOADED_YAML, reportOf } from '../ui/reports.ts';

describe('the text summary', () => {
  it('names its latency line as over completed requests, and counts failures beside it', () => {
    const r = reportOf(OVERLOADED_YAML);
    expect(r.requests.rejected + r.requests.timedOut).toBeGreaterThan(0);
    const text = formatText(r);
    expect(text).toMatch(/^latency {3}of completed: mean \S+ {2}p50 /m);
    expect(text).toContain(`completed ${r.requests.completed.toLocaleString('en-US')}`);
    expect(text).toContain(`failed ${(r.requests.failedShare * 100).toFixed(1)}%`);
  });
});

describe('the text summary holds the run against the scenario SLO and shows weights that differ', () => {
  it('an overloaded run: NOT MET, each check with its value and limit; weights in the backend table', () => {
    const r = reportOf(OVERLOADED_YAML);
    const text = formatText(r);
    const line = text.split('\n').find((l) => l.startsWith('slo '));
    expect(line).toMatch(/^slo {7}NOT MET: p99 \S+ [>≤] 250\.0ms · failed \S+% > 1\.00%$/);
    expect(text).toMatch(/^backend +weight +share /m);
    expect(text).toMatch(/^api-a +8 +\S+%/m);
  });

  it('a calm run meets its SLO; equal weights add no column; no SLO, no line', () => {
    const calm = reportOf(CALM_YAML.replace('report: { interval: 2s }', 'report: { interval: 2s }\nslo: { p99: 1s, errors: 1%, maxUtilization: 0.9 }'));
    expect(formatText(calm)).toMatch(/^slo {7}met: .*≤/m);
    expect(formatText(calm)).not.toMatch(/NOT MET|weight/);
    expect(formatText({ ...calm, slo: null })).not.toMatch(/^slo /m);
  });
});
