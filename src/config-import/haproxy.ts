/**
 * haproxy.cfg → ImportedBalancer, for one `backend NAME` (or `listen NAME`) section,
 * following the HAProxy 2.6 configuration manual. `defaults` sections before it supply
 * `balance`, `hash-type`, `retries`, `retry-on`, `timeout queue|connect|server`, `option
 * redispatch|allbackups` and `default-server` parameters, as HAProxy applies them: a
 * backend's `default-server` lines add to the defaults' one keyword by keyword (HAProxy
 * copies the defaults' default-server into the backend, then parses its own on top).
 * Line based: comments (#) are dropped, words are split on blanks (quoted words kept
 * whole). A server line's keywords are read in haproxy-server.ts, and cookie and stick-table
 * persistence in haproxy-persistence.ts.
 *
 * Understood: balance roundrobin|static-rr|leastconn|first|source|uri|hdr(N)|random[(D)],
 * hash-type map-based|consistent [sdbm|djb2] [avalanche], hash-balance-factor, server NAME ADDR with weight,
 * maxconn, maxqueue, backup, slowstart, check, inter, rise, fall, disabled; default-server;
 * retries, retry-on, timeout queue|connect|server, option redispatch, option allbackups,
 * option httpchk. `timeout server` (the server-side inactivity timeout: lbsim's server
 * says nothing until its answer is ready, so the time to answer) is the per-try timeout:
 * HAProxy answers 504 and the server works on; retried only under `retry-on
 * response-timeout` (HAProxy 2.6's default is `retry-on conn-failure`).
 * backup, allbackups, slowstart and check inter rise fall become server-health knobs.
 * Everything else inside the section is a warning naming file and line.
 *
 * What HAProxy itself refuses to start with is an error (LbsimError, exit 2), not a
 * warning: a `balance` algorithm it does not know (cfgparse backend_parse_balance: "only
 * supports ..."), a server weight outside 0..256 (server.c srv_parse_weight: "weight of
 * server %s is not within 0 and %d", SRV_UWGHT_MAX = 256), two servers of one name
 * (cfgparse.c check_config_validity: "another server named '%s' was already defined at
 * line %d"), a time HAProxy cannot read (`timeout`, `inter`, `slowstart`: parse_time_err),
 * `rise`/`fall` not above 0 ("'%s' has to be > 0"), an unknown `retry-on` keyword.
 * Numbers HAProxy reads with atol() (`weight`, `maxconn`, `maxqueue`, `retries`) are read
 * the same way, garbage as 0, with a warning where HAProxy says nothing.
 */
import { haproxyTime } from './durations.ts';
import { persistenceOf, stickOnSource } from './haproxy-persistence.ts';
import { atol, isWhole, serverOf, type ServerWords } from './haproxy-server.ts';
import type { ImportedBalancer } from './types.ts';
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
const IRRELEVANT = new Set(['mode', 'log', 'option httplog', 'option tcplog', 'option dontlognull', 'option forwardfor', 'http-request', 'http-response', 'acl', 'timeout client', 'timeout http-request', 'timeout http-keep-alive', 'timeout check', 'description']);

