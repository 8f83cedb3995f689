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

describe('the backend table of a big fleet', () => {
  // 40 backends, weighted round robin: one of weight 4 (the hot one), one of weight 0 (drained).
  const fleet = (n: number) =>
    `name: fleet\nduration: 20s\ntraffic: { synthetic: { rate: ${n * 40}/s, service: { distribution: exponential, mean: 10ms } } }\nbalancer: { algorithm: weighted-round-robin }\nbackends:\n  - { name: hot, weight: 4 }\n  - { name: drained, weight: 0 }\n  - { name: web, count: ${n - 2} }\n`;

  it('lists the busiest and the least busy, sums up the others, and says where all of them are', () => {
    const r = reportOf(fleet(40));
    const lines = formatText(r).split('\n');
    const head = lines.findIndex((l) => l.startsWith('backend '));
    expect(lines[head - 1]).toBe('backends  40, by utilization: the 12 busiest, the others summed up, the 3 least busy (all: --format json or csv)');
    const rows = lines.slice(head + 1, head + 17);
    expect(rows[0]).toMatch(/^hot +4 +/);
    expect(rows.slice(0, 12).every((l) => !l.startsWith('…'))).toBe(true);
    expect(rows[12]).toMatch(/^… 25 more: share \S+%–\S+%, util \S+%–\S+%, p99 \S+–\S+, rejected 0, timed out 0, max queue \d+(–\d+)?$/);
    expect(rows[15]).toMatch(/^drained +0 +0\.00% +0\.00%/);
    // The rows shown are the 12 highest utilizations and the 3 lowest, in that order.
    const utils = [...r.backends].map((b) => b.utilization).sort((a, b) => b - a);
    const shownUtil = [...rows.slice(0, 12), ...rows.slice(13, 16)].map((l) => r.backends.find((b) => b.name === l.split(/ +/)[0])!.utilization);
    expect(shownUtil).toEqual([...utils.slice(0, 12), ...utils.slice(-3)]);
  });

  it('up to 24 backends, every one in scenario order', () => {
    const lines = formatText(reportOf(fleet(24))).split('\n');
    expect(lines.some((l) => l.startsWith('backends '))).toBe(false);
    const head = lines.findIndex((l) => l.startsWith('backend '));
    expect(lines.slice(head + 1, head + 25).map((l) => l.split(/ +/)[0])).toEqual(['hot', 'drained', ...Array.from({ length: 22 }, (_, i) => `web-${i + 1}`)]);
  });
});
