/**
 * haproxy.cfg → ImportedBalancer, for one `backend NAME` (or `listen NAME`) section,
 * following the HAProxy 2.6 configuration manual. `defaults` sections before it supply
 * `balance`, `hash-type`, `retries`, `timeout queue`, `option redispatch|allbackups` and
 * `default-server` parameters, as HAProxy applies them. Line based: comments (#) are
 * dropped, words are split on blanks (quoted words kept whole).
 *
 * Understood: balance roundrobin|static-rr|leastconn|first|source|uri|hdr(N)|random[(D)],
 * hash-type map-based|consistent [sdbm|djb2] [avalanche], server NAME ADDR with weight,
 * maxconn, maxqueue, backup, slowstart, check, inter, rise, fall, disabled; default-server;
 * retries, timeout queue, option redispatch, option allbackups, option httpchk.
 * backup, allbackups, slowstart and check inter rise fall become server-health knobs.
 * Everything else inside the section is a warning naming file and line.
 *
 * What HAProxy itself refuses to start with is an error (LbsimError, exit 2), not a
 * warning: a `balance` algorithm it does not know (cfgparse backend_parse_balance: "only
 * supports ..."), a server weight outside 0..256 (server.c srv_parse_weight: "weight of
 * server %s is not within 0 and %d", SRV_UWGHT_MAX = 256).
 */
import { haproxyTime } from './durations.ts';
import type { ImportedBalancer, ImportedServer } from './types.ts';
import { LbsimError } from '../errors.ts';

interface Line {
  no: number;
  words: string[];
}

function lines(text: string): Line[] {
  const out: Line[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const words: string[] = [];
    const re = /"([^"]*)"|'([^']*)'|(#.*$)|(\S+)/g;
    for (let m = re.exec(raw); m; m = re.exec(raw)) {
      if (m[3] !== undefined) break;
      words.push(m[1] ?? m[2] ?? m[4]!);
    }
    if (words.length > 0) out.push({ no: i + 1, words });
  });
  return out;
}

const SECTIONS = new Set(['global', 'defaults', 'frontend', 'backend', 'listen', 'resolvers', 'peers', 'userlist', 'mailers', 'program', 'http-errors', 'ring', 'cache']);

/** Directives a backend may carry that change nothing lbsim models (logging, HTTP rewriting, ...): noted once, not one warning each. */
const IRRELEVANT = new Set(['mode', 'log', 'option httplog', 'option tcplog', 'option dontlognull', 'option forwardfor', 'http-request', 'http-response', 'acl', 'timeout connect', 'timeout client', 'timeout server', 'timeout http-request', 'timeout http-keep-alive', 'timeout check', 'description']);

/** Server keywords without an argument (so the importer can skip unknown ones correctly). */
const SERVER_FLAGS = new Set(['agent-check', 'no-agent-check', 'check-send-proxy', 'check-ssl', 'no-check-ssl', 'force-sslv3', 'force-tlsv10', 'force-tlsv11', 'force-tlsv12', 'force-tlsv13', 'no-sslv3', 'no-tlsv10', 'no-tlsv11', 'no-tlsv12', 'no-tlsv13', 'no-tls-tickets', 'tls-tickets', 'non-stick', 'stick', 'send-proxy', 'send-proxy-v2', 'send-proxy-v2-ssl', 'send-proxy-v2-ssl-cn', 'no-send-proxy', 'ssl', 'no-ssl', 'ssl-reuse', 'no-ssl-reuse', 'tfo', 'allow-0rtt', 'check-via-socks4', 'no-verifyhost', 'ws']);

