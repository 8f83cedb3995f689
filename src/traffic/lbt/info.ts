/**
 * `lbsim trace info`: one streaming pass over a trace. Work percentiles come from an
 * HdrHistogram (3 significant digits, µs); distinct clients are counted exactly with a
 * set of client keys up to DISTINCT_CAP, beyond which the figure is a lower bound (keys
 * are IPv4 addresses or 32-bit FNV-1a hashes of other client fields, so two clients
 * whose keys collide count once).
 */
import { statSync } from 'node:fs';
import { build } from 'hdr-histogram-js/dist/HistogramBuilder.js';
import { RequestChunk, RequestFlag } from '../source.ts';
import { KeyCounts } from './key-counts.ts';
import { TraceReader } from './reader.ts';
import { formatCount } from '../../scenario/units.ts';

export const DISTINCT_CAP = 4_000_000;

export interface TraceInfo {
  file: string;
  bytes: number;
  version: number;
  requests: number;
  chunks: number;
  /** Wall-clock epoch ms of trace time 0 (0 when unknown). */
  originEpochMs: number;
  firstArrivalMs: number;
  lastArrivalMs: number;
  spanMs: number;
  /** Requests per minute over the whole minutes the trace spans. */
  perMinute: { min: number; median: number; peak: number; peakAtMs: number };
  /** Work, ms. */
  work: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  distinctClients: number;
  /** True when distinct clients passed DISTINCT_CAP and the count is a lower bound. */
  distinctClientsCapped: boolean;
  /**
   * Shares of all requests sent by the heaviest clients: the 10 heaviest, largest first, and
   * what the top 10 and top 100 send together (with session persistence, each of them lands
   * on one server). Past DISTINCT_CAP clients, among those counted.
   */
  heaviestClients: Heaviest;
  /** Distinct path keys (up to DISTINCT_CAP). */
  distinctRoutes: number;
  /** The same for paths (a hash by path sends each to one server). */
  heaviestRoutes: Heaviest;
  /** Distinct whole-target keys, query string included (up to DISTINCT_CAP); null for a version 1 trace, which has none. */
  distinctTargets: number | null;
  recordedFailures: number;
  estimatedWork: number;
  skippedRows: number;
}

/** Shares of all requests from the heaviest keys: the 10 heaviest, largest first, and the top 10's and top 100's together. */
export interface Heaviest {
  top: number[];
  top10: number;
  top100: number;
}

