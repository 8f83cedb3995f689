/**
 * nginx.conf → ImportedBalancer, for one `upstream NAME { ... }` block, following the
 * nginx 1.22 documentation of ngx_http_upstream_module. The file is read into directives
 * and blocks with its `include`s followed (nginx-conf.ts); a warning names the file and
 * line a directive was read from, an included file's own.
 *
 * Understood inside the upstream: server ADDRESS [weight=N] [max_conns=N] [max_fails=N]
 * [fail_timeout=T] [backup] [down] [slow_start=T]; least_conn; ip_hash; hash KEY
 * [consistent]; random [two [least_conn]]; zone. Outside it, proxy_next_upstream_tries
 * is read as the retry limit. Everything else in the upstream is a warning with its line.
 * Backends are named by the server address as written (e.g. 10.0.0.1:8080), because
 * nginx's consistent hash ring hashes that text; the same address again is another peer
 * (nginx allows it), named ADDRESS#2, #3, ... so every backend has a name of its own.
 */
import { LbsimError } from '../errors.ts';
import { nginxTime } from './durations.ts';
import { type Directive, parseNginxConf, walk } from './nginx-conf.ts';
import type { ImportedBalancer, ImportedServer } from './types.ts';

/** Balancing methods whose module does not set NGX_HTTP_UPSTREAM_BACKUP: a later `server ... backup` is refused. */
const NO_BACKUP = new Set(['hash', 'ip_hash', 'random']);

/** The upstream names a file defines, its includes followed (for choosing one). */
export function nginxUpstreamNames(text: string, file: string): string[] {
  return [...walk(parseNginxConf(text, file, []))].filter((d) => d.name === 'upstream' && d.block).map((d) => d.args[0] ?? '');
}