/** The `balance` algorithms HAProxy 2.6 accepts (configuration manual 4.2 "balance"), as written in its error. */
const HAPROXY_BALANCE_ALGORITHMS = ['roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'uri', 'url_param', 'hdr(<name>)', 'random[(<draws>)]', 'rdp-cookie[(<name>)]', 'hash <expr>'];
/** Valid in HAProxy 2.6 but not modelled by lbsim: a warning, and roundrobin instead. */
const BALANCE_UNMODELLED = /^(url_param|rdp-cookie(\(.*\))?|hash)$/;
/** HAProxy's SRV_UWGHT_MAX. */
const HAPROXY_MAX_WEIGHT = 256;

const BALANCE_MAP: Record<string, string> = {
  roundrobin: 'haproxy/roundrobin',
  'static-rr': 'haproxy/static-rr',
  leastconn: 'haproxy/leastconn',
  first: 'haproxy/first',
  source: 'haproxy/source',
  uri: 'haproxy/uri',
  random: 'haproxy/random',
};

interface Pending {
  balance?: { words: string[]; at: string };
  hashType?: { words: string[]; at: string };
  retries?: number;
  queueTimeoutMs?: number;
  connectTimeoutMs?: number;
  redispatch?: boolean | number;
  allBackups?: boolean;
  httpchk?: string;
  defaultServer: string[];
}

export function importHaproxy(text: string, file: string, backend: string | undefined): ImportedBalancer {
  const all = lines(text);
  const warnings: string[] = [];
  const at = (l: Line) => `${file}:${l.no}`;
  let defaults: Pending = { defaultServer: [] };
  let section: { kind: string; name: string } | undefined;
  let found: { name: string; pending: Pending; servers: { line: Line; words: string[] }[]; body: Line[] } | undefined;
  const backends: string[] = [];

  for (const l of all) {
    const [head] = l.words;
    if (SECTIONS.has(head!)) {
      section = { kind: head!, name: l.words[1] ?? '' };
      if (head === 'defaults') defaults = { defaultServer: [] };
      if (head === 'backend' || head === 'listen') {
        backends.push(section.name);
        if (found === undefined && (backend === undefined || backend === section.name)) {
          found = { name: section.name, pending: { ...defaults, defaultServer: [...defaults.defaultServer] }, servers: [], body: [] };
        } else if (found !== undefined && found.name === section.name) {
          warnings.push(`${at(l)}: a second section named '${section.name}'; only the first is imported`);
        }
      }
      continue;
    }
    if (section === undefined) continue;
    const target = section.kind === 'defaults' ? defaults : found !== undefined && (section.kind === 'backend' || section.kind === 'listen') && section.name === found.name ? found.pending : undefined;
    if (target === undefined) continue;
    if (target !== defaults) found!.body.push(l);
    applyDirective(l, target, target === defaults ? undefined : found!.servers, warnings, at(l));
  }

  if (found === undefined) {
    throw new LbsimError('SCENARIO_INVALID', backend === undefined ? `${file}: no backend or listen section found` : `${file}: no backend or listen section named '${backend}'; found ${backends.length === 0 ? 'none' : backends.join(', ')}`);
  }
  const p = found.pending;
  const { algorithm, options } = algorithmOf(p, file, warnings);
  const servers = found.servers.map((s) => serverOf(s.line, [...s.words.slice(0, 3), ...p.defaultServer, ...s.words.slice(3)], file, warnings));
  if (servers.length === 0) warnings.push(`${file}: backend '${found.name}' has no server lines`);
  // Simulated (server-health knobs): option allbackups.
  const settings: ImportedBalancer['settings'] = p.allBackups === undefined ? {} : { allBackups: p.allBackups };
  if (p.queueTimeoutMs !== undefined) settings.queueTimeoutMs = p.queueTimeoutMs;
  if (p.connectTimeoutMs !== undefined) settings.connectTimeoutMs = p.connectTimeoutMs;
  if (p.retries !== undefined) settings.retries = p.retries;
  if (p.redispatch !== undefined) settings.redispatch = p.redispatch;
  if (p.httpchk !== undefined) {
    settings.healthCheck = { httpchk: p.httpchk };
    warnings.push(`${file}: backend '${found.name}': option httpchk ${p.httpchk}: a check passes unless the server is in an outage (HTTP answers are not modelled)`);
  }
  // timeout queue / connect, retries and redispatch go to the proxy layer (config-import/scenario.ts).
  return { kind: 'haproxy', file, name: found.name, algorithm, options, servers, settings, warnings };
}

function applyDirective(l: Line, p: Pending, servers: { line: Line; words: string[] }[] | undefined, warnings: string[], where: string): void {
  const w = l.words;
  const two = `${w[0]} ${w[1] ?? ''}`;
  switch (w[0]) {
    case 'balance':
      p.balance = { words: w.slice(1), at: where };
      return;
    case 'hash-type':
      p.hashType = { words: w.slice(1), at: where };
      return;
    case 'retries':
      p.retries = Number(w[1]);
      return;
    case 'default-server':
      p.defaultServer = w.slice(1);
      return;
    case 'server':
      if (servers === undefined) warnings.push(`${where}: 'server' outside a backend; ignored`);
      else servers.push({ line: l, words: w });
      return;
    case 'timeout':
      if (w[1] === 'queue' || w[1] === 'connect') {
        const ms = haproxyTime(w[2] ?? '');
        if (ms === undefined) warnings.push(`${where}: timeout ${w[1]} '${w[2]}' is not a time; ignored`);
        else if (w[1] === 'queue') p.queueTimeoutMs = ms;
        else p.connectTimeoutMs = ms;
        return;
      }
      break;
    case 'option':
      if (w[1] === 'redispatch') {
        // cfgparse-listen.c: redispatch_after = atol(args[2]) when given, else -1 (the last retry).
        if (w[2] === undefined) return void (p.redispatch = true);
        // atol(): the leading digits, 0 when there are none; HAProxy says nothing, lbsim warns.
        const n = Number.parseInt(w[2], 10);
        if (!/^[+-]?\d+$/.test(w[2])) warnings.push(`${where}: option redispatch '${w[2]}' is not a whole number; HAProxy reads it as ${Number.isNaN(n) ? 0 : n}`);
        return void (p.redispatch = Number.isNaN(n) ? 0 : n);
      }
      if (w[1] === 'allbackups') return void (p.allBackups = true);
      if (w[1] === 'httpchk') return void (p.httpchk = w.slice(2).join(' '));
      break;
    case 'no':
      if (w[1] === 'option' && w[2] === 'redispatch') return void (p.redispatch = false);
      break;
  }
  if (IRRELEVANT.has(w[0]!) || IRRELEVANT.has(two)) return;
  if (servers !== undefined) warnings.push(`${where}: '${w.join(' ')}' not understood by the importer; ignored`);
}

function algorithmOf(p: Pending, file: string, warnings: string[]): { algorithm: string; options: Record<string, unknown> } {
  const options: Record<string, unknown> = {};
  const words = p.balance?.words ?? ['roundrobin'];
  const where = p.balance?.at ?? file;
  const raw = words[0]!;
  let algorithm: string;
  const hdr = /^hdr\((.+)\)$/.exec(raw);
  const rnd = /^random(?:\((\d+)\))?$/.exec(raw);
  if (hdr) {
    algorithm = 'haproxy/hdr';
  } else if (rnd) {
    algorithm = 'haproxy/random';
    if (rnd[1] !== undefined) options.draws = Number(rnd[1]);
  } else if (BALANCE_MAP[raw] !== undefined) {
    algorithm = BALANCE_MAP[raw]!;
  } else if (!BALANCE_UNMODELLED.test(raw)) {
    throw new LbsimError('SCENARIO_INVALID', `${where}: balance ${raw}: unknown algorithm (HAProxy 2.6 refuses to start); expected one of ${HAPROXY_BALANCE_ALGORITHMS.join(', ')}`);
  } else {
    warnings.push(`${where}: 'balance ${words.join(' ')}' is not modelled; using haproxy/roundrobin (HAProxy's default) instead`);
    algorithm = 'haproxy/roundrobin';
  }
  if (words.length > 1) warnings.push(`${where}: balance arguments '${words.slice(1).join(' ')}' not modelled; ignored`);
  const hashing = algorithm === 'haproxy/source' || algorithm === 'haproxy/uri' || algorithm === 'haproxy/hdr';
  if (p.hashType !== undefined) {
    const [type, ...rest] = p.hashType.words;
    if (!hashing) warnings.push(`${p.hashType.at}: hash-type has no effect on ${algorithm}; ignored`);
    else if (type === 'map-based' || type === 'consistent') {
      options.hash_type = type;
      for (const r of rest) {
        if (r === 'sdbm' || r === 'djb2') options.hash_function = r;
        else if (r === 'avalanche') options.avalanche = true;
        else warnings.push(`${p.hashType.at}: hash-type '${r}' not modelled (only sdbm, djb2, avalanche); ignored`);
      }
    } else warnings.push(`${p.hashType.at}: hash-type '${type}' not understood; using map-based`);
  }
  return { algorithm, options };
}

function serverOf(l: Line, w: string[], file: string, warnings: string[]): ImportedServer {
  const where = `${file}:${l.no}`;
  const s: ImportedServer = { name: w[1] ?? '?', address: w[2] ?? '', weight: 1 };
  let check = false;
  let inter = 2000;
  let rise = 2;
  let fall = 3;
  /** The number at word i, or `fallback` (with a warning) when it is not one. */
  const num = (i: number, what: string, fallback: number): number => {
    const v = Number(w[i]);
    if (Number.isFinite(v)) return v;
    warnings.push(`${where}: server ${s.name}: ${what} '${w[i]}' is not a number; ignored`);
    return fallback;
  };
  for (let i = 3; i < w.length; i++) {
    switch (w[i]) {
      case 'weight':
        s.weight = num(++i, 'weight', s.weight);
        if (s.weight < 0 || s.weight > HAPROXY_MAX_WEIGHT) {
          throw new LbsimError('SCENARIO_INVALID', `${where}: server ${s.name}: weight ${w[i]} is not within 0 and ${HAPROXY_MAX_WEIGHT} (HAProxy 2.6 refuses to start)`);
        }
        break;
      case 'maxconn':
        s.maxconn = num(++i, 'maxconn', s.maxconn ?? 0);
        break;
      case 'maxqueue':
        s.maxqueue = num(++i, 'maxqueue', s.maxqueue ?? 0);
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
      case 'slowstart': {
        const ms = haproxyTime(w[++i] ?? '');
        if (ms === undefined) warnings.push(`${where}: server ${s.name}: slowstart '${w[i]}' is not a time; ignored`);
        else s.slowStartMs = ms;
        break;
      }
      case 'inter': {
        const ms = haproxyTime(w[++i] ?? '');
        if (ms !== undefined) inter = ms;
        break;
      }
      case 'rise':
        rise = num(++i, 'rise', rise);
        break;
      case 'fall':
        fall = num(++i, 'fall', fall);
        break;
      default:
        // Server keywords take one argument except the flags (HAProxy 2.6 manual, 5.2).
        warnings.push(`${where}: server ${s.name}: '${SERVER_FLAGS.has(w[i]!) || i + 1 >= w.length ? w[i] : `${w[i]} ${w[i + 1]}`}' not understood by the importer; ignored`);
        if (!SERVER_FLAGS.has(w[i]!)) i++;
    }
  }
  if (check) s.check = { interMs: inter, rise, fall };
  // backup, slowstart and check are server-health knobs; maxconn and maxqueue the proxy layer's (config-import/scenario.ts).
  if (s.down) warnings.push(`${where}: server ${s.name} is disabled: imported with weight 0 (drained)`);
  return s;
}
