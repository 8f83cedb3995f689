/** The compact human summary of a report (`--format text`). */
import { formatCount, formatDuration, formatInstant } from '../scenario/units.ts';
import { ALL_BACKENDS_UP_TO, backendOrder } from './backend-order.ts';
import { checkReportSlo, type SloCheck } from './slo.ts';
import type { BackendReport as Backend, Report } from './types.ts';

const pct = (x: number) => `${(x * 100).toFixed(x >= 0.1 ? 1 : 2)}%`;
const ms = (x: number) => formatDuration(x);

const SLO_LABEL: Record<SloCheck['field'], string> = { p99: 'p99', p999: 'p99.9', errors: 'failed', maxUtilization: 'busiest util.' };

/** The scenario's SLO held against the run, one check after another: `slo  not met: p99 1.97s > 1.00s · …`. */
function sloLine(r: Report): string | undefined {
  const checks = checkReportSlo(r);
  if (checks.length === 0) return undefined;
  const show = (c: SloCheck) => (c.field === 'p99' || c.field === 'p999' ? ms(c.value) : pct(c.value));
  const limit = (c: SloCheck) => (c.field === 'p99' || c.field === 'p999' ? ms(c.limit) : pct(c.limit));
  const parts = checks.map((c) => `${SLO_LABEL[c.field]} ${show(c)} ${c.met ? '≤' : '>'} ${limit(c)}`);
  return `slo       ${checks.every((c) => c.met) ? 'met' : 'NOT MET'}: ${parts.join(' · ')}`;
}

const BUSIEST = 12;
const IDLEST = 3;

/**
 * The backend table's rows: every backend in scenario order for a fleet of up to
 * ALL_BACKENDS_UP_TO; for a bigger one, the BUSIEST by utilization (the ones an overload
 * starts on), then the rest summed up, then the IDLEST (a drained or starved backend, the
 * other half of an uneven spread). Ties keep scenario order.
 */
function backendRows(backends: readonly Backend[]): { busiest: Backend[]; rest: Backend[]; idlest: Backend[] } {
  if (backends.length <= ALL_BACKENDS_UP_TO) return { busiest: [...backends], rest: [], idlest: [] };
  const byUtil = backendOrder(backends, 'util').map((i) => backends[i]!);
  return { busiest: byUtil.slice(0, BUSIEST), rest: byUtil.slice(BUSIEST, byUtil.length - IDLEST), idlest: byUtil.slice(byUtil.length - IDLEST) };
}