/** The `balance` algorithms HAProxy 2.6 accepts (configuration manual 4.2 "balance"), as written in its error. */
const HAPROXY_BALANCE_ALGORITHMS = ['roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'uri', 'url_param', 'hdr(<name>)', 'random[(<draws>)]', 'rdp-cookie[(<name>)]', 'hash <expr>'];
/** Valid in HAProxy 2.6 but not modelled by lbsim: a warning, and roundrobin instead. */
const BALANCE_UNMODELLED = /^(url_param|rdp-cookie(\(.*\))?|hash)$/;

/**
 * `retry-on` keywords of HAProxy 2.6 (configuration manual 4.2, proxy.c
 * proxy_parse_retry_on) as lbsim's retry_on: a connection failure is `refused` (a
 * backend down), response-timeout the per-try timeout (`timeout server`), 503 a full
 * backend queue. The others name answers lbsim's backends never give: nothing to retry.
 */
const RETRY_ON = new Map<string, ('refused' | '503' | 'timeout')[]>([
  ['conn-failure', ['refused']],
  ['empty-response', []],
  ['junk-response', []],
  ['response-timeout', ['timeout']],
  ['0rtt-rejected', []],
  ...['404', '408', '425', '500', '501', '502'].map((code) => [code, []] as [string, []]),
  ['503', ['503']],
  ['504', []],
  ['all-retryable-errors', ['refused', 'timeout', '503']],
]);

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
  /** `hash-balance-factor N` (0: off), and where it was set. */
  hashBalanceFactor?: { factor: number; at: string };
  retries?: number;
  retryOn?: ('refused' | '503' | 'timeout')[];
  queueTimeoutMs?: number;
  connectTimeoutMs?: number;
  serverTimeoutMs?: number;
  redispatch?: boolean | number;
  /** `option persist` / `no option persist`. */
  persist?: { on: boolean; at: string };
  allBackups?: boolean;
  httpchk?: string;
  /** `cookie NAME [insert|rewrite|prefix] [maxidle T] [maxlife T] ...`: cookie persistence. */
  cookie?: { words: string[]; at: string };
  /** `stick-table type ip size N [expire T] ...` and `stick on PATTERN [table NAME]`: stick-table persistence. */
  stickTable?: { words: string[]; at: string };
  stickOn?: { words: string[]; at: string };
  /** `default-server` lines, the defaults' first: parsed before a server's own keywords, in order. */
  defaultServer: ServerWords[];
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
  const servers = found.servers.map((s) => serverOf(s.line, s.words, p.defaultServer, file, warnings));
  // HAProxy refuses two servers of one name in a backend (cfgparse.c check_config_validity;
  // it exempts servers given an explicit `id`, but lbsim tells backends apart by name).
  servers.forEach((s, i) => {
    const first = servers.findIndex((o) => o.name === s.name);
    if (first < i) throw new LbsimError('SCENARIO_INVALID', `${file}:${s.line}: backend '${found.name}', another server named '${s.name}' was already defined at line ${servers[first]!.line}, please use distinct names (HAProxy 2.6 refuses to start)`);
  });
  if (servers.length === 0) warnings.push(`${file}: backend '${found.name}' has no server lines`);
  // Simulated (server-health knobs): option allbackups.
  const settings: ImportedBalancer['settings'] = p.allBackups === undefined ? {} : { allBackups: p.allBackups };
  if (p.queueTimeoutMs !== undefined) settings.queueTimeoutMs = p.queueTimeoutMs;
  if (p.connectTimeoutMs !== undefined) settings.connectTimeoutMs = p.connectTimeoutMs;
  if (p.retries !== undefined) settings.retries = p.retries;
  if (p.retryOn !== undefined) settings.retryOn = p.retryOn;
  if (p.serverTimeoutMs !== undefined) settings.serverTimeoutMs = p.serverTimeoutMs;
  if (p.redispatch !== undefined) settings.redispatch = p.redispatch;
  if (p.httpchk !== undefined) {
    settings.healthCheck = { httpchk: p.httpchk };
    warnings.push(`${file}: backend '${found.name}': option httpchk ${p.httpchk}: a check passes unless the server is in an outage (HTTP answers are not modelled)`);
  }
  if (p.cookie !== undefined) {
    const persistence = persistenceOf(p.cookie, servers, warnings);
    if (persistence !== undefined) settings.persistence = persistence;
  }
  if (p.stickOn !== undefined) {
    const sticky = stickOnSource(p.stickOn, p.stickTable, found.name, warnings);
    // A cookie assigns the server first (SF_ASSIGNED); the stick rule then only records it.
    if (sticky !== undefined && settings.persistence === undefined) settings.persistence = sticky;
  }
  if (p.persist?.on === true) {
    if (settings.persistence !== undefined) settings.persistence.persist = true;
    else warnings.push(`${p.persist.at}: option persist: no cookie or stick-table persistence here, so it changes nothing`);
  }
  // timeout queue / connect / server, retries, retry-on and redispatch go to the proxy layer (config-import/scenario.ts).
  return { kind: 'haproxy', file, name: found.name, algorithm, options, servers, settings, warnings };
}

