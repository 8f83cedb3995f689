/** diff's per-backend table for a fleet of more than 24 backends: the ones that changed most, and a line for the rest. */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.ts';
import { diff } from '../../src/workflows/diff.ts';
import { formatDiffJson, formatDiffMarkdown, formatDiffText } from '../../src/workflows/diff-format.ts';

const fleet = (name: string, backends: string) =>
  parseScenario(`name: ${name}\nseed: 5\nduration: 10s\ntraffic: { synthetic: { rate: 1200/s, service: { distribution: exponential, mean: 10ms } } }\nbalancer: { algorithm: weighted-round-robin }\nbackends:\n${backends}`, { file: `${name}.yaml` });

describe('diff of a big fleet', () => {
  it('lists the backends whose utilization changed most, added and removed ones first, and sums up the others', async () => {
    // AFTER drops web-30 and adds a heavy backend: those two first, then the 13 of the rest that moved most.
    const before = fleet('before', '  - { name: web, count: 30 }\n');
    const after = fleet('after', '  - { name: web, count: 29 }\n  - { name: big, weight: 4 }\n');
    const d = await diff(before, after, { replications: 2, threads: 1 });
    expect(d.backends).toHaveLength(31);
    const text = formatDiffText(d);
    const lines = text.split('\n');
    const head = lines.findIndex((l) => l.startsWith('backend '));
    expect(lines[head - 1]).toMatch(/^Of 31 backends, the 15 whose util\. changed most \(added and removed ones first\); the other 16 changed util\. by \d+\.\d\dpp–\d+\.\d\dpp, peak queue at most \d+ \(all: --format json\)\.$/);
    const rows = lines.slice(head + 1, head + 16).map((l) => l.split(/ +/)[0]);
    expect(rows.slice(0, 2).sort()).toEqual(['big', 'web-30']);
    expect(lines[head + 16]).toBe('');
    // The 13 others shown moved at least as much as any left out.
    const change = (n: string) => {
      const b = d.backends.find((x) => x.name === n)!;
      return Math.abs(b.utilizationAfter! - b.utilizationBefore!);
    };
    const shown = rows.slice(2).map(change);
    const left = d.backends.filter((b) => !rows.includes(b.name)).map((b) => change(b.name));
    expect(Math.min(...shown)).toBeGreaterThanOrEqual(Math.max(...left));
    expect(formatDiffMarkdown(d)).toMatch(/Of 31 backends, the 15 whose util\. changed most/);
    // JSON keeps every backend.
    expect((JSON.parse(formatDiffJson(d)) as { backends: unknown[] }).backends).toHaveLength(31);
  }, 60_000);
});
