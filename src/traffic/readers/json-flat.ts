/**
 * The JSON-lines fast path: reads the values of a few named keys from a line holding one
 * flat JSON object, without JSON.parse building the whole object.
 *
 * Lines of one log share their key order, so the reader learns it from a line (its
 * *template*: the keys in order) and matches later lines against one regular expression
 * built from it, which checks the whole line against the RFC 8259 grammar (§2
 * whitespace, §4 objects, §6 numbers, §7 strings — here without escapes or control
 * characters —, `true`, `false`, `null`) and captures the wanted values in one native
 * pass. It answers only when it can answer exactly as JSON.parse would: a repeated key
 * yields its last value (as JSON.parse keeps the last), and anything else — a backslash
 * (escapes), a control character, a nested object or array, another key order, any
 * malformed line — returns false, and the caller uses JSON.parse, which also gives the
 * error message. test/traffic/jsonl-fast.test.ts proves the two agree on generated and
 * adversarial lines.
 */

import { POW10 } from './types.ts';

const STRING = '"[^"\\\\\\u0000-\\u001f]*"';
const NUMBER = '-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?';
const VALUE = `(?:${STRING}|${NUMBER}|true|false|null)`;
const WS = '[ \\t\\n\\r]*';
const MEMBER = `${STRING}${WS}:${WS}${VALUE}${WS}`;
/** A whole line holding one flat object (any keys). */
const FLAT_OBJECT = new RegExp(`^${WS}\\{${WS}(?:${MEMBER}(?:,${WS}${MEMBER})*)?\\}${WS}$`);
/** One member of a line FLAT_OBJECT accepted, read in place (sticky): its key, then what follows its value. */
const NEXT_MEMBER = new RegExp(`${WS}"([^"]*)"${WS}:${WS}${VALUE}${WS}([,}])`, 'y');

const QUOTE = 34;
const DOT = 46;
const TWO53 = 2 ** 53;

/**
 * A JSON number (already checked against the grammar) exactly as JSON.parse reads it. A
 * plain decimal whose digits form an integer below 2^53 with at most 22 decimals is that
 * integer divided by a power of ten: one correctly rounded IEEE division of two exact
 * values (Clinger's fast path, "How to read floating point numbers accurately", 1990),
 * so it is the correctly rounded value JSON.parse returns. Anything else (an exponent, a
 * longer mantissa) goes through Number(), which rounds correctly too.
 */
export function jsonNumber(s: string): number {
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  let m = 0;
  let decimals = -1;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === DOT) decimals = 0;
    else if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      if (decimals >= 0) decimals++;
    } else return Number(s); // an exponent
  }
  // 10^k for k ≤ 22 (POW10) is exactly representable: the bound of Clinger's fast path.
  if (m >= TWO53 || decimals > 22) return Number(s);
  const v = decimals > 0 ? m / POW10[decimals]! : m;
  return s.charCodeAt(0) === 45 ? -v : v;
}

function valueOf(text: string): unknown {
  switch (text.charCodeAt(0)) {
    case QUOTE:
      return text.slice(1, -1);
    case 116:
      return true;
    case 102:
      return false;
    case 110:
      return null;
    default:
      return jsonNumber(text);
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Lines since the last template was learnt before a line with other keys may replace it: a log that mixes key orders costs one regular expression per this many lines, not one per line. */
const RELEARN_AFTER = 1024;

export class FlatObjectReader {
  private template: RegExp | undefined;
  /** Capture group of each name in the template; 0 when the template has no such key. */
  private readonly group: Int32Array;
  private sinceLearnt = RELEARN_AFTER;

  /** `names` must not be Object.prototype properties (see flatReadable). */
  constructor(private readonly names: readonly string[]) {
    this.group = new Int32Array(names.length);
  }

  /**
   * Reads the values of the names into `values` (same order; `undefined` for a key the
   * object lacks), as JSON.parse(line)[name] would give them. Returns false, with
   * `values` untouched, when the line is not an object of the template's shape.
   */
  read(line: string, values: unknown[]): boolean {
    this.sinceLearnt++;
    let m = this.template?.exec(line) ?? null;
    if (m === null) {
      if (this.sinceLearnt < RELEARN_AFTER || !this.learn(line)) return false;
      m = this.template!.exec(line)!;
    }
    const group = this.group;
    for (let k = 0; k < group.length; k++) values[k] = group[k] === 0 ? undefined : valueOf(m[group[k]!]!);
    return true;
  }

  /** Makes the template from a line's keys, in order; false when the line is not a flat object without escapes. */
  private learn(line: string): boolean {
    if (!FLAT_OBJECT.test(line)) return false;
    const keys: string[] = [];
    let i = line.indexOf('{') + 1;
    if (!/^[ \t\n\r]*\}/.test(line.slice(i))) {
      for (;;) {
        NEXT_MEMBER.lastIndex = i;
        const member = NEXT_MEMBER.exec(line)!;
        keys.push(member[1]!);
        i = NEXT_MEMBER.lastIndex;
        if (member[2] === '}') break;
      }
    }
    this.group.fill(0);
    let groups = 0;
    const members = keys.map((key, at) => {
      const k = this.names.indexOf(key);
      // JSON.parse keeps the last of repeated keys: only the last occurrence is captured.
      if (k < 0 || keys.indexOf(key, at + 1) >= 0) return `"${escapeRegExp(key)}"${WS}:${WS}${VALUE}${WS}`;
      this.group[k] = ++groups;
      return `"${escapeRegExp(key)}"${WS}:${WS}(${VALUE})${WS}`;
    });
    this.template = new RegExp(`^${WS}\\{${WS}${members.join(`,${WS}`)}\\}${WS}$`);
    this.sinceLearnt = 0;
    return true;
  }
}

/** Whether FlatObjectReader can look `name` up: not a property every object inherits (an absent `constructor` would read the inherited one from a parsed object). */
export function flatReadable(name: string): boolean {
  return !(name in Object.prototype);
}
