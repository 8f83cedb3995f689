/**
 * diff on a fixed trace through a deterministic balancer: every replication gives the same
 * figures, so a change is exact for that traffic. No zero-width "95% CI", no "significant"
 * (review finding 8); and a PASS without an SLO does not say AFTER meets one.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.ts';
import { TraceWriter } from '../../src/traffic/lbt/writer.ts';
import { compare } from '../../src/workflows/compare.ts';
import { formatComparisonText } from '../../src/workflows/compare-format.ts';
import { diff } from '../../src/workflows/diff.ts';
import { formatDiffJson, formatDiffMarkdown, formatDiffText } from '../../src/workflows/diff-format.ts';

const dir = mkdtempSync(join(tmpdir(), 'lbsim-diff-exact-'));
{
  // 2000 requests, one every 2 ms, work 1..9 ms: a few slots queue now and then.
  const w = new TraceWriter(join(dir, 't.lbt'));
  for (let i = 0; i < 2000; i++) w.push(i * 2, 1 + ((i * 7919) % 9), i % 50, 0, 0);
  w.finish();
}
const scenario = (name: string, backends: string) => parseScenario(`name: ${name}\ntraffic: { trace: t.lbt }\nbalancer: { algorithm: round-robin }\nbackends: ${backends}\n`, { baseDir: dir, file: `${name}.yaml` });

describe('diff with every replication alike', () => {
  it('shows the change as exact for this trace in text, markdown and JSON, and gates on the threshold alone', async () => {
    const before = scenario('before', '[{ name: a, concurrency: 4 }, { name: b, concurrency: 4 }]');
    const after = scenario('after', '[{ name: a, concurrency: 1 }, { name: b, concurrency: 1 }]');
    const d = await diff(before, after, { replications: 3, threads: 1 });
    const p99 = d.metrics.find((m) => m.metric === 'p99')!;
    expect(p99.change.exact).toBe(true);
    // No proxy layer on either side: no row for its queue.
    expect(d.metrics.map((m) => m.metric)).not.toContain('maxProxyQueue');
    expect(p99.direction).toBe('worse');
    expect(d.verdict).toMatchObject({ pass: false, regressionTested: true, exact: true });
    expect(d.verdict.reasons.some((r) => /^AFTER is worse in every replication \(exact for this traffic\) on p99:/.test(r))).toBe(true);
    expect(d.verdict.reasons.join('\n')).not.toMatch(/significantly/);

    const text = formatDiffText(d);
    expect(text).toMatch(/p99 .* \+\d+\.\d% \(same in every replication\)  WORSE/);
    expect(text).not.toMatch(/95% CI| … /);
    expect(text).toMatch(/every replication gave the same figures/);
    const md = formatDiffMarkdown(d);
    expect(md).toMatch(/\(same in every replication\)/);
    expect(md).not.toMatch(/95% CI| … /);
    const json = JSON.parse(formatDiffJson(d)) as { metrics: { metric: string; change: { exact: boolean; low: number | null; relLow: number | null } }[]; verdict: { exact: boolean } };
    const j = json.metrics.find((m) => m.metric === 'p99')!.change;
    expect([j.exact, j.low, j.relLow, json.verdict.exact]).toEqual([true, null, null, true]);
  }, 60_000);

  it('a PASS without an SLO does not claim AFTER meets one', async () => {
    const s = scenario('same', '[{ name: a, concurrency: 4 }, { name: b, concurrency: 4 }]');
    const d = await diff(s, s, { replications: 2, threads: 1 });
    expect(d.verdict.pass).toBe(true);
    const text = formatDiffText(d);
    expect(text).toContain('PASS: AFTER sets no SLO and is not worse than BEFORE by more than the threshold (the same in every replication: exact for this traffic)');
    expect(text).not.toMatch(/meets its SLO/);
    expect(formatDiffMarkdown(d)).not.toMatch(/meets its SLO/);
  }, 60_000);

  it('compare: a value the same in every replication is shown without ±0, and the header says why', async () => {
    const c = await compare(
      [
        { label: 'four slots', scenario: scenario('four', '[{ name: a, concurrency: 4 }, { name: b, concurrency: 4 }]') },
        { label: 'one slot', scenario: scenario('one', '[{ name: a, concurrency: 1 }, { name: b, concurrency: 1 }]') },
      ],
      { replications: 3, threads: 1 },
    );
    const text = formatComparisonText(c);
    // p99 is the same in every replication here (round-robin's start is seeded, so p50 and p99.9 move a little).
    expect(c.alternatives[1]!.estimates.p99.halfWidth).toBe(0);
    const oneSlot = text.split('\n').find((l) => l.startsWith('one slot'))!;
    expect(oneSlot).toMatch(/^one slot +\S+(?: ±\S+)? +\d+ms +/);
    expect(oneSlot.split(/ {2,}/)[2]).not.toMatch(/±/);
    expect(text).toMatch(/A value without ± was the same in every replication/);
    expect(text).toMatch(/\(same in every replication\)/);
  }, 60_000);
});

describe('diff of one algorithm with other options', () => {
  it('names the options that differ beside the algorithm, a side without one at its default; none when only the backends differ', async () => {
    const withOptions = (name: string, balancer: string) => parseScenario(`name: ${name}\ntraffic: { trace: t.lbt }\nbalancer: ${balancer}\nbackends: [{ name: a }, { name: b }, { name: c }]\n`, { baseDir: dir, file: `${name}.yaml` });
    const before = withOptions('before', '{ algorithm: haproxy/uri, hash_type: consistent }');
    const after = withOptions('after', '{ algorithm: haproxy/uri, hash_type: consistent, hash_balance_factor: 125 }');
    const d = await diff(before, after, { replications: 2, threads: 1 });
    expect(d.before.options).toEqual({ hash_balance_factor: '(default)' });
    expect(d.after.options).toEqual({ hash_balance_factor: 125 });
    expect(formatDiffText(d).split('\n')[0]).toMatch(/^lbsim diff: \S*before\.yaml \(haproxy\/uri, hash_balance_factor: \(default\)\) → \S*after\.yaml \(haproxy\/uri, hash_balance_factor: 125\)$/);
    const same = await diff(scenario('x', '[{ name: a }]'), scenario('y', '[{ name: a }, { name: b }]'), { replications: 2, threads: 1 });
    expect(same.before.options).toBeUndefined();
    expect(formatDiffText(same).split('\n')[0]).toMatch(/^lbsim diff: \S*x\.yaml \(round-robin\) → \S*y\.yaml \(round-robin\)$/);
  });
});
