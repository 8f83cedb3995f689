/**
 * One HAProxy 2.6 `server` line, after the `default-server` lines that apply to it
 * (haproxy.ts), as an ImportedServer: weight, maxconn, maxqueue, backup, disabled,
 * slowstart, check inter rise fall (configuration manual 5.2). Each keyword is blamed on
 * the line it was written on, a default-server's or the server's own. What HAProxy
 * refuses to start with is an LbsimError: a weight outside 0..256 (server.c
 * srv_parse_weight), a time parse_time_err cannot read (inter, slowstart), rise or fall
 * not above 0 (check.c), a keyword without its argument. Numbers it reads with atol()
 * (weight, maxconn, maxqueue) are read the same way, garbage as 0, with a warning.
 */
import { haproxyTime } from './durations.ts';
import type { ImportedServer } from './types.ts';
import { LbsimError } from '../errors.ts';

/** Server keywords and where they were written (a `server` or `default-server` line). */
export interface ServerWords {
  where: string;
  /** `server NAME` or `default-server`, for messages. */
  label: string;
  words: string[];
}

/** Server keywords without an argument (so the importer can skip unknown ones correctly). */
const SERVER_FLAGS = new Set(['agent-check', 'no-agent-check', 'check-send-proxy', 'check-ssl', 'no-check-ssl', 'force-sslv3', 'force-tlsv10', 'force-tlsv11', 'force-tlsv12', 'force-tlsv13', 'no-sslv3', 'no-tlsv10', 'no-tlsv11', 'no-tlsv12', 'no-tlsv13', 'no-tls-tickets', 'tls-tickets', 'non-stick', 'stick', 'send-proxy', 'send-proxy-v2', 'send-proxy-v2-ssl', 'send-proxy-v2-ssl-cn', 'no-send-proxy', 'ssl', 'no-ssl', 'ssl-reuse', 'no-ssl-reuse', 'tfo', 'allow-0rtt', 'check-via-socks4', 'no-verifyhost', 'ws']);

/** HAProxy's SRV_UWGHT_MAX. */
const HAPROXY_MAX_WEIGHT = 256;

/** C's atol() as HAProxy reads most numbers: a sign and the digits that follow, 0 when there are none. */
export function atol(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}
export const isWhole = (text: string) => /^[+-]?\d+$/.test(text);

export function serverOf(l: { no: number }, own: string[], defaults: ServerWords[], file: string, warnings: string[]): ImportedServer {
  const s: ImportedServer = { name: own[1] ?? '?', address: own[2] ?? '', weight: 1, line: l.no };
  // The default-server keywords first, then the server's own: each word keeps the line it was written on.
  const segments: ServerWords[] = [...defaults, { where: `${file}:${l.no}`, label: `server ${s.name}`, words: own.slice(3) }];
  const w = segments.flatMap((g) => g.words);
  const seg = segments.flatMap((g) => g.words.map(() => g));
  let check = false;
  let inter = 2000;
  let rise = 2;
  let fall = 3;
  /** A default-server line's note is given once, not once per server. */
  const warn = (i: number, text: string) => {
    const message = `${seg[i]!.where}: ${seg[i]!.label}: ${text}`;
    if (!warnings.includes(message)) warnings.push(message);
  };
  const fail = (i: number, text: string): never => {
    throw new LbsimError('SCENARIO_INVALID', `${seg[i]!.where}: ${seg[i]!.label}: ${text} (HAProxy 2.6 refuses to start)`);
  };
  /** The value of keyword i; a keyword without one is fatal in HAProxy. */
  const arg = (i: number): string => w[i + 1] ?? fail(i, `'${w[i]}' expects an argument`);
  /** A number HAProxy reads with atol(): garbage is 0 (HAProxy says nothing; lbsim warns). */
  const atolArg = (i: number): number => {
    const v = arg(i);
    if (!isWhole(v)) warn(i, `${w[i]} '${v}' is not a whole number; HAProxy reads it as ${atol(v)} (atol), and so does lbsim`);
    return atol(v);
  };
  /** A time HAProxy reads with parse_time_err(): unreadable is fatal, and so is `inter 0` (min 1). */
  const timeArg = (i: number, min: number): number => {
    const v = arg(i);
    const ms = haproxyTime(v);
    if (ms === undefined) return fail(i, `${w[i]} '${v}': expected a time such as 2s or 500ms`);
    if (ms < min) return fail(i, `${w[i]} '${v}': expected a time of at least ${min} ms`);
    return ms;
  };
  /** rise and fall: atol(), and at most 0 is fatal (check.c: "'%s' has to be > 0."). */
  const positiveArg = (i: number): number => {
    const n = atolArg(i);
    return n > 0 ? n : fail(i, `'${w[i]}' has to be > 0 (got '${w[i + 1]}')`);
  };
  for (let i = 0; i < w.length; i++) {
    switch (w[i]) {
      case 'weight':
        s.weight = atolArg(i);
        if (s.weight < 0 || s.weight > HAPROXY_MAX_WEIGHT) fail(i, `weight ${w[i + 1]} is not within 0 and ${HAPROXY_MAX_WEIGHT}`);
        i++;
        break;
      case 'maxconn':
        s.maxconn = atolArg(i++);
        break;
      case 'maxqueue':
        s.maxqueue = atolArg(i++);
        break;
      case 'backup':
        s.backup = true;
        break;
      case 'no-backup':
        s.backup = false;
        break;
      case 'disabled':
        s.down = true;
        break;
      case 'enabled':
        s.down = false;
        break;
      case 'check':
        check = true;
        break;
      case 'no-check':
        check = false;
        break;
      case 'slowstart':
        s.slowStartMs = timeArg(i++, 0);
        break;
      case 'inter':
        inter = timeArg(i++, 1);
        break;
      case 'rise':
        rise = positiveArg(i++);
        break;
      case 'fall':
        fall = positiveArg(i++);
        break;
      case 'cookie':
        // The value a persistence cookie names this server by (the backend's `cookie` line).
        s.cookie = arg(i++);
        break;
      default:
        // Server keywords take one argument except the flags (HAProxy 2.6 manual, 5.2).
        warn(i, `'${SERVER_FLAGS.has(w[i]!) || i + 1 >= w.length ? w[i] : `${w[i]} ${w[i + 1]}`}' not understood by the importer; ignored`);
        if (!SERVER_FLAGS.has(w[i]!)) i++;
    }
  }
  if (check) s.check = { interMs: inter, rise, fall };
  // backup, slowstart and check are server-health knobs; maxconn and maxqueue the proxy layer's (config-import/scenario.ts).
  if (s.down) warnings.push(`${file}:${l.no}: server ${s.name} is disabled: imported with weight 0 (drained)`);
  return s;
}
