/** Renders a DiffResult for a terminal, a pull request (Markdown) or a machine (JSON). */
import { ALL_BACKENDS_UP_TO } from '../report/backend-order.ts';
import { formatInstant } from '../scenario/units.ts';
import { type BackendChange, describe, type DiffResult, type MetricChange } from './diff.ts';
import { workflowJson } from './json.ts';
import { markdownTable, percent, signedPercent, type Table, textTable } from './table.ts';

const LABEL: Record<MetricChange['metric'], string> = {
  p50: 'p50',
  p99: 'p99',
  p999: 'p99.9',
  errors: 'errors',
  mean: 'mean',
  // Each run's largest over backends (then averaged over runs, as every row): named so, as they can exceed every per-backend mean.
  maxQueue: 'max queue (largest backend)',
  maxProxyQueue: 'max proxy queue',
  maxUtilization: 'util. (busiest backend)',
};

const runs = (n: number) => (n === 1 ? '1 run' : `mean of ${n} runs`);
const SAME = 'same in every replication';

function changeCell(m: MetricChange): string {
  const c = m.change;
  const mark = m.direction === 'worse' ? '  WORSE' : m.direction === 'better' ? '  better' : '';
  // One replication: the point change, with no interval and no verdict on it. Every
  // replication alike: the exact change for this traffic, with no (zero-width) interval.
  const ci = (low: string, high: string) => (!c.tested ? ' (untested)' : c.exact ? ` (${SAME})` : ` (${low} … ${high})`);
  if (m.metric === 'errors' || m.metric === 'maxUtilization') {
    const pp = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(2)}pp`;
    return `${pp(c.delta)}${ci(pp(c.low), pp(c.high))}${mark}`;
  }
  if (!Number.isFinite(c.relative)) return `${c.delta >= 0 ? '+' : ''}${c.delta.toFixed(1)}${c.tested ? (c.exact ? ` (${SAME})` : '') : ' (untested)'}${mark}`;
  return `${signedPercent(c.relative)}${ci(signedPercent(c.relLow), signedPercent(c.relHigh))}${mark}`;
}

function metricsTable(d: DiffResult): Table {
  return {
    head: [`metric (${runs(d.before.seeds.length)})`, 'before', 'after', d.verdict.regressionTested && !d.metrics.every((m) => m.change.exact) ? 'change (95% CI)' : 'change'],
    rows: d.metrics.map((m) => [LABEL[m.metric], describe(m.metric, m.change.before), describe(m.metric, m.change.after), changeCell(m)]),
    left: [0, 3],
  };
}

/** Of a fleet of more than ALL_BACKENDS_UP_TO, the table lists this many: those that changed most. */
const MOST_CHANGED = 15;

/** How much a backend's utilization changed; one only BEFORE or only AFTER has changed most of all. */
const utilChange = (b: BackendChange) => (b.utilizationBefore === null || b.utilizationAfter === null ? Number.POSITIVE_INFINITY : Math.abs(b.utilizationAfter - b.utilizationBefore));

/**
 * The backends the table lists: every one of a fleet of up to ALL_BACKENDS_UP_TO; of a
 * bigger one the MOST_CHANGED whose utilization changed most (added and removed ones
 * first), in that order, and the rest, which backendsNote sums up.
 */
function shownBackends(d: DiffResult): { shown: BackendChange[]; rest: BackendChange[] } {
  if (d.backends.length <= ALL_BACKENDS_UP_TO) return { shown: d.backends, rest: [] };
  const ranked = d.backends.map((b, i) => ({ b, i })).sort((x, y) => utilChange(y.b) - utilChange(x.b) || x.i - y.i);
  return { shown: ranked.slice(0, MOST_CHANGED).map((x) => x.b), rest: ranked.slice(MOST_CHANGED).map((x) => x.b) };
}

function backendsTable(d: DiffResult): Table {
  const or = (x: number | null, f: (x: number) => string) => (x === null ? '–' : f(x));
  return {
    head: ['backend', 'share before', 'share after', 'util. before', 'util. after', 'peak queue before (any run)', 'peak queue after (any run)'],
    rows: shownBackends(d).shown.map((b) => [
      b.nameAfter === undefined ? b.name : `${b.name} = ${b.nameAfter}`,
      or(b.shareBefore, percent),
      or(b.shareAfter, percent),
      or(b.utilizationBefore, percent),
      or(b.utilizationAfter, percent),
      or(b.peakQueueBefore, String),
      or(b.peakQueueAfter, String),
    ]),
  };
}

/** What the per-backend table's figures are, why its utilizations stay below the busiest-backend row, and what it leaves out. */
function backendsNote(d: DiffResult): string {
  const { shown, rest } = shownBackends(d);
  if (rest.length === 0) return figuresNote(d);
  const changes = rest.map(utilChange);
  const pp = (x: number) => `${(x * 100).toFixed(2)}pp`;
  const peak = Math.max(...rest.map((b) => Math.max(b.peakQueueBefore ?? 0, b.peakQueueAfter ?? 0)));
  return `${figuresNote(d)}\nOf ${d.backends.length} backends, the ${shown.length} whose util. changed most (added and removed ones first); the other ${rest.length} changed util. by ${pp(Math.min(...changes))}–${pp(Math.max(...changes))}, peak queue at most ${peak} (all: --format json).`;
}

function figuresNote(d: DiffResult): string {
  const n = d.before.seeds.length;
  if (n === 1) return 'per backend: one run each.';
  if (d.metrics.every((m) => m.change.exact)) return `per backend: the same in each of the ${n} runs.`;
  return `per backend: share and util. are means of the ${n} runs, peak queue the largest in any run. (The busiest backend differs from run to run, so the mean of each run's busiest util. above can exceed every backend's mean here.)`;
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

const UNTESTED = 'not tested for regression: one replication per side has no confidence interval (use --replications 2 or more)';

function passLine(d: DiffResult): string {
  const slo = d.sloSet ? 'AFTER meets its SLO' : 'AFTER sets no SLO';
  if (!d.verdict.regressionTested) return `${slo}; ${UNTESTED}`;
  if (d.verdict.exact) return `${slo} and is not worse than BEFORE by more than the threshold (the same in every replication: exact for this traffic)`;
  return `${slo} and is not significantly worse than BEFORE`;
}

function headline(d: DiffResult): string {
  return d.verdict.pass ? `PASS: ${passLine(d)}` : ['FAIL:', ...d.verdict.reasons.map((r) => `  - ${r}`), ...(d.verdict.regressionTested ? [] : [`  (${UNTESTED})`])].join('\n');
}

function how(d: DiffResult): string {
  const n = d.before.seeds.length;
  const seeds = (s: number[]) => `${s[0]}${s.length > 1 ? `..${s[s.length - 1]}` : ''}`;
  const basis = d.paired
    ? `paired on the same traffic (seeds ${seeds(d.before.seeds)})`
    : `independent traffic (before seeds ${seeds(d.before.seeds)}, after seeds ${seeds(d.after.seeds)})`;
  if (n < 2) return `1 replication each, ${basis}. One replication has no spread, so no change has a confidence interval and none is tested: the verdict is AFTER's SLO alone.`;
  const rule = `A metric is WORSE when it rises by more than ${percent(d.threshold)} (errors: ${(d.errorThreshold * 100).toFixed(1)}pp)`;
  const exact = 'nothing in these runs draws on the seed (e.g. a fixed trace through a deterministic balancer), so those changes are exact for this traffic, not estimates, and more replications would add nothing';
  if (d.metrics.every((m) => m.change.exact)) return `${n} replications each, ${basis}: every replication gave the same figures; ${exact}. ${rule}.`;
  const some = d.metrics.some((m) => m.change.exact) ? ` Rows marked (${SAME}) have no interval: ${exact}; the threshold alone applies to them.` : '';
  return `${n} replications each, ${basis}. ${rule} and its 95% CI excludes zero.${some}`;
}