/** The directives whose words applyDirective keeps for later, and where in Pending. */
const KEPT_WORDS = new Map<string, 'balance' | 'hashType' | 'cookie' | 'stickTable'>([
  ['balance', 'balance'],
  ['hash-type', 'hashType'],
  ['cookie', 'cookie'],
  ['stick-table', 'stickTable'],
]);

function applyDirective(l: Line, p: Pending, servers: { line: Line; words: string[] }[] | undefined, warnings: string[], where: string): void {
  const w = l.words;
  const two = `${w[0]} ${w[1] ?? ''}`;
  // Directives read once the section is done (algorithmOf, persistenceOf, stickOnSource): their words, where.
  const kept = KEPT_WORDS.get(w[0]!);
  if (kept !== undefined) return void (p[kept] = { words: w.slice(1), at: where });
  switch (w[0]) {
    case 'stick':
      if (w[1] === 'on') return void (p.stickOn = { words: w.slice(2), at: where });
      break;
    case 'retries': {
      // cfgparse-listen.c: an empty argument is fatal, anything else is atol()'d.
      if (w[1] === undefined) throw new LbsimError('SCENARIO_INVALID', `${where}: 'retries' expects an integer argument (HAProxy 2.6 refuses to start)`);
      const n = Math.max(0, atol(w[1]));
      if (!isWhole(w[1]) || Number(w[1]) < 0) warnings.push(`${where}: retries '${w[1]}' is not a whole number of retries; HAProxy 2.6 reads it as ${atol(w[1])} (atol), lbsim as ${n}`);
      p.retries = n;
      return;
    }
    case 'retry-on':
      p.retryOn = retryOnOf(w.slice(1), where, warnings);
      return;
    case 'hash-balance-factor': {
      // cfgparse-listen.c: an empty argument is fatal; atol()'d, it must be 0 or above 100.
      if (w[1] === undefined) throw new LbsimError('SCENARIO_INVALID', `${where}: 'hash-balance-factor' expects an integer argument (HAProxy 2.6 refuses to start)`);
      const factor = atol(w[1]);
      if (factor !== 0 && factor <= 100) throw new LbsimError('SCENARIO_INVALID', `${where}: 'hash-balance-factor' must be 0 or greater than 100, got ${w[1]} (HAProxy 2.6 refuses to start)`);
      if (!isWhole(w[1])) warnings.push(`${where}: hash-balance-factor '${w[1]}' is not a whole number; HAProxy 2.6 reads it as ${factor} (atol)`);
      p.hashBalanceFactor = { factor, at: where };
      return;
    }
    case 'default-server':
      // Added to the defaults' (copied into this section): later keywords override earlier ones.
      p.defaultServer = [...p.defaultServer, { where, label: 'default-server', words: w.slice(1) }];
      return;
    case 'server':
      if (servers === undefined) warnings.push(`${where}: 'server' outside a backend; ignored`);
      else servers.push({ line: l, words: w });
      return;
    case 'timeout':
      if (w[1] === 'queue' || w[1] === 'connect' || w[1] === 'server') {
        // proxy.c proxy_parse_timeout: a time parse_time_err cannot read is fatal.
        const ms = haproxyTime(w[2] ?? '');
        if (ms === undefined) throw new LbsimError('SCENARIO_INVALID', `${where}: timeout ${w[1]} '${w[2] ?? ''}': expected a time such as 30s or 500ms (HAProxy 2.6 refuses to start)`);
        if (w[1] === 'queue') p.queueTimeoutMs = ms;
        else if (w[1] === 'connect') p.connectTimeoutMs = ms;
        // 0 is no timeout (TICK_ETERNITY), as when it is not set.
        else p.serverTimeoutMs = ms > 0 ? ms : undefined;
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
      if (w[1] === 'persist') return void (p.persist = { on: true, at: where });
      if (w[1] === 'httpchk') return void (p.httpchk = w.slice(2).join(' '));
      break;
    case 'no':
      if (w[1] === 'option' && w[2] === 'redispatch') return void (p.redispatch = false);
      if (w[1] === 'option' && w[2] === 'persist') return void (p.persist = { on: false, at: where });
      break;
  }
  if (IRRELEVANT.has(w[0]!) || IRRELEVANT.has(two)) return;
  if (servers !== undefined) warnings.push(`${where}: '${w.join(' ')}' not understood by the importer; ignored`);
}

/** `retry-on` as lbsim's retry_on; an unknown keyword, or `none` with others, is fatal in HAProxy 2.6 (proxy_parse_retry_on). */
function retryOnOf(words: string[], where: string, warnings: string[]): ('refused' | '503' | 'timeout')[] {
  if (words.length === 0) throw new LbsimError('SCENARIO_INVALID', `${where}: 'retry-on' expects at least one keyword (HAProxy 2.6 refuses to start)`);
  if (words.includes('none')) {
    if (words.length > 1) throw new LbsimError('SCENARIO_INVALID', `${where}: retry-on: 'none' can only be used alone (HAProxy 2.6 refuses to start)`);
    return [];
  }
  const out = new Set<'refused' | '503' | 'timeout'>();
  const unmodelled: string[] = [];
  for (const k of words) {
    const mapped = RETRY_ON.get(k);
    if (mapped === undefined) throw new LbsimError('SCENARIO_INVALID', `${where}: retry-on: unknown keyword '${k}' (HAProxy 2.6 refuses to start); expected none or any of ${[...RETRY_ON.keys()].join(', ')}`);
    if (mapped.length === 0 || k === 'all-retryable-errors') unmodelled.push(k);
    for (const m of mapped) out.add(m);
  }
  if (unmodelled.length > 0) warnings.push(`${where}: retry-on ${unmodelled.join(' ')}: lbsim's backends never give an empty or junk response, a 0-RTT rejection or a 404, 408, 425, 500, 501, 502 or 504, so nothing is retried for those; simulated: conn-failure (a backend down), response-timeout (timeout server), 503 (a backend's queue full)`);
  return [...out];
}

/**
 * `balance hash EXPR` (HAProxy 2.6 get_server_expr: gen_hash() of the sample's bytes, then
 * the map or the ring, as the other hash algorithms): the expressions lbsim's traffic
 * carries, as the algorithm that hashes the same bytes. `path` is `balance uri`, `url`
 * `balance uri whole` and `req.hdr(NAME)` `balance hdr(NAME)`: haproxy 2.6.12 chose the
 * same servers for each pair (16 requests each, consistent hashing). `src` runs as
 * `balance source`, which hashes the address otherwise (XOR of its words, not gen_hash of
 * its bytes): the same spread, another server per client. Any other expression: undefined
 * (not modelled, round robin with a warning, as HAProxy itself when the sample is absent).
 */
function hashExpressionOf(expr: string, where: string, warnings: string[]): { algorithm: string; options: Record<string, unknown> } | undefined {
  if (expr === 'path') return { algorithm: 'haproxy/uri', options: {} };
  if (expr === 'url') return { algorithm: 'haproxy/uri', options: { whole: true } };
  const header = /^req\.hdr\((.+)\)$/.exec(expr);
  if (header) {
    warnings.push(`${where}: balance hash ${expr}: lbsim's traces hold no ${header[1]} header; haproxy/hdr hashes the route key (the path) instead, so requests are spread by path, not by ${header[1]}`);
    return { algorithm: 'haproxy/hdr', options: {} };
  }
  if (expr === 'src') {
    warnings.push(`${where}: balance hash src: run as balance source, which hashes the client's address otherwise (HAProxy's hash of src takes the address bytes through the hash function): the same spread, another server per client than in HAProxy`);
    return { algorithm: 'haproxy/source', options: {} };
  }
  return undefined;
}

function algorithmOf(p: Pending, file: string, warnings: string[]): { algorithm: string; options: Record<string, unknown> } {
  const options: Record<string, unknown> = {};
  const words = [...(p.balance?.words ?? ['roundrobin'])];
  const where = p.balance?.at ?? file;
  const raw = words[0]!;
  let algorithm: string;
  const hdr = /^hdr\((.+)\)$/.exec(raw);
  const rnd = /^random(?:\((\d+)\))?$/.exec(raw);
  const byExpr = raw === 'hash' && words[1] !== undefined ? hashExpressionOf(words[1], where, warnings) : undefined;
  if (byExpr !== undefined) {
    // `balance hash EXPR` (get_server_expr): the sample's bytes through the backend's hash; its expression is consumed.
    algorithm = byExpr.algorithm;
    Object.assign(options, byExpr.options);
    words.splice(1, 1);
  } else if (hdr) {
    algorithm = 'haproxy/hdr';
    warnings.push(`${where}: balance ${raw}: lbsim's traces hold no ${hdr[1]} header; haproxy/hdr hashes the route key (the path) instead, so requests are spread by path, not by ${hdr[1]}`);
  } else if (rnd) {
    algorithm = 'haproxy/random';
    if (rnd[1] !== undefined) options.draws = Number(rnd[1]);
  } else if (BALANCE_MAP[raw] !== undefined) {
    algorithm = BALANCE_MAP[raw]!;
  } else if (!BALANCE_UNMODELLED.test(raw)) {
    throw new LbsimError('SCENARIO_INVALID', `${where}: balance ${raw}: unknown algorithm (HAProxy 2.6 refuses to start); expected one of ${HAPROXY_BALANCE_ALGORITHMS.join(', ')}`);
  } else {
    // HAProxy itself uses round robin for a request without the URL parameter or RDP cookie, and lbsim's traces hold neither.
    const absent = raw === 'url_param' ? ': lbsim\'s traces keep a key of the whole query string, not its parameters\' values, and HAProxy uses round robin for a request without the parameter' : raw.startsWith('rdp-cookie') ? ': lbsim\'s traces hold no RDP cookie, and HAProxy uses round robin for a request without one' : '';
    warnings.push(`${where}: 'balance ${words.join(' ')}' is not modelled; using haproxy/roundrobin (HAProxy's default) instead${absent}`);
    algorithm = 'haproxy/roundrobin';
  }
  let args = words.slice(1);
  // `balance uri whole`: the whole URI, query string included (haproxy/uri's `whole`, the trace's uri keys).
  if (algorithm === 'haproxy/uri' && args.includes('whole')) {
    options.whole = true;
    args = args.filter((a) => a !== 'whole');
  }
  if (args.length > 0) warnings.push(`${where}: balance arguments '${args.join(' ')}' not modelled; ignored`);
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
  const hbf = p.hashBalanceFactor;
  if (hbf !== undefined && hbf.factor > 0) {
    // lb_chash.c applies it in chash_get_server_hash(): consistent hashing, and balance random's draws.
    if ((hashing && options.hash_type === 'consistent') || algorithm === 'haproxy/random') options.hash_balance_factor = hbf.factor;
    else warnings.push(`${hbf.at}: hash-balance-factor has no effect on ${algorithm}${hashing ? ' with map-based hashing' : ''} (HAProxy applies it to hash-type consistent and balance random); ignored`);
  }
  return { algorithm, options };
}