export function formatText(r: Report): string {
  const origin = r.start === null ? undefined : Date.parse(r.start);
  const lines: string[] = [];
  const q = r.requests;
  const p = r.persistence;
  const limits = p === undefined ? [] : [p.maxIdle === null ? '' : `max idle ${formatDuration(p.maxIdle)}`, p.maxLife === null ? '' : `max life ${formatDuration(p.maxLife)}`, p.persist === true ? 'kept while down' : '', p.tableSize === undefined ? '' : `table of ${formatCount(p.tableSize)}`].filter((x) => x !== '');
  const pinned = p === undefined ? '' : ` with persistence${limits.length > 0 ? ` (${limits.join(', ')})` : ''}`;
  lines.push(`${r.scenario} · ${r.algorithm}${pinned} · seed ${r.seed} · ${formatDuration(r.duration)}${r.warmup > 0 ? ` (warm-up ${formatDuration(r.warmup)})` : ''}`);
  lines.push(
    `requests  ${formatCount(q.total)}  completed ${formatCount(q.completed)}  rejected ${formatCount(q.rejected)}  timed out ${formatCount(q.timedOut)}  failed ${pct(q.failedShare)}`,
  );
  if (q.proxyQueued > 0 || q.rejectedByProxy > 0 || q.retries > 0) {
    // The proxy layer (maxconn queues, retries); the line is left out when it did nothing.
    const n = formatCount;
    lines.push(
      `proxy     queued ${n(q.proxyQueued)}  rejected by proxy ${n(q.rejectedByProxy)} (queue timeouts ${n(q.queueTimeouts)})  retries ${n(q.retries)} (${q.attemptsPerRequest.toFixed(2)} attempts/request${q.retryOverflow > 0 ? `, ${n(q.retryOverflow)} over budget` : ''})`,
    );
  }
  const l = r.latency;
  // Over completed requests only (the report's latency is): rejected and timed-out ones have none, and the line says so.
  lines.push(`latency   of completed: mean ${ms(l.mean)}  p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  p99.9 ${ms(l.p999)}  max ${ms(l.max)}`);
  lines.push(`imbalance max/mean share ${r.imbalance.maxOverMean.toFixed(3)}  Jain ${r.imbalance.jain.toFixed(3)}`);
  const levels = levelLine(r);
  if (levels !== undefined) lines.push(levels);
  const slo = sloLine(r);
  if (slo !== undefined) lines.push(slo);
  lines.push('');
  const nameW = Math.max(7, ...r.backends.map((b) => b.name.length));
  // Weights are shown when they differ: a misweighted backend is the classic cause of an uneven spread.
  const weighted = r.backends.some((b) => b.weight !== r.backends[0]!.weight);
  const leveled = r.backends.some((b) => b.priority !== undefined);
  const headers = [...(leveled ? ['priority'] : []), ...(weighted ? ['weight'] : []), 'share', 'util', 'p50', 'p99', 'rejected', 'timed out', 'max queue'];
  const row = (b: Backend) => {
    const cells = [...(leveled ? [String(b.priority ?? 0)] : []), ...(weighted ? [String(b.weight)] : []), pct(b.share), pct(b.utilization), ms(b.latency.p50), ms(b.latency.p99), String(b.rejected), String(b.timedOut), String(b.maxQueue)];
    return `${b.name.padEnd(nameW)}  ${cells.map((c) => c.padStart(9)).join(' ')}`;
  };
  const { busiest, rest, idlest } = backendRows(r.backends);
  if (rest.length > 0) lines.push(`backends  ${r.backends.length}, by utilization: the ${busiest.length} busiest, the others summed up, the ${idlest.length} least busy (all: --format json or csv)`);
  lines.push(`${'backend'.padEnd(nameW)}  ${headers.map((h) => h.padStart(9)).join(' ')}`);
  for (const b of busiest) lines.push(row(b));
  if (rest.length > 0) {
    const range = (f: (b: Backend) => number, show: (x: number) => string) => {
      const xs = rest.map(f);
      const lo = Math.min(...xs);
      const hi = Math.max(...xs);
      return lo === hi ? show(lo) : `${show(lo)}–${show(hi)}`;
    };
    const sum = (f: (b: Backend) => number) => formatCount(rest.reduce((a, b) => a + f(b), 0));
    lines.push(
      `… ${rest.length} more: share ${range((b) => b.share, pct)}, util ${range((b) => b.utilization, pct)}, p99 ${range((b) => b.latency.p99, ms)}, rejected ${sum((b) => b.rejected)}, timed out ${sum((b) => b.timedOut)}, max queue ${range((b) => b.maxQueue, String)}`,
    );
    for (const b of idlest) lines.push(row(b));
  }
  const watched = r.backends.filter((b) => b.health !== undefined && (b.health.sentWhileDown > 0 || b.health.markedDown > 0));
  if (watched.length > 0) {
    lines.push('');
    lines.push(`${'health'.padEnd(nameW)}  ${['sent down', 'marked down', 'ejections'].map((h) => h.padStart(11)).join(' ')}`);
    for (const b of watched) lines.push(`${b.name.padEnd(nameW)}  ${[b.health!.sentWhileDown, b.health!.markedDown, b.health!.ejections].map((x) => String(x).padStart(11)).join(' ')}`);
  }
  lines.push('');
  if (r.overload.length === 0) lines.push('overload  none');
  else {
    const shown = r.overload.slice(0, 12);
    lines.push(`overload  ${r.overload.length} range${r.overload.length > 1 ? 's' : ''}`);
    for (const o of shown) {
      lines.push(
        `  ${o.backend.padEnd(nameW)} ${formatInstant(o.from, origin)}–${formatInstant(o.to, origin)}  ${o.kind}${o.rejected > 0 ? `, ${o.rejected} rejected` : ''}, max queue ${o.maxQueue}`,
      );
    }
    if (r.overload.length > shown.length) lines.push(`  … ${r.overload.length - shown.length} more (see --format json)`);
  }
  return `${lines.join('\n')}\n`;
}

/** With Envoy priority levels: the share of the picks each level took (how much spilled over). */
function levelLine(r: Report): string | undefined {
  if (!r.backends.some((b) => b.priority !== undefined)) return undefined;
  const share = new Map<number, number>();
  for (const b of r.backends) share.set(b.priority ?? 0, (share.get(b.priority ?? 0) ?? 0) + b.share);
  const parts = [...share.entries()].sort((a, b) => a[0] - b[0]).map(([l, s]) => `P${l} ${pct(s)}`);
  return `levels    ${parts.join('  ')} of the picks (Envoy priority levels)`;
}
