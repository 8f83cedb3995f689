/**
 * The time series as CSV (`--format csv`): one row per interval, backend columns after the
 * totals. `warmup` is 1 for an interval (partly) inside the warm-up, whose arrivals the
 * report's totals leave out: summing `arrivals` over the rows with `warmup` 0 gives the
 * requests counted (`requests.total`) when the warm-up ends on an interval boundary.
 */
import type { Report } from './types.ts';

/** Quotes a field when it holds a comma, quote or newline (RFC 4180). */
function field(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatCsv(r: Report): string {
  const ts = r.timeseries;
  const header = ['start_ms', 'arrivals', 'completed', 'rejected', 'timed_out', 'failed_share', 'p50_ms', 'p90_ms', 'p99_ms', 'max_ms', 'warmup'];
  for (const b of ts.backends) header.push(`${b.name}:utilization`, `${b.name}:mean_queue`, `${b.name}:max_queue`, `${b.name}:requests`, `${b.name}:rejected`);
  const out = [header.map(field).join(',')];
  for (let i = 0; i < ts.start.length; i++) {
    const row: (string | number)[] = [ts.start[i]!, ts.arrivals[i]!, ts.completed[i]!, ts.rejected[i]!, ts.timedOut[i]!, ts.failedShare[i]!, ts.p50[i]!, ts.p90[i]!, ts.p99[i]!, ts.max[i]!, i < ts.warmupIntervals ? 1 : 0];
    for (const b of ts.backends) row.push(b.utilization[i]!, b.meanQueue[i]!, b.maxQueue[i]!, b.requests[i]!, b.rejected[i]!);
    out.push(row.map(field).join(','));
  }
  return `${out.join('\n')}\n`;
}