const name = (s: DiffResult['before']) => {
  const options = s.options === undefined ? '' : `, ${Object.entries(s.options).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')}`;
  return `${s.file ?? s.scenario} (${s.algorithm}${options}${s.persistence ? ' with persistence' : ''})`;
};

export function formatDiffText(d: DiffResult): string {
  const out = [
    `lbsim diff: ${name(d.before)} → ${name(d.after)}`,
    how(d),
    '',
    textTable(metricsTable(d)),
    '',
    `SLO of AFTER (${runs(d.after.seeds.length)})`,
    ...sloLines(d).map((l) => `  ${l}`),
    '',
    backendsNote(d),
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
    d.verdict.pass ? `${passLine(d)}.` : [...d.verdict.reasons.map((r) => `- ${r}`), ...(d.verdict.regressionTested ? [] : [`- (${UNTESTED})`])].join('\n'),
    '',
    markdownTable(metricsTable(d)),
    '',
    `**SLO of AFTER** (${runs(d.after.seeds.length)})`,
    '',
    ...sloLines(d).map((l) => `- ${l.replace(/^(met|BROKEN)\s+/, (m) => (m.startsWith('met') ? '✅ ' : '❌ '))}`),
    '',
    '<details><summary>Per backend and overload</summary>',
    '',
    backendsNote(d),
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
  return workflowJson(d);
}
