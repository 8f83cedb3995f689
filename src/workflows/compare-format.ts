/** Renders a Comparison as a terminal table, Markdown or JSON. */
import { formatDuration } from '../scenario/units.ts';
import { type CompareMetric, COMPARE_METRICS, type Comparison } from './compare.ts';
import type { Estimate } from './stats.ts';
import { markdownTable, percent, signedPercent, type Table } from './table.ts';
import { textTable } from './table.ts';

const HEAD: Record<CompareMetric, string> = { p50: 'p50', p99: 'p99', p999: 'p99.9', errors: 'errors', maxQueue: 'max queue', imbalance: 'imbalance' };

function cell(m: CompareMetric, e: Estimate): string {
  if (m === 'errors') return `${percent(e.mean)}${e.n > 1 ? ` ±${percent(e.halfWidth)}` : ''}`;
  if (m === 'maxQueue') return `${e.mean.toFixed(1)}${e.n > 1 ? ` ±${e.halfWidth.toFixed(1)}` : ''}`;
  if (m === 'imbalance') return `${e.mean.toFixed(3)}${e.n > 1 ? ` ±${e.halfWidth.toFixed(3)}` : ''}`;
  // Latency: mean and half-width in the same unit, chosen by the mean.
  const [unit, f] = e.mean >= 1000 ? ['s', 1000] : ['ms', 1];
  const digits = e.mean / f >= 100 ? 0 : e.mean / f >= 10 ? 1 : 2;
  return `${(e.mean / f).toFixed(digits)}${e.n > 1 ? ` ±${(e.halfWidth / f).toFixed(digits)}` : ''}${unit}`;
}

function table(c: Comparison): Table {
  const head = ['alternative', ...COMPARE_METRICS.map((m) => HEAD[m]), 'p99 vs best'];
  const rows = c.alternatives.map((a, i) => [
    `${a.label}${i === c.best ? ' (best)' : ''}`,
    ...COMPARE_METRICS.map((m) => `${cell(m, a.estimates[m])}${c.bestBy[m] === i ? ' *' : ''}`),
    a.p99VsBest === null ? '–' : `${signedPercent(a.p99VsBest.relative)}${significant(a.p99VsBest.relLow, a.p99VsBest.relHigh) ? '' : ' (n.s.)'}`,
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
