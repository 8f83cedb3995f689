/** Renders a Comparison as a terminal table, Markdown or JSON. */
import { formatDuration } from '../scenario/units.ts';
import { type CompareMetric, COMPARE_METRICS, type Comparison } from './compare.ts';
import { workflowJson } from './json.ts';
import type { Change, Estimate } from './stats.ts';
import { markdownTable, percent, signedPercent, type Table } from './table.ts';
import { textTable } from './table.ts';

const HEAD: Record<CompareMetric, string> = { p50: 'p50', p99: 'p99', p999: 'p99.9', errors: 'errors', maxQueue: 'max queue', maxProxyQueue: 'max proxy queue', imbalance: 'imbalance' };

/** The columns shown: the proxy's queue only where some alternative queued there (none has a proxy layer otherwise). */
const columns = (c: Comparison): CompareMetric[] => COMPARE_METRICS.filter((m) => m !== 'maxProxyQueue' || c.alternatives.some((a) => a.estimates[m].mean > 0));

/** How a column's numbers are written: the number, and a unit after it. */
function formatOf(m: CompareMetric, e: Estimate): { num: (x: number) => string; unit: string } {
  if (m === 'errors') return { num: percent, unit: '' };
  if (m === 'maxQueue' || m === 'maxProxyQueue') return { num: (x) => x.toFixed(1), unit: '' };
  if (m === 'imbalance') return { num: (x) => x.toFixed(3), unit: '' };
  // Latency: mean and interval in the same unit, chosen by the mean.
  const [unit, f] = e.mean >= 1000 ? ['s', 1000] : ['ms', 1];
  const digits = e.mean / f >= 100 ? 0 : e.mean / f >= 10 ? 1 : 2;
  return { num: (x) => (x / f).toFixed(digits), unit };
}

/** The t interval cut to the quantity's range (stats.ts estimate): then ± would show values it cannot take. */
const isCut = (e: Estimate) => e.low > e.mean - e.halfWidth || e.high < e.mean + e.halfWidth;

/** Every replication gave this value (a fixed trace through a deterministic balancer): no spread, so no interval. */
const exact = (e: Estimate) => e.n >= 2 && e.halfWidth === 0;

/**
 * A half-width below the column's last digit: `<` that digit (`±<0.01ms`), since `±0.00ms`
 * would read as no spread at all, which the column writes as the mean alone.
 */
function halfWidthText(written: string): string {
  return /[1-9]/.test(written) ? written : `<${written.replace(/0(?=\D*$)/, '1')}`;
}

/**
 * `mean ±half-width`; `mean [low, high]` where the interval was cut to the possible values;
 * the mean alone with one replication, or when every replication gave it (`±0` would read
 * as a measured interval).
 */
export function estimateCell(m: CompareMetric, e: Estimate): string {
  const { num, unit } = formatOf(m, e);
  if (e.n < 2 || exact(e)) return `${num(e.mean)}${unit}`;
  return isCut(e) ? `${num(e.mean)} [${num(e.low)}, ${num(e.high)}]${unit}` : `${num(e.mean)} ±${halfWidthText(num(e.halfWidth))}${unit}`;
}

function vsBest(c: Change | null): string {
  if (c === null) return '–';
  if (!c.tested) return `${signedPercent(c.relative)} (untested)`;
  // Every replication alike (a fixed trace, a deterministic balancer): exact for this traffic, no interval to test.
  if (c.exact) return `${signedPercent(c.relative)} (same in every replication)`;
  return `${signedPercent(c.relative)}${significant(c.relLow, c.relHigh) ? '' : ' (n.s.)'}`;
}

function table(c: Comparison): Table {
  const shown = columns(c);
  const head = ['alternative', ...shown.map((m) => HEAD[m]), 'p99 vs best'];
  const rows = c.alternatives.map((a, i) => [
    `${a.label}${i === c.best ? ' (best)' : ''}`,
    ...shown.map((m) => `${estimateCell(m, a.estimates[m])}${c.bestBy[m] === i ? ' *' : ''}`),
    vsBest(a.p99VsBest),
  ]);
  return { head, rows };
}

const significant = (low: number, high: number) => low > 0 || high < 0;

function header(c: Comparison): string {
  const n = c.seeds.length;
  const seeds = `seed${n > 1 ? `s ${c.seeds[0]}..${c.seeds[n - 1]}` : ` ${c.seeds[0]}`}`;
  const unused = c.unusedScenarioSeeds.length === 0 ? '' : `; seed ${c.unusedScenarioSeeds.join(', ')} set in a scenario is not used`;
  const lines = [`${n} replication${n > 1 ? 's' : ''} per alternative (${seeds} for every alternative${c.sameTraffic ? ', the same traffic for each' : ''}${unused}).`];
  if (!c.sameTraffic) lines.push('The scenarios define different traffic: each draws its own from these seeds, so the alternatives do not see the same requests.');
  lines.push(n < 2 ? 'Means only: one replication has no spread, so there is no confidence interval and no difference is tested.' : 'Mean ± 95% CI.');
  if (n >= 2 && c.alternatives.some((a) => columns(c).some((m) => exact(a.estimates[m])))) {
    lines.push('A value without ± was the same in every replication (no spread, so no interval): exact for this traffic.');
  }
  return lines.join('\n');
}

function footer(c: Comparison): string[] {
  const b = c.alternatives[c.best]!;
  const n = c.seeds.length;
  const cut = c.alternatives.some((a) => columns(c).some((m) => a.estimates[m].n >= 2 && isCut(a.estimates[m])));
  return [
    `* lowest in its column. best: ${b.label} — lowest p99 (${formatDuration(b.estimates.p99.mean)}) among those not clearly worse on errors.`,
    ...(cut ? ['[low, high]: the 95% CI where mean ± half-width would go below 0 (errors: above 100%; imbalance: below 1), cut to the values the column can take.'] : []),
    n < 2
      ? `p99 vs best: the change of the mean; (untested) = one replication, so no interval and no significance.`
      : `p99 vs best is paired by seed; (n.s.) = not significant at 95%.`,
    ...(c.sameTraffic ? [] : ['The alternatives run different traffic: a difference between them is the traffic\'s as much as the configuration\'s.']),
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
  return workflowJson(rest);
}
