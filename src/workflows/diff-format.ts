/** Renders a DiffResult for a terminal, a pull request (Markdown) or a machine (JSON). */
import { formatInstant } from '../scenario/units.ts';
import { describe, type DiffResult, type MetricChange } from './diff.ts';
import { markdownTable, percent, signedPercent, type Table, textTable } from './table.ts';

const LABEL: Record<MetricChange['metric'], string> = {
  p50: 'p50',
  p99: 'p99',
  p999: 'p99.9',
  errors: 'errors',
  mean: 'mean',
  maxQueue: 'max queue',
  maxUtilization: 'busiest util.',
};

function changeCell(m: MetricChange): string {
  const c = m.change;
  const mark = m.direction === 'worse' ? '  WORSE' : m.direction === 'better' ? '  better' : '';
  if (m.metric === 'errors' || m.metric === 'maxUtilization') {
    const pp = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(2)}pp`;
    return `${pp(c.delta)} (${pp(c.low)} … ${pp(c.high)})${mark}`;
  }
  if (!Number.isFinite(c.relative)) return `${c.delta >= 0 ? '+' : ''}${c.delta.toFixed(1)}${mark}`;
  return `${signedPercent(c.relative)} (${signedPercent(c.relLow)} … ${signedPercent(c.relHigh)})${mark}`;
}

function metricsTable(d: DiffResult): Table {
  return {
    head: ['metric', 'before', 'after', 'change (95% CI)'],
    rows: d.metrics.map((m) => [LABEL[m.metric], describe(m.metric, m.change.before), describe(m.metric, m.change.after), changeCell(m)]),
    left: [0, 3],
  };
}

function backendsTable(d: DiffResult): Table {
  const or = (x: number | null, f: (x: number) => string) => (x === null ? '–' : f(x));
  return {
    head: ['backend', 'share before', 'share after', 'util. before', 'util. after', 'peak queue before', 'peak queue after'],
    rows: d.backends.map((b) => [
      b.name,
      or(b.shareBefore, percent),
      or(b.shareAfter, percent),
      or(b.utilizationBefore, percent),
      or(b.utilizationAfter, percent),
      or(b.peakQueueBefore, String),
      or(b.peakQueueAfter, String),
    ]),
  };
}

function sloLines(d: DiffResult): string[] {
  if (!d.sloSet) return ['AFTER sets no SLO: only the regression test applies.'];
  return d.slo.map((s) => `${s.met ? 'met   ' : 'BROKEN'}  ${LABEL[s.field]} ${describe(s.field, s.value)} (limit ${describe(s.field, s.limit)})`);
}

function overloadLines(d: DiffResult): string[] {
  const o = d.overload;
  const origin = d.after.start ?? undefined;
  const range = (r: DiffResult['overload']['gained'][number]) =>
    `${r.backend} ${formatInstant(r.from, origin)}–${formatInstant(r.to, origin)} ${r.kind}${r.rejected > 0 ? `, ${r.rejected} rejected` : ''}, max queue ${r.maxQueue}`;
  const lines = [`overload ranges (first replication): before ${o.before}, after ${o.after}`];
  for (const r of o.gained.slice(0, 10)) lines.push(`  gained: ${range(r)}`);
  if (o.gained.length > 10) lines.push(`  … ${o.gained.length - 10} more gained`);
  for (const r of o.lost.slice(0, 10)) lines.push(`  lost:   ${range(r)}`);
  if (o.lost.length > 10) lines.push(`  … ${o.lost.length - 10} more lost`);
  return lines;
}

function headline(d: DiffResult): string {
  return d.verdict.pass ? 'PASS: AFTER meets its SLO and is not significantly worse than BEFORE' : ['FAIL:', ...d.verdict.reasons.map((r) => `  - ${r}`)].join('\n');
}

function how(d: DiffResult): string {
  const n = d.before.seeds.length;
  const seeds = (s: number[]) => `${s[0]}${s.length > 1 ? `..${s[s.length - 1]}` : ''}`;
  const basis = d.paired
    ? `paired on the same traffic (seeds ${seeds(d.before.seeds)})`
    : `independent traffic (before seeds ${seeds(d.before.seeds)}, after seeds ${seeds(d.after.seeds)})`;
  return `${n} replication${n > 1 ? 's' : ''} each, ${basis}. A metric is WORSE when it rises by more than ${percent(d.threshold)} (errors: ${(d.errorThreshold * 100).toFixed(1)}pp) and its 95% CI excludes zero.`;
}

const name = (s: DiffResult['before']) => `${s.file ?? s.scenario} (${s.algorithm})`;

export function formatDiffText(d: DiffResult): string {
  const out = [
    `lbsim diff: ${name(d.before)} → ${name(d.after)}`,
    how(d),
    '',
    textTable(metricsTable(d)),
    '',
    'SLO of AFTER',
    ...sloLines(d).map((l) => `  ${l}`),
    '',
    textTable(backendsTable(d)),
    '',
    ...overloadLines(d),
    '',
    headline(d),
  ];
  return `${out.join('\n')}\n`;
}

export function formatDiffMarkdown(d: DiffResult): string {
  const icon = d.verdict.pass ? '✅' : '❌';
  const out = [
    `### ${icon} lbsim diff: ${d.verdict.pass ? 'pass' : 'fail'}`,
    '',
    `\`${name(d.before)}\` → \`${name(d.after)}\``,
    '',
    d.verdict.pass ? 'AFTER meets its SLO and is not significantly worse than BEFORE.' : d.verdict.reasons.map((r) => `- ${r}`).join('\n'),
    '',
    markdownTable(metricsTable(d)),
    '',
    `**SLO of AFTER**`,
    '',
    ...sloLines(d).map((l) => `- ${l.replace(/^(met|BROKEN)\s+/, (m) => (m.startsWith('met') ? '✅ ' : '❌ '))}`),
    '',
    '<details><summary>Per backend and overload</summary>',
    '',
    markdownTable(backendsTable(d)),
    '',
    ...overloadLines(d).map((l) => (l.startsWith('  ') ? `- ${l.trim()}` : l)),
    '',
    '</details>',
    '',
    `<sub>${how(d)}</sub>`,
  ];
  return `${out.join('\n')}\n`;
}

export function formatDiffJson(d: DiffResult): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
