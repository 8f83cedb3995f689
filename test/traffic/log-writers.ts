/**
 * Writes requests as log lines of every format lbsim imports: the other half of the
 * round-trip property test, and the generator of benchmark and week-long sample logs.
 * Each writer produces what the real proxy writes (field layouts from the readers' doc
 * comments), rounding times to the format's precision.
 */

export interface LogRequest {
  /** Arrival, epoch ms. */
  arrivalEpochMs: number;
  /** Work (upstream/target time), ms. */
  workMs: number;
  /** Time the request waited in the old system before the upstream answered (added to latency), ms. */
  queueMs: number;
  clientIp: string;
  path: string;
  status: number;
  /** The work is unknown (-1 / '-' in the log): the request never reached an upstream. */
  noUpstream?: boolean;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');
const p3 = (n: number) => String(n).padStart(3, '0');

function isoMicros(epochMs: number): string {
  const whole = Math.floor(epochMs);
  const micros = Math.round((epochMs - whole) * 1000);
  const d = new Date(whole);
  return `${d.toISOString().slice(0, 19)}.${p3(d.getUTCMilliseconds())}${p3(Math.min(999, micros))}Z`;
}

export type LineWriter = (r: LogRequest) => string;

/** lbsim's nginx log_format: `$msec $request_time $upstream_response_time $upstream_addr $upstream_status $status $remote_addr "$request"`. */
export const nginxLine: LineWriter = (r) => {
  const a = Math.round(r.arrivalEpochMs);
  const work = Math.round(r.workMs);
  const total = r.noUpstream ? Math.round(r.queueMs) : Math.round(r.queueMs) + work;
  const msec = a + total;
  const up = r.noUpstream ? '- - -' : `${(work / 1000).toFixed(3)} 10.0.0.${(a % 4) + 1}:8080 ${r.status}`;
  return `${Math.floor(msec / 1000)}.${p3(msec % 1000)} ${(total / 1000).toFixed(3)} ${up} ${r.status} ${r.clientIp} "GET ${r.path}?q=${a % 97} HTTP/1.1"`;
};

/** HAProxy 2.x `option httplog`, with a syslog prefix. */
export const haproxyLine: LineWriter = (r) => {
  const a = Math.round(r.arrivalEpochMs);
  const d = new Date(a);
  const date = `${p2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${p3(d.getUTCMilliseconds())}`;
  const tw = Math.round(r.queueMs);
  const tr = r.noUpstream ? -1 : Math.round(r.workMs);
  const ta = tw + Math.max(tr, 0) + 1;
  return `Apr 15 10:00:00 lb1 haproxy[1234]: ${r.clientIp}:${40000 + (a % 20000)} [${date}] http-in app/srv${(a % 4) + 1} 0/${tw}/0/${tr}/${ta} ${r.status} 1234 - - ---- 12/12/3/1/0 0/0 "GET ${r.path} HTTP/1.1"`;
};

/** AWS ALB access log entry (current field list, request_creation_time µs). */
export const albLine: LineWriter = (r) => {
  const tp = r.noUpstream ? '-1' : (Math.round(r.workMs) / 1000).toFixed(3);
  const sent = r.arrivalEpochMs + (r.noUpstream ? 0 : Math.round(r.workMs)) + 1;
  return `https ${isoMicros(sent)} app/my-lb/50dc6c495c0c9188 ${r.clientIp}:2817 10.0.0.1:80 0.000 ${tp} 0.000 ${r.status} ${r.noUpstream ? '-' : r.status} 34 366 "GET https://shop.example.com:443${r.path}?id=7 HTTP/1.1" "curl/8.5.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "shop.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 0 ${isoMicros(r.arrivalEpochMs)} "forward" "-" "-" "10.0.0.1:80" "${r.status}" "-" "-"`;
};

/** Envoy's default access log format. */
export const envoyLine: LineWriter = (r) => {
  const a = Math.round(r.arrivalEpochMs);
  const work = Math.round(r.workMs);
  const flags = r.noUpstream ? 'UF' : '-';
  const ust = r.noUpstream ? '-' : String(work);
  return `[${new Date(a).toISOString()}] "GET ${r.path} HTTP/1.1" ${r.status} ${flags} 0 512 ${Math.round(r.queueMs) + (r.noUpstream ? 0 : work)} ${ust} "${r.clientIp}" "curl/8.5.0" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "shop" "${r.noUpstream ? '-' : '10.0.2.1:80'}"`;
};

export const CSV_HEADER = 'timestamp,duration_ms,client_ip,path,status,backend';
/** CSV with ISO timestamps (µs) and durations in ms. */
export const csvLine: LineWriter = (r) =>
  `${isoMicros(r.arrivalEpochMs)},${r.noUpstream ? -1 : r.workMs.toFixed(3)},${r.clientIp},${r.path},${r.status},web-${Math.floor(r.arrivalEpochMs) % 4}`;

export const jsonlLine: LineWriter = (r) =>
  JSON.stringify({ timestamp: r.arrivalEpochMs / 1000, duration: r.noUpstream ? -1 : Number(r.workMs.toFixed(3)), client: r.clientIp, route: r.path, status: r.status });

export const LINE_WRITERS = { nginx: nginxLine, haproxy: haproxyLine, alb: albLine, envoy: envoyLine, csv: csvLine, jsonl: jsonlLine } as const;

/** Header line of a format, if it has one. */
export function headerOf(format: keyof typeof LINE_WRITERS): string | undefined {
  return format === 'csv' ? CSV_HEADER : undefined;
}

/**
 * How far a format's reader may differ from the request written: arrival and work in ms.
 * nginx derives arrival from two rounded ms figures; the others carry ms or better.
 */
export const PRECISION_MS: Record<keyof typeof LINE_WRITERS, { arrival: number; work: number }> = {
  nginx: { arrival: 1.001, work: 0.501 },
  haproxy: { arrival: 0.501, work: 0.501 },
  alb: { arrival: 0.002, work: 0.501 },
  envoy: { arrival: 0.501, work: 0.501 },
  csv: { arrival: 0.002, work: 0.0006 },
  jsonl: { arrival: 0.002, work: 0.0006 },
};