export function traceInfo(file: string): TraceInfo {
  const reader = new TraceReader(file);
  const h = reader.header;
  const hist = build({ lowestDiscernibleValue: 1, highestTrackableValue: 86_400_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
  const firstMinute = Math.floor(h.firstArrival / 60_000);
  const minutes = new Float64Array(h.count === 0 ? 0 : Math.floor(h.lastArrival / 60_000) - firstMinute + 1);
  const clients = new KeyCounts(DISTINCT_CAP);
  const routes = new KeyCounts(DISTINCT_CAP);
  const targets = new KeyCounts(DISTINCT_CAP);
  let capped = false;
  let failures = 0;
  let estimated = 0;
  let sumWork = 0;
  let maxWork = 0;
  // With the uri column beside the path keys (a version 1 trace has none).
  const chunk = new RequestChunk(65_536, h.uriKeys);
  try {
    for (;;) {
      reader.fill(chunk);
      const n = chunk.count;
      if (n === 0) break;
      const uri = chunk.uri;
      if (uri !== undefined) for (let i = 0; i < n; i++) targets.add(uri[i]!);
      for (let i = 0; i < n; i++) {
        // The reader returns times relative to its window start (the first arrival); add it back.
        const t = chunk.arrival[i]! + reader.from;
        minutes[Math.floor(t / 60_000) - firstMinute]!++;
        const w = chunk.work[i]!;
        sumWork += w;
        if (w > maxWork) maxWork = w;
        hist.recordValue(Math.max(1, Math.round(w * 1000)));
        const c = chunk.client[i]!;
        if (!clients.add(c)) capped = true;
        routes.add(chunk.route[i]!);
        const f = chunk.flags[i]!;
        if (f & RequestFlag.RecordedFailure) failures++;
        if (f & RequestFlag.WorkEstimated) estimated++;
      }
    }
  } finally {
    reader.close();
  }
  let peak = 0;
  let peakAt = 0;
  for (let m = 0; m < minutes.length; m++) {
    if (minutes[m]! > peak) {
      peak = minutes[m]!;
      peakAt = (firstMinute + m) * 60_000;
    }
  }
  // The lowest and the typical minute count whole minutes only: a trace's first and last
  // clock minutes are cut by its span (the last always ends after the last arrival), and
  // the few requests of a cut minute are no rate: a trace ending at 12:30:05 would show a
  // minimum of five seconds' requests. A trace with no whole minute has nothing else.
  const firstWhole = h.firstArrival === firstMinute * 60_000 ? 0 : 1;
  const endWhole = minutes.length - 1;
  const sorted = Float64Array.from(endWhole > firstWhole ? minutes.subarray(firstWhole, endWhole) : minutes).sort();
  const pct = (p: number) => hist.getValueAtPercentile(p) / 1000;
  const info: TraceInfo = {
    file,
    bytes: statSync(file).size,
    version: h.version,
    requests: h.count,
    chunks: h.chunkCount,
    originEpochMs: h.originEpochMs,
    firstArrivalMs: h.firstArrival,
    lastArrivalMs: h.lastArrival,
    spanMs: h.count === 0 ? 0 : h.lastArrival - h.firstArrival,
    perMinute: { min: sorted.length ? sorted[0]! : 0, median: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : 0, peak, peakAtMs: peakAt },
    work: { mean: h.count ? sumWork / h.count : 0, p50: pct(50), p90: pct(90), p99: pct(99), p999: pct(99.9), max: maxWork },
    distinctClients: clients.size,
    distinctClientsCapped: capped,
    heaviestClients: heaviest(clients.top(100), h.count),
    distinctRoutes: routes.size,
    heaviestRoutes: heaviest(routes.top(100), h.count),
    distinctTargets: h.uriKeys ? targets.size : null,
    recordedFailures: failures,
    estimatedWork: estimated,
    skippedRows: h.skippedRows,
  };
  return info;
}

/** Shares of `total` from the largest counts (largest first). */
function heaviest(counts: number[], total: number): Heaviest {
  const share = (n: number) => (total === 0 ? 0 : n / total);
  const sum = (k: number) => counts.slice(0, k).reduce((a, b) => a + b, 0);
  return { top: counts.slice(0, 10).map(share), top10: share(sum(10)), top100: share(sum(100)) };
}

function at(info: TraceInfo, t: number): string {
  if (info.originEpochMs === 0) return `${(t / 1000).toFixed(3)} s`;
  return new Date(info.originEpochMs + t).toISOString();
}

const num = formatCount;
const ms = (x: number) => `${x < 10 ? x.toFixed(3) : x.toFixed(1)} ms`;
const percent = (x: number) => `${(x * 100).toFixed(x !== 0 && x < 0.001 ? 3 : 1)}%`;

const heaviestLine = (h: Heaviest, what: string) => `${h.top.slice(0, 3).map(percent).join(', ')} of requests; the top 10 ${what} ${percent(h.top10)}, the top 100 ${percent(h.top100)}`;

export function formatTraceInfo(info: TraceInfo): string {
  const lines = [
    `trace      ${info.file} (.lbt v${info.version}, ${num(info.bytes)} bytes, ${info.chunks} chunks)`,
    `requests   ${num(info.requests)}${info.skippedRows > 0 ? ` (${num(info.skippedRows)} malformed rows skipped at import)` : ''}`,
    `from       ${at(info, info.firstArrivalMs)}`,
    `to         ${at(info, info.lastArrivalMs)}`,
    `span       ${(info.spanMs / 3_600_000).toFixed(2)} h (${num(info.spanMs / 1000)} s)`,
    `rate/min   min ${num(info.perMinute.min)}  median ${num(info.perMinute.median)}  peak ${num(info.perMinute.peak)} at ${at(info, info.perMinute.peakAtMs)}`,
    `work       mean ${ms(info.work.mean)}  p50 ${ms(info.work.p50)}  p90 ${ms(info.work.p90)}  p99 ${ms(info.work.p99)}  p99.9 ${ms(info.work.p999)}  max ${ms(info.work.max)}`,
    `clients    ${info.distinctClientsCapped ? '>= ' : ''}${num(info.distinctClients)} distinct (exact count of client keys: an IPv4 client's address, a hash of any other)`,
    `heaviest   ${heaviestLine(info.heaviestClients, 'clients')}${info.distinctClientsCapped ? ` (of the first ${num(DISTINCT_CAP)} clients)` : ''} (with session persistence or a hash by client, each lands on one server)`,
    `routes     ${num(info.distinctRoutes)} distinct paths; ${info.distinctTargets === null ? 'no query-string keys (a version 1 trace: re-import the log for them)' : `${num(info.distinctTargets)} distinct with the query string (what nginx $request_uri, HAProxy uri whole hash)`}`,
    `heaviest   ${heaviestLine(info.heaviestRoutes, 'paths')} (with a hash by path, each lands on one server)`,
    `failed     ${num(info.recordedFailures)} recorded failures; ${num(info.estimatedWork)} requests with estimated work`,
  ];
  return `${lines.join('\n')}\n`;
}
