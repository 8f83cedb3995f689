/**
 * Session persistence in a haproxy.cfg backend (haproxy.ts reads the section): cookie
 * insertion (`cookie NAME ...` with the servers' `cookie` values) and source stickiness
 * (`stick on src` with the section's `stick-table ... expire T`), both as lbsim's
 * balancer.persistence (src/balancers/persistence.ts). What HAProxy 2.6 refuses to start
 * with is an LbsimError; what lbsim does not model is a warning naming the line.
 */
import { haproxyTime } from './durations.ts';
import type { ImportedServer } from './types.ts';
import { LbsimError } from '../errors.ts';

/** The `cookie` keywords that take an argument (HAProxy 2.6 manual, 4.2 "cookie"). */
const COOKIE_ARGS = new Set(['domain', 'maxidle', 'maxlife', 'attr']);

/**
 * Cookie persistence from `cookie NAME ...` and the servers' `cookie` values: lbsim's
 * balancer.persistence (src/balancers/persistence.ts). HAProxy pins a client to a server
 * only if the server has a cookie value; with none, no client is pinned.
 */
export function persistenceOf(c: { words: string[]; at: string }, servers: ImportedServer[], warnings: string[]): { maxIdleMs?: number; maxLifeMs?: number; withoutCookie?: string[]; persist?: boolean } | undefined {
  const [name, ...rest] = c.words;
  // cfgparse-listen.c: "'cookie' expects <cookie_name> as argument."
  if (name === undefined) throw new LbsimError('SCENARIO_INVALID', `${c.at}: 'cookie' expects <cookie_name> as argument (HAProxy 2.6 refuses to start)`);
  const out: { maxIdleMs?: number; maxLifeMs?: number; withoutCookie?: string[]; persist?: boolean } = {};
  for (let i = 0; i < rest.length; i++) {
    const k = rest[i]!;
    if (!COOKIE_ARGS.has(k)) continue;
    const v = rest[++i];
    if (k !== 'maxidle' && k !== 'maxlife') continue;
    // parse_time_err(..., TIME_UNIT_S): seconds unless a unit is given; unreadable is fatal.
    const ms = v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) * 1000 : haproxyTime(v);
    if (ms === undefined) throw new LbsimError('SCENARIO_INVALID', `${c.at}: cookie ${name}: ${k} '${v ?? ''}': expected a time such as 30m or 3600 (seconds) (HAProxy 2.6 refuses to start)`);
    if (ms > 0) out[k === 'maxidle' ? 'maxIdleMs' : 'maxLifeMs'] = ms;
  }
  const without = servers.filter((s) => s.cookie === undefined).map((s) => s.name);
  if (without.length === servers.length) {
    warnings.push(`${c.at}: cookie ${name}: no server has a cookie value, so HAProxy pins no client to a server; persistence not simulated`);
    return undefined;
  }
  // A server without a value sets no cookie and unpins the clients it serves (persistence.withoutCookie).
  if (without.length > 0) out.withoutCookie = without;
  return out;
}

/**
 * `stick on src` with this section's `stick-table ... size N expire T`: each source address
 * is kept on the server it was sent to, the entry refreshed at each match and dropped after
 * T without one (lbsim's persistence with max_idle T; the client key is the IPv4 address),
 * at most N of them (table_size: the oldest are trashed for new ones).
 */
export function stickOnSource(on: { words: string[]; at: string }, table: { words: string[]; at: string } | undefined, proxy: string, warnings: string[]): { maxIdleMs?: number; persist?: boolean; tableSize?: number } | undefined {
  const [pattern, ...rest] = on.words;
  if (pattern !== 'src') {
    warnings.push(`${on.at}: stick on ${on.words.join(' ')}: not modelled (only stick on src, the client's address, is); ignored`);
    return undefined;
  }
  const other = rest[0] === 'table' ? rest[1] : undefined;
  if (other !== undefined) {
    warnings.push(`${on.at}: stick on src table ${other}: a table of another section; its expire is not read, so an entry lasts the run here`);
    return {};
  }
  // cfgparse.c resolve_stick_rule: a rule without `table` uses its own section's, which must exist.
  if (table === undefined) throw new LbsimError('SCENARIO_INVALID', `${on.at}: stick on src: Proxy '${proxy}': unable to find stick-table '${proxy}' (HAProxy 2.6 refuses to start)`);
  const out: { maxIdleMs?: number; tableSize?: number } = {};
  const s = table.words.indexOf('size');
  if (s >= 0) {
    const n = haproxySize(table.words[s + 1] ?? '');
    if (n === undefined) throw new LbsimError('SCENARIO_INVALID', `${table.at}: stick-table: size '${table.words[s + 1] ?? ''}': expected a number of entries such as 200k (HAProxy 2.6 refuses to start)`);
    if (n > 0) out.tableSize = n;
  }
  const i = table.words.indexOf('expire');
  if (i < 0) return out;
  const ms = haproxyTime(table.words[i + 1] ?? '');
  if (ms === undefined) throw new LbsimError('SCENARIO_INVALID', `${table.at}: stick-table: expire '${table.words[i + 1] ?? ''}': expected a time such as 30m (HAProxy 2.6 refuses to start)`);
  if (ms > 0) out.maxIdleMs = ms;
  return out;
}

/** HAProxy's parse_size_err: digits, then an optional k, m or g (×2^10, 2^20, 2^30, either case), as an unsigned 32-bit number; else undefined. */
function haproxySize(text: string): number | undefined {
  const m = /^(\d+)([kmgKMG]?)$/.exec(text);
  if (m === null) return undefined;
  const shift = { '': 0, k: 10, m: 20, g: 30 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const n = Number(m[1]) * 2 ** shift;
  return n <= 0xffffffff ? n : undefined;
}
