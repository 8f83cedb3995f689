/**
 * An SLO held against a run's figures: one place, so the text summary, diff and capacity
 * judge runs alike.
 */
import type { Report, ReportSlo } from './types.ts';

/** The SLO fields, in the order they are reported. */
export const SLO_FIELDS = ['p99', 'p999', 'errors', 'maxUtilization'] as const satisfies readonly (keyof ReportSlo)[];

export interface SloCheck {
  field: (typeof SLO_FIELDS)[number];
  limit: number;
  value: number;
  met: boolean;
}

/**
 * Holds a value per SLO field (the mean over replications) against the SLO. A run with no
 * completed request has p99 = 0 in its report; it fails on errors, never passes on latency
 * by accident, because its error share is then 100%.
 */
export function checkSlo(slo: ReportSlo | undefined, value: (field: SloCheck['field']) => number): SloCheck[] {
  const out: SloCheck[] = [];
  if (slo === undefined) return out;
  for (const field of SLO_FIELDS) {
    const limit = slo[field];
    if (limit === undefined) continue;
    const v = value(field);
    out.push({ field, limit, value: v, met: v <= limit });
  }
  return out;
}

/** One run's report against the SLO its scenario set (none: no checks). */
export function checkReportSlo(r: Report): SloCheck[] {
  if (r.slo === null) return [];
  return checkSlo(r.slo, (field) => {
    if (field === 'p99') return r.latency.p99;
    if (field === 'p999') return r.latency.p999;
    if (field === 'errors') return r.requests.failedShare;
    return r.backends.reduce((m, b) => Math.max(m, b.utilization), 0);
  });
}
