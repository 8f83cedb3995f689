/**
 * nginx.conf → ImportedBalancer, for one `upstream NAME { ... }` block, following the
 * nginx 1.22 documentation of ngx_http_upstream_module. The file is tokenized into
 * directives (words up to `;`) and blocks (`{ ... }`), comments dropped, quotes kept.
 *
 * Understood inside the upstream: server ADDRESS [weight=N] [max_conns=N] [max_fails=N]
 * [fail_timeout=T] [backup] [down] [slow_start=T]; least_conn; ip_hash; hash KEY
 * [consistent]; random [two [least_conn]]; zone. Outside it, proxy_next_upstream_tries
 * is read as the retry limit. Everything else in the upstream is a warning with its line.
 * Backends are named by the server address as written (e.g. 10.0.0.1:8080), because
 * nginx's consistent hash ring hashes that text.
 */
import { LbsimError } from '../errors.ts';
import { nginxTime } from './durations.ts';
import type { ImportedBalancer, ImportedServer } from './types.ts';

interface Directive {
  name: string;
  args: string[];
  line: number;
  block?: Directive[];
}

function parse(text: string, file: string): Directive[] {
  const tokens: { t: string; line: number }[] = [];
  let line = 1;
  const re = /\n|#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|([^\s{};"'#]+)|[ \t\r]+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0] === '\n') line++;
    else if (m[1] !== undefined || m[2] !== undefined) tokens.push({ t: m[1] ?? m[2]!, line });
    else if (m[3] !== undefined || m[4] !== undefined) tokens.push({ t: m[3] ?? m[4]!, line });
  }
  let i = 0;
  const block = (depth: number): Directive[] => {
    const out: Directive[] = [];
    while (i < tokens.length) {
      const tok = tokens[i]!;
      if (tok.t === '}') {
        if (depth === 0) throw new LbsimError('PARSE_ERROR', `${file}:${tok.line}: unexpected '}'`);
        i++;
        return out;
      }
      const d: Directive = { name: tok.t, args: [], line: tok.line };
      i++;
      while (i < tokens.length && tokens[i]!.t !== ';' && tokens[i]!.t !== '{' && tokens[i]!.t !== '}') d.args.push(tokens[i++]!.t);
      const end = tokens[i];
      if (end === undefined) throw new LbsimError('PARSE_ERROR', `${file}:${d.line}: '${d.name}' is not terminated by ';' or '{'`);
      if (end.t === ';') i++;
      else if (end.t === '{') {
        i++;
        d.block = block(depth + 1);
      } else throw new LbsimError('PARSE_ERROR', `${file}:${d.line}: '${d.name}' is not terminated by ';'`);
      out.push(d);
    }
    if (depth > 0) throw new LbsimError('PARSE_ERROR', `${file}: unexpected end of file: a '{' is not closed`);
    return out;
  };
  return block(0);
}

function* walk(ds: Directive[]): Generator<Directive> {
  for (const d of ds) {
    yield d;
    if (d.block) yield* walk(d.block);
  }
}

export function importNginx(text: string, file: string, upstream: string | undefined): ImportedBalancer {
  const tree = parse(text, file);
  const ups = [...walk(tree)].filter((d) => d.name === 'upstream' && d.block);
  const found = ups.find((d) => upstream === undefined || d.args[0] === upstream);
  if (!found) {
    throw new LbsimError('SCENARIO_INVALID', `${file}: no upstream${upstream === undefined ? '' : ` named '${upstream}'`}; found ${ups.length === 0 ? 'none' : ups.map((u) => u.args[0]).join(', ')}`);
  }
  const warnings: string[] = [];
  const at = (d: Directive) => `${file}:${d.line}`;
  const servers: ImportedServer[] = [];
  const settings: ImportedBalancer['settings'] = {};
  let algorithm = 'nginx/round_robin';
  const options: Record<string, unknown> = {};
  let methods = 0;
  const method = (d: Directive, name: string) => {
    if (methods++ > 0) warnings.push(`${at(d)}: a second balancing method '${d.name}'; nginx would refuse this file ("load balancing method redefined")`);
    algorithm = name;
  };
  for (const d of found.block!) {
    switch (d.name) {
      case 'server':
        servers.push(serverOf(d, file, warnings));
        break;
      case 'least_conn':
        method(d, 'nginx/least_conn');
        break;
      case 'ip_hash':
        method(d, 'nginx/ip_hash');
        break;
      case 'hash':
        method(d, 'nginx/hash');
        if (d.args.includes('consistent')) options.consistent = true;
        {
          const key = d.args[0] ?? '';
          options.key = /remote_addr|binary_remote_addr/.test(key) ? 'client' : 'route';
          warnings.push(`${at(d)}: hash key '${key}' is modelled by the request's ${options.key} key`);
        }
        break;
      case 'random':
        method(d, 'nginx/random');
        if (d.args[0] === 'two') {
          options.two = true;
          if (d.args[1] !== undefined && d.args[1] !== 'least_conn') warnings.push(`${at(d)}: random two ${d.args[1]} not modelled (nginx Plus); using least_conn`);
        }
        break;
      case 'zone':
        settings.sharedZone = true;
        break;
      default:
        warnings.push(`${at(d)}: '${[d.name, ...d.args].join(' ')}' not understood by the importer; ignored`);
    }
  }
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

/** proxy_next_upstream conditions the proxy layer models: error (a refused connection), http_503, timeout, off. */
const NEXT_UPSTREAM_MODELLED = new Set(['error', 'http_503', 'timeout', 'off']);

function serverOf(d: Directive, file: string, warnings: string[]): ImportedServer {
  const where = `${file}:${d.line}`;
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
  if (s.down) warnings.push(`${where}: server ${address} is marked down: imported with weight 0 (drained)`);
  return s;
}
