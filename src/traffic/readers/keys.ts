/**
 * Client and route keys: a string becomes a uint32.
 *
 * A client that is a dotted-quad IPv4 address (a.b.c.d, optionally followed by `:port`)
 * keys to the address itself, a<<24 | b<<16 | c<<8 | d: what the balancers that hash
 * addresses take it for (nginx ip_hash groups clients by their /24, HAProxy `balance
 * source` hashes the 32-bit address, nginx `hash $remote_addr` and Envoy hash its a.b.c.d
 * text; src/balancers/nginx/ip-hash.ts). Anything else (IPv6, host names, user IDs) and
 * every route key is a 32-bit FNV-1a over its UTF-16 code units: fast on short strings,
 * well spread, and stable across runs and machines, so the same log always gives the same
 * keys. Hash collisions (≈ n²/2³³: 1 in a million pairs at 93 k distinct clients) merge
 * two clients into one, which only matters to affinity balancers; an IPv4 key can also
 * equal a hashed one by chance, with the same odds.
 *
 * CLIENT_KEYS_VERSION names this mapping: an import cached before it changed holds other
 * keys (src/traffic/prepare.ts puts it in the cache key).
 */

/** 1: FNV-1a of every client; 2: IPv4 addresses as their 32-bit value. */
export const CLIENT_KEYS_VERSION = 2;

/** FNV-1a's 32-bit offset basis and prime: a reader hashing keys its own way (alb-bytes.ts) must use these. */
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** Key of text[start, end). */
export function keyOf(text: string, start = 0, end = text.length): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/**
 * The 32-bit value of a dotted-quad IPv4 address in text[start, end), optionally followed
 * by `:port` (digits), or -1 when the field is anything else. Hand-written, one pass that
 * stops at the first character that cannot belong (a regex would cost every line of an
 * import ~10x this): octets are 1–3 decimal digits up to 255.
 */
export function ipv4KeyOf(text: string, start: number, end: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let i = start;
  for (; i < end; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c >= 0 && c <= 9) {
      octet = octet * 10 + c;
      if (++digits > 3 || octet > 255) return -1;
    } else if (c === -2 && digits > 0 && dots < 3) {
      // '.'
      value = (value << 8) | octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c === 10) break; // ':'
    else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  if (i < end) {
    if (i + 1 === end) return -1;
    for (let k = i + 1; k < end; k++) {
      const c = text.charCodeAt(k) - 48;
      if (!(c >= 0 && c <= 9)) return -1;
    }
  }
  return ((value << 8) | octet) >>> 0;
}

/** Key of a client field that is an address or an ID, whole (nginx `$remote_addr`, a CSV/JSON `client`): its IPv4 value, else keyOf. */
export function clientIdKeyOf(text: string, start = 0, end = text.length): number {
  const ip = ipv4KeyOf(text, start, end);
  return ip >= 0 ? ip : keyOf(text, start, end);
}

/**
 * Key of a client `address:port` in text[start, end): an IPv4 address's value (port or
 * not), else the FNV-1a of the address, up to the last `:` after `start`, or of the whole
 * field when it has none. The colon is found by walking back (`lastIndexOf` is a V8
 * runtime call, ~100 ns a line).
 */
export function clientKeyOf(text: string, start: number, end: number): number {
  const ip = ipv4KeyOf(text, start, end);
  if (ip >= 0) return ip;
  let colon = end - 1;
  while (colon > start && text.charCodeAt(colon) !== 58) colon--;
  return keyOf(text, start, colon > start ? colon : end);
}

/**
 * Key of a request target: the path without its query string, keyOf(target, start, the
 * first `?` or end). One pass that stops at the `?`: an indexOf('?') would run past `end`
 * to the end of the text when the target has none, and a line read in place (types.ts,
 * inTextParser) is followed by the rest of its block.
 */
export function routeKeyOf(target: string, start = 0, end = target.length): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) {
    const c = target.charCodeAt(i);
    if (c === 63) break;
    h ^= c;
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** Where a reader puts a request target's two keys. */
export interface TargetKeys {
  route: number;
  uri: number;
}

/**
 * The two keys of a request target text[start, end): `route`, the path without its query
 * string (routeKeyOf: nginx $uri, HAProxy `balance uri`), and `uri`, the whole target
 * (keyOf: nginx $request_uri, HAProxy `balance uri whole`). One pass: the FNV-1a of the
 * whole target, whose value just before the first `?` is the route key.
 */
export function targetKeys(text: string, start: number, end: number, out: TargetKeys): void {
  // Two loops: the first stops at the `?` as routeKeyOf does, the second hashes on through
  // the query; no per-character test of whether the route key is taken yet.
  let h = FNV_OFFSET | 0;
  let i = start;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 63) break;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  out.route = h >>> 0;
  for (; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  out.uri = h >>> 0;
}

/**
 * The keys (targetKeys) of the path in a request line `METHOD PATH PROTOCOL` that starts
 * at `from` and ends before `close` (its closing quote), into `out`; false, with `out`
 * untouched, when the line has no space before `close` (no path to take; the caller picks
 * its fallback).
 */
export function requestKeys(line: string, from: number, close: number, out: TargetKeys): boolean {
  const sp1 = line.indexOf(' ', from);
  if (sp1 < 0 || sp1 >= close) return false;
  const sp2 = line.indexOf(' ', sp1 + 1);
  targetKeys(line, sp1 + 1, sp2 > 0 && sp2 < close ? sp2 : close, out);
  return true;
}