export function importNginx(text: string, file: string, upstream: string | undefined): ImportedBalancer {
  const warnings: string[] = [];
  const tree = parseNginxConf(text, file, warnings);
  const ups = [...walk(tree)].filter((d) => d.name === 'upstream' && d.block);
  const found = ups.find((d) => upstream === undefined || d.args[0] === upstream);
  if (!found) {
    throw new LbsimError('SCENARIO_INVALID', `${file}: no upstream${upstream === undefined ? '' : ` named '${upstream}'`}; found ${ups.length === 0 ? 'none' : ups.map((u) => u.args[0]).join(', ')}`);
  }
  const at = (d: Directive) => `${d.file}:${d.line}`;
  const servers: ImportedServer[] = [];
  /** Where each server is configured, FILE:LINE. */
  const serverAt: string[] = [];
  const settings: ImportedBalancer['settings'] = {};
  let algorithm = 'nginx/round_robin';
  let options: Record<string, unknown> = {};
  let method: Directive | undefined;
  // nginx 1.22 (ngx_http_upstream_hash / ip_hash / least_conn / random): a second method
  // is a warning, "load balancing method redefined", and the last one is used.
  const setMethod = (d: Directive, name: string) => {
    if (method !== undefined) warnings.push(`${at(d)}: '${d.name}' redefines the balancing method '${method.name}' (${at(method)}): nginx 1.22 only warns ("load balancing method redefined") and uses the last one, ${d.name}`);
    method = d;
    algorithm = name;
    options = {};
  };
  for (const d of found.block!) {
    switch (d.name) {
      case 'server': {
        // Its line, for messages (validate's), and its file when an include brought it.
        const s = { ...serverOf(d, warnings), line: d.line, ...(d.file === file ? {} : { file: d.file }) };
        // ngx_http_upstream_server: the method's flags lack NGX_HTTP_UPSTREAM_BACKUP.
        if (s.backup && method !== undefined && NO_BACKUP.has(method.name)) {
          throw new LbsimError('SCENARIO_INVALID', `${at(d)}: server ${s.address}: balancing method '${method.name}' (${at(method)}) does not support parameter "backup" (nginx 1.22 refuses to start); drop backup, or use round robin or least_conn`);
        }
        servers.push(s);
        serverAt.push(at(d));
        break;
      }
      case 'least_conn':
        setMethod(d, 'nginx/least_conn');
        break;
      case 'ip_hash':
        setMethod(d, 'nginx/ip_hash');
        break;
      case 'hash':
        setMethod(d, 'nginx/hash');
        if (d.args.includes('consistent')) options.consistent = true;
        options.key = hashKey(d, warnings);
        break;
      case 'random':
        setMethod(d, 'nginx/random');
        if (d.args[0] === 'two') {
          options.two = true;
          if (d.args[1] !== undefined && d.args[1] !== 'least_conn') warnings.push(`${at(d)}: random two ${d.args[1]} not modelled (nginx Plus); using least_conn`);
        }
        break;
      case 'zone':
        settings.sharedZone = true;
        break;
      case 'sticky':
        // nginx Plus `sticky cookie NAME [expires=T]`: session persistence (balancer.persistence), pinned for T at most;
        // `sticky learn`: the servers' own sessions, each forgotten after `timeout` unused.
        if (d.args[0] === 'cookie') {
          const expires = d.args.find((a) => a.startsWith('expires='))?.slice('expires='.length);
          const ms = expires === undefined || expires === 'max' ? undefined : nginxTime(expires);
          if (expires !== undefined && expires !== 'max' && ms === undefined) warnings.push(`${at(d)}: sticky cookie: expires=${expires} is not a time; the pin lasts the run`);
          settings.persistence = ms === undefined ? {} : { maxLifeMs: ms };
          warnings.push(`${at(d)}: sticky cookie is nginx Plus (the open-source nginx 1.22 refuses it): simulated as session persistence`);
        } else if (d.args[0] === 'learn') {
          // `sticky learn create=... lookup=... zone=... [timeout=T]`: sessions the servers create, forgotten after T unused (10m by default).
          const timeout = d.args.find((a) => a.startsWith('timeout='))?.slice('timeout='.length);
          const ms = timeout === undefined ? 600_000 : nginxTime(timeout);
          if (ms === undefined) warnings.push(`${at(d)}: sticky learn: timeout=${timeout} is not a time; nginx's default 10m is used`);
          settings.persistence = { maxIdleMs: ms ?? 600_000 };
          warnings.push(`${at(d)}: sticky learn is nginx Plus: simulated as session persistence by client, max_idle the timeout (every client's session starts with its first answer; the zone's size is not modelled)`);
        } else warnings.push(`${at(d)}: 'sticky ${d.args.join(' ')}' not modelled (sticky cookie and sticky learn are: lbsim's traces hold no route variables); ignored`);
        break;
      default:
        warnings.push(`${at(d)}: '${[d.name, ...d.args].join(' ')}' not understood by the importer; ignored`);
    }
  }
  // A method after a backup server: nginx checks backup only against the method set when the server line is read.
  const lateMethod = method;
  if (lateMethod !== undefined && NO_BACKUP.has(lateMethod.name)) {
    for (const s of servers.filter((x) => x.backup)) warnings.push(`${at(lateMethod)}: '${lateMethod.name}' comes after backup server ${s.address}: nginx 1.22 refuses backup with ${lateMethod.name} only when the method comes first; how it treats this one is not modelled: lbsim keeps it as a backup (used only when no primary is usable)`);
  }
  nameDuplicates(servers, serverAt, algorithm === 'nginx/hash' && options.consistent === true, warnings);
  if (!settings.sharedZone) warnings.push(`${at(found)}: upstream '${found.args[0]}' has no 'zone': each nginx worker balances on its own counters; model several workers with balancer.instances`);
  // Retries to the next peer (simulated by the proxy layer, config-import/scenario.ts).
  for (const d of walk(tree)) {
    if (d.name === 'proxy_next_upstream_tries') settings.nextUpstreamTries = Number(d.args[0]);
    else if (d.name === 'proxy_next_upstream') {
      settings.nextUpstream = d.args;
      const unmodelled = d.args.filter((a) => !NEXT_UPSTREAM_MODELLED.has(a));
      if (unmodelled.length > 0) warnings.push(`${at(d)}: proxy_next_upstream ${unmodelled.join(' ')}: not modelled (lbsim backends refuse a request when down, or with a 503 when their queue is full; a try times out only with balancer.per_try_timeout)`);
    }
  }
  if (servers.length === 0) warnings.push(`${at(found)}: upstream '${found.args[0]}' has no servers`);
  return { kind: 'nginx', file, name: found.args[0] ?? '', algorithm, options, servers, settings, warnings };
}

/**
 * The request key lbsim hashes for `hash KEY`: its traffic carries the path without the
 * query string (nginx's $uri), the whole request target with it ($request_uri), and a
 * client key ($remote_addr). A key that is exactly one of these is mapped as is; any other
 * is run as the nearest one with a warning saying how the result differs.
 */
