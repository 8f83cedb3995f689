/** Renders a capacity search: the answers first, then the curve it explored. */
import type { CapacityResult, Search } from './capacity.ts';
import { describe } from './diff.ts';
import { workflowJson } from './json.ts';
import { percent, textTable } from './table.ts';

function sloText(r: CapacityResult): string {
  return Object.entries(r.slo)
    .map(([k, v]) => `${k} ≤ ${describe(k, v as number)}`)
    .join(', ');
}

function curve(r: CapacityResult, s: Search): string {
  const xHead = r.vary === 'rate' ? 'traffic ×' : r.vary;
  return textTable({
    head: [xHead, 'p99', 'p99.9', 'errors', 'busiest util.', 'SLO'],
    rows: s.curve.map((p) => [
      r.vary === 'rate' ? p.x.toFixed(3) : String(p.x),
      Number.isNaN(p.p99) ? '–' : describe('p99', p.p99),
      Number.isNaN(p.p999) ? '–' : describe('p999', p.p999),
      percent(p.errors),
      Number.isNaN(p.maxUtilization) ? '–' : percent(p.maxUtilization),
      p.meets ? 'meets' : `fails${p.checks.filter((c) => !c.met).length > 0 ? ` (${p.checks.filter((c) => !c.met).map((c) => c.field).join(', ')})` : ''}`,
    ]),
  });
}

function answer(r: CapacityResult, s: Search | null, label: string): string {
  if (s === null) return `${label}: not searched`;
  if (s.answer === null) {
    if (r.vary === 'rate') return `${label}: no traffic multiplier meets the SLO`;
    const none = `${label}: no ${r.vary === 'backends' ? 'fleet' : 'slot count'} up to the limit (--max ${s.range?.max}) meets the SLO`;
    // Nothing run: the static bound alone is above the limit; say so, or the empty curve reads as a bug.
    if (s.range !== undefined && s.range.from > s.range.max) return `${none}: it takes at least ${s.range.from + 1} to keep up with the peak on paper (peak rate × mean work / capacity per unit), so nothing was simulated`;
    return none;
  }
  if (r.vary === 'rate') {
    const rate = r.peakRate === null ? '' : ` (peak ${(r.peakRate * s.answer).toFixed(1)}/s)`;
    return `${label}: traffic ×${s.answer.toFixed(2)}${rate}`;
  }
  return r.vary === 'backends' ? `${label}: ${s.answer} × ${r.group!.template}-like backends` : `${label}: ${s.answer} slots on each ${r.group!.template}-like backend`;
}

export function formatCapacityText(r: CapacityResult): string {
  const lines: string[] = [];
  const what =
    r.vary === 'rate'
      ? 'largest traffic multiplier the current fleet survives'
      : `smallest ${r.vary === 'backends' ? 'number of backends' : 'slots per backend'} meeting the SLO at ×${r.scale} traffic${r.peakRate === null ? '' : ` (peak ${r.peakRate.toFixed(1)}/s)`}`;
  lines.push(`capacity: ${what}`);
  lines.push(`SLO: ${sloText(r)}; ${r.replications} replication${r.replications > 1 ? 's' : ''} per point (SLO figures averaged)`);
  if (r.group) lines.push(`resized group: backends configured like ${r.group.template} (now ${r.vary === 'backends' ? `${r.group.current} backends` : `${r.group.current} slots`})`);
  lines.push('');
  lines.push(answer(r, r.search, 'all up'));
  lines.push(answer(r, r.nPlusOne, `N+1 (busiest backend ${r.vary === 'rate' ? r.busiest : 'of the group'} down)`));
  lines.push('');
  lines.push(`explored (${r.search.runs} points in ${r.search.rounds} parallel rounds):`);
  lines.push(curve(r, r.search));
  if (r.nPlusOne) {
    lines.push('');
    lines.push(`explored with one backend down (${r.nPlusOne.runs} points in ${r.nPlusOne.rounds} rounds):`);
    lines.push(curve(r, r.nPlusOne));
  }
  return `${lines.join('\n')}\n`;
}

export function formatCapacityJson(r: CapacityResult): string {
  return workflowJson(r);
}
