/**
 * Client and route keys: a string (client IP or ID, request path) becomes a uint32 by
 * 32-bit FNV-1a over its UTF-16 code units. FNV-1a is fast on short strings, spreads
 * IPv4 addresses and paths well, and is stable across runs and machines, so the same log
 * always gives the same keys. Collisions (≈ n²/2³³: 1 in a million pairs at 93 k distinct
 * clients) merge two clients into one, which only matters to affinity balancers.
 */

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
 * Key of a client `address:port` in text[start, end): the address, up to the last `:`
 * after `start`, or the whole field when it has none. The colon is found by walking back
 * (`lastIndexOf` is a V8 runtime call, ~100 ns a line).
 */
export function clientKeyOf(text: string, start: number, end: number): number {
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

/**
 * Key of the path in a request line `METHOD PATH PROTOCOL` that starts at `from` and ends
 * before `close` (its closing quote): the path's route key, or -1 when the line has no
 * space before `close` (no path to take; the caller picks its fallback).
 */
export function requestPathKey(line: string, from: number, close: number): number {
  const sp1 = line.indexOf(' ', from);
  if (sp1 < 0 || sp1 >= close) return -1;
  const sp2 = line.indexOf(' ', sp1 + 1);
  return routeKeyOf(line, sp1 + 1, sp2 > 0 && sp2 < close ? sp2 : close);
}