function hashKey(d: Directive, warnings: string[]): 'route' | 'request_uri' | 'client' {
  const key = d.args[0] ?? '';
  const where = `${d.file}:${d.line}: hash ${key}`;
  if (key === '$uri' || key === '$document_uri') return 'route';
  // The address a proxy in front passes on: the text $remote_addr holds there (one address in the header).
  if (key === '$remote_addr' || key === '$http_x_forwarded_for' || key === '$http_x_real_ip' || key === '$realip_remote_addr') return 'client';
  if (key === '$binary_remote_addr') {
    warnings.push(`${where}: modelled as $remote_addr (the client key): nginx hashes the address's 4 raw bytes, not its text, so each client lands on another server than here, with the same spread`);
    return 'client';
  }
  // $uri$is_args$args is the normalized path with the arguments: the same key here (lbsim's paths are as logged).
  if (key === '$request_uri' || key === '$uri$is_args$args') return 'request_uri';
  // A session cookie (or a user header) stands for the browser, as lbsim's client key does (persistence.ts).
  if (/^\$(cookie_\w+|http_x_(user|session|client)[\w]*)$/.test(key)) {
    warnings.push(`${where}: modelled as the client key: each client's requests share a server, as those holding one ${key.startsWith('$cookie_') ? 'cookie' : 'header value'} do in nginx (another server each than here, with the same spread)`);
    return 'client';
  }
  const client = /\$(binary_)?remote_addr\b/.test(key);
  // A key with the query string in it ($host$request_uri, a cache key): the nearest is the whole target.
  const query = !client && /\$(request_uri|args|query_string)\b/.test(key);
  const as = client ? '$remote_addr' : query ? '$request_uri' : '$uri';
  warnings.push(`${where}: not a key lbsim's traffic carries (it has the path, $uri, the path with its query string, $request_uri, and the client address, $remote_addr); simulated as 'hash ${as}', so requests that differ only in what the key adds share a server here`);
  return client ? 'client' : query ? 'request_uri' : 'route';
}

/**
 * The same address twice is two peers in nginx; lbsim names the later ones ADDRESS#2, #3...
 * nginx's ketama ring hashes the address text, so both get the same points and the later
 * one serves a key only when the earlier is down; lbsim's ring hashes the names.
 */
function nameDuplicates(servers: ImportedServer[], serverAt: string[], ring: boolean, warnings: string[]): void {
  const seen = new Map<string, number>();
  servers.forEach((s, i) => {
    const n = (seen.get(s.address) ?? 0) + 1;
    seen.set(s.address, n);
    if (n === 1) return;
    s.name = `${s.address}#${n}`;
    warnings.push(`${serverAt[i]}: server ${s.address} is listed ${n === 2 ? 'again' : `a ${n}th time`}: another peer, as in nginx, named ${s.name} here (in a scenario's backends too)${ring ? `; nginx's consistent ring gives it the same points as ${s.address} (it serves only when that one is down), lbsim's ring points of its own` : ''}`);
  });
}

/** proxy_next_upstream conditions the proxy layer models: error (a refused connection), http_503, timeout, off. */
const NEXT_UPSTREAM_MODELLED = new Set(['error', 'http_503', 'timeout', 'off']);

function serverOf(d: Directive, warnings: string[]): ImportedServer {
  const where = `${d.file}:${d.line}`;
  const address = d.args[0] ?? '';
  const s: ImportedServer = { name: address, address, weight: 1, maxFails: 1, failTimeoutMs: 10_000 };
  // nginx 1.22 ngx_http_upstream_server(): a value ngx_atoi / ngx_parse_time cannot read
  // (NGX_ERROR), or weight=0, is an "invalid parameter" and nginx refuses to start.
  const invalid = (a: string, why: string): never => {
    throw new LbsimError('SCENARIO_INVALID', `${where}: server ${address}: invalid parameter "${a}" (nginx 1.22 ${why} and refuses to start)`);
  };
  for (const a of d.args.slice(1)) {
    const [k, v = ''] = a.split('=', 2) as [string, string?];
    switch (k) {
      case 'weight':
        s.weight = Number(v);
        if (!/^[0-9]+$/.test(v) || s.weight < 1) invalid(a, 'requires a weight of at least 1');
        break;
      case 'max_conns':
      case 'max_fails':
        if (!/^[0-9]+$/.test(v)) invalid(a, `requires a whole number for ${k}`);
        if (k === 'max_conns') s.maxconn = Number(v);
        else s.maxFails = Number(v);
        break;
      case 'fail_timeout':
      case 'slow_start': {
        const ms = nginxTime(v);
        if (ms === undefined) invalid(a, `requires a time for ${k}`);
        else if (k === 'fail_timeout') s.failTimeoutMs = ms;
        else s.slowStartMs = ms;
        break;
      }
      case 'backup':
        s.backup = true;
        break;
      case 'down':
        s.down = true;
        break;
      default:
        warnings.push(`${where}: server ${address}: '${a}' not understood by the importer; ignored`);
    }
  }
  // backup and max_fails / fail_timeout (nginx's passive checks, on by default) are simulated; max_conns too (the proxy layer: a backend's maxconn).
  if (s.slowStartMs !== undefined) warnings.push(`${where}: server ${address}: slow_start=${s.slowStartMs}ms is nginx Plus; simulated with HAProxy's slowstart weight ramp (16 steps; max_conns not ramped)`);
  // nginx keeps a down peer in the hash total weight (ip_hash, hash): the run gives it an outage for the whole run (scenario.ts).
  if (s.down) warnings.push(`${where}: server ${address} is marked down: never picked, and kept in ip_hash's and hash's total weight as nginx keeps it, so no other client moves`);
  return s;
}
