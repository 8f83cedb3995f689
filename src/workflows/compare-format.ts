/** Renders a Comparison as a terminal table, Markdown or JSON. */
import { formatDuration } from '../scenario/units.ts';
import { type CompareMetric, COMPARE_METRICS, type Comparison } from './compare.ts';
import type { Estimate } from './stats.ts';
import { markdownTable, percent, signedPercent, type Table } from './table.ts';
import { textTable } from './table.ts';

const HEAD: Record<CompareMetric, string> = { p50: 'p50', p99: 'p99', p999: 'p99.9', errors: 'errors', maxQueue: 'max queue', imbalance: 'imbalance' };

function cell(m: CompareMetric, e: Estimate): string {
  const pm = e.n > 1 ? ` ±${fmt(m, e.halfWidth, true)}` : '';
  return `${fmt(m, e.mean, false)}${pm}`;
}

function fmt(m: CompareMetric, x: number, half: boolean): string {
  if (m === 'errors') return half ? percent(x).replace('%', '') : percent(x);
  if (m === 'maxQueue') return x.toFixed(1);
  if (m === 'imbalance') return x.toFixed(3);
  return half ? formatDuration(x).replace(/ms$/, '') : formatDuration(x);
}

function table(c: Comparison): Table {
  const head = ['alternative', ...COMPARE_METRICS.map((m) => HEAD[m]), 'p99 vs best'];
  const rows = c.alternatives.map((a, i) => [
    `${a.label}${i === c.best ? ' (best)' : ''}`,
    ...COMPARE_METRICS.map((m) => `${cell(m, a.estimates[m])}${c.bestBy[m] === i && c.alternatives.length > 1 ? ' *' : '  '}`),
    a.p99VsBest === null ? '–' : `${signedPercent(a.p99VsBest.relative)}${significant(a.p99VsBest.low, a.p99VsBest.high) ? '' : ' (n.s.)'}`,
  ]);
  return { head, rows };
}

const significant = (low: number, high: number) => low > 0 || high < 0;

function header(c: Comparison): string {
  const n = c.seeds.length;
  return `${n} replication${n > 1 ? 's' : ''} per alternative (seeds ${c.seeds[0]}${n > 1 ? `..${c.seeds[n - 1]}` : ''}, the same traffic for each); mean ± 95% CI`;
}

function footer(c: Comparison): string[] {
  const b = c.alternatives[c.best]!;
  return [
    `* lowest in its column. best: ${b.label} — lowest p99 (${formatDuration(b.estimates.p99.mean)}) among those not clearly worse on errors.`,
    `p99 vs best is paired by seed; (n.s.) = not significant at 95%.`,
  ];
}

export function formatComparisonText(c: Comparison): string {
  return `${header(c)}\n\n${textTable(table(c))}\n\n${footer(c).join('\n')}\n`;
}

export function formatComparisonMarkdown(c: Comparison): string {
  return `### lbsim compare\n\n${header(c)}\n\n${markdownTable(table(c))}\n\n${footer(c).join('\n\n')}\n`;
}

export function formatComparisonJson(c: Comparison): string {
  const { reports: _reports, ...rest } = c;
  return `${JSON.stringify(rest, null, 2)}\n`;
}
