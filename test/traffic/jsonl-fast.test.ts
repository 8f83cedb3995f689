/**
 * The JSON-lines fast path (json-flat.ts) must read exactly what JSON.parse reads, and the
 * JSONL reader must give the same requests and the same error messages with it as
 * without it, whatever the line: escaped quotes and unicode escapes (in keys and values),
 * nested objects holding the same key names, whitespace, numbers in every JSON form,
 * repeated keys (JSON.parse keeps the last), malformed lines.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlatObjectReader, flatReadable, jsonNumber } from '../../src/traffic/readers/json-flat.ts';
import { jsonlParser } from '../../src/traffic/readers/jsonl.ts';
import { emptyRequest, type ParsedRequest } from '../../src/traffic/readers/types.ts';

const NAMES = ['timestamp', 'duration', 'client', 'route', 'status'];

/** JSON whitespace as a log writer might put it (no LF: a line never holds one). */
const ws = fc.constantFrom('', '', '', ' ', '  ', '\t', '\r', ' \t');
/** A key as written in the line: a wanted name, another one, or the same spelled with escapes. */
const keyText = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NAMES, 'x', 'Timestamp', 'time', '__proto__', 'constructor', 'é', '').map((k) => JSON.stringify(k)) },
  { weight: 1, arbitrary: fc.constantFrom('"time\\u0073tamp"', '"dura\\"tion"', '"client\\\\"', '"st\\u0061tus"', '"rou\\/te"') },
);
/** Number text in every JSON form, and a few that are not JSON numbers. */
const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
const numberText = fc.oneof(
  fc.integer({ min: -1000, max: 100_000 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.tuple(fc.integer({ min: 0, max: 2_000_000_000 }), digits(1, 9)).map(([i, f]) => `${i}.${f}`),
  fc.tuple(fc.constantFrom('', '-'), digits(1, 20), fc.option(digits(1, 12), { nil: undefined })).map(([s, i, f]) => `${s}${i.replace(/^0+(?=.)/, '')}${f === undefined ? '' : `.${f}`}`),
  fc.tuple(fc.constantFrom('1', '-2.5', '0', '17', '1.7131392e9'), fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.integer({ min: 0, max: 400 })).map(([m, e, s, x]) => `${m}${e}${s}${x}`),
  fc.constantFrom('-0', '0.0', '-0.0', '1e400', '1713139200.0000048', '9007199254740993', '0.1', '123456789012345678901234567890'),
  fc.constantFrom('01', '1.', '.5', '+1', '-', '1e', '0x10', 'NaN', 'Infinity', '1_000'),
);
/** A string value as written: plain, non-ASCII, or with escapes (quotes, unicode, control characters). */
const stringText = fc.oneof(
  fc.stringMatching(/^[a-zA-Z0-9 ._:\/-]{0,16}$/).map((s) => `"${s}"`),
  fc.string({ unit: 'grapheme', maxLength: 8 }).map((s) => JSON.stringify(s)),
  fc.string({ unit: 'binary', maxLength: 8 }).map((s) => JSON.stringify(s)),
  fc.constantFrom('"a\\"b"', '"\\u00e9t\\u00e9"', '"/x\\/y"', '"tab\there"', '"nl\\n"', '"\\ud83d\\ude00"', '"2024-04-15T10:00:00.123456Z"'),
);
/** Anything: also nested objects and arrays that hold the wanted key names. */
const nested = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  fc.constantFrom('{"timestamp":1,"duration":2}', '[{"status":500}]', '{}', '[]', '{"client":{"route":"/x"}}'),
);
const valueText = fc.oneof({ weight: 5, arbitrary: numberText }, { weight: 4, arbitrary: stringText }, { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null') }, { weight: 1, arbitrary: nested });

const member = fc.tuple(ws, keyText, ws, ws, valueText, ws).map(([a, k, b, c, v, d]) => `${a}${k}${b}:${c}${v}${d}`);
const objectLine = fc.tuple(ws, fc.array(member, { maxLength: 7 }), ws).map(([a, ms, b]) => `${a}{${ms.join(',')}}${b}`);
/** Broken lines: a valid one cut short, or with a character inserted or dropped. */
const brokenLine = fc.tuple(objectLine, fc.nat(), fc.constantFrom('', '"', ',', '}', '{', ':', 'x', '\\', '\u0001')).map(([l, at, c]) => {
  const i = at % (l.length + 1);
  return c === '' ? l.slice(0, i) : `${l.slice(0, i)}${c}${l.slice(i + 1)}`;
});
const anyLine = fc.oneof({ weight: 4, arbitrary: objectLine }, { weight: 1, arbitrary: brokenLine }, { weight: 1, arbitrary: fc.constantFrom('', '   ', '[1]', 'null', '"x"', '{"timestamp":1}{"a":1}') });

/** Simple lines the fast path must take: wanted keys in any order, plain values, no escapes. */
const simpleValue = fc.oneof(numberText.filter((t) => /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(t)), fc.stringMatching(/^[a-zA-Z0-9 ._:\/-]{0,16}$/).map((s) => `"${s}"`), fc.constantFrom('true', 'false', 'null'));
const simpleLineOf = (keys: string[]) =>
  fc.tuple(fc.array(simpleValue, { minLength: keys.length, maxLength: keys.length }), ws).map(([values, w]) => `{${keys.map((k, i) => `${w}"${k}"${w}:${w}${values[i]}`).join(',')}}`);
const keyOrder = fc.shuffledSubarray([...NAMES, 'x', 'backend'], { minLength: 0 });
const simpleLine = keyOrder.chain(simpleLineOf);
/** A log: most lines share one key order (as a real log's do, so the fast path's template fits them), the others anything. */
const logLines = fc
  .tuple(keyOrder, fc.array(fc.nat(), { minLength: 1, maxLength: 30 }))
  .chain(([order, picks]) => fc.tuple(...picks.map((p) => (p % 3 === 0 ? anyLine : p % 3 === 1 ? simpleLine : simpleLineOf(order)))));

/** What JSON.parse gives for each name, or undefined when the line is not a JSON object. */
function parsedValues(line: string): unknown[] | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined; // not JSON: the fast path must decline it (checked by the caller)
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  return NAMES.map((n) => (Object.hasOwn(v as object, n) ? (v as Record<string, unknown>)[n] : undefined));
}

/** A reader that learns its template from `line` itself, so every line's own key order is tried. */
function readFresh(line: string): unknown[] | undefined {
  const values: unknown[] = [];
  return new FlatObjectReader(NAMES).read(line, values) ? values : undefined;
}

describe('JSON lines fast path ≡ JSON.parse', () => {
  it('reads exactly the values JSON.parse gives, and declines every line JSON.parse rejects or that is not a flat object', () => {
    let taken = 0;
    fc.assert(
      fc.property(anyLine, (line) => {
        const fast = readFresh(line);
        const want = parsedValues(line);
        if (fast === undefined) return;
        taken++;
        expect(want).toBeDefined();
        // Object.is: -0 stays -0, as JSON.parse keeps it.
        fast.forEach((v, i) => expect(Object.is(v, want![i]), `${NAMES[i]} of ${line}: ${String(v)} vs ${String(want![i])}`).toBe(true));
      }),
      { numRuns: 3000, seed: 7 },
    );
    // The fast path must actually have been exercised by the adversarial generator too.
    expect(taken).toBeGreaterThan(300);
  });

  it('takes every simple line (flat object, no escapes), in any key order, and reads it right', () => {
    fc.assert(
      fc.property(simpleLine, (line) => {
        const fast = readFresh(line);
        expect(fast, line).toBeDefined();
        const want = parsedValues(line)!;
        fast!.forEach((v, i) => expect(Object.is(v, want[i]), `${NAMES[i]} of ${line}`).toBe(true));
      }),
      { numRuns: 2000, seed: 11 },
    );
  });

  it('numbers: the exact double JSON.parse gives, for every JSON number form', () => {
    const valid = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
    fc.assert(
      fc.property(numberText.filter((t) => valid.test(t)), (t) => {
        expect(Object.is(jsonNumber(t), JSON.parse(t)), t).toBe(true);
      }),
      { numRuns: 5000, seed: 3 },
    );
    for (const t of ['0.1', '0.3', '1713139200.000005', '9007199254740991', '9007199254740993', '-0', '2.2250738585072014e-308', '1.0000000000000002', '4.35', '0.000001']) {
      expect(Object.is(jsonNumber(t), JSON.parse(t)), t).toBe(true);
    }
  });

  it('a repeated key: the last value wins, as in JSON.parse', () => {
    expect(readFresh('{"status":200,"status":503}')).toEqual([undefined, undefined, undefined, undefined, 503]);
    expect(readFresh('{"route":"/a","x":1,"route":"/b"}')![3]).toBe('/b');
  });

  it('declines escapes, nesting and keys spelled with escapes', () => {
    for (const line of ['{"route":"/a\\"b"}', '{"time\\u0073tamp":1}', '{"client":{"route":"/x"}}', '{"route":["/x"]}', '{"route":"tab\there"}', '{"status":01}', '{"a":1,}', '{"a":1} x']) {
      expect(readFresh(line), line).toBeUndefined();
    }
  });

  it('names every object inherits are left to JSON.parse', () => {
    expect(flatReadable('timestamp')).toBe(true);
    for (const n of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) expect(flatReadable(n)).toBe(false);
  });
});

/** Every line through a JSONL reader: its result and the request it filled. */
function readAll(lines: string[], fastPath: boolean): Array<string | ParsedRequest | undefined> {
  const parse = jsonlParser({}, fastPath);
  const out = emptyRequest();
  return lines.map((line) => {
    const msg = parse(line, out);
    return msg === undefined ? { ...out } : msg;
  });
}

const HEADER = '{"timestamp":1713139200.5,"duration":12.5,"client":"10.0.0.1","route":"/a","status":200}';

describe('JSON lines reader: the same requests and errors with and without the fast path', () => {
  it('generated logs of adversarial lines', () => {
    // Counts the lines a reader with the same (first) template takes, to show the fast path was exercised.
    let fastLines = 0;
    let fastReader = new FlatObjectReader(NAMES);
    fc.assert(
      fc.property(logLines, (lines) => {
        const doc = [HEADER, ...lines];
        fastLines += lines.filter((l) => fastReader.read(l, [])).length;
        const fast = readAll(doc, true);
        const slow = readAll(doc, false);
        // toEqual treats NaN as equal to NaN (work unknown) and compares messages exactly.
        expect(fast).toEqual(slow);
        fastReader = new FlatObjectReader(NAMES);
      }),
      { numRuns: 600, seed: 5 },
    );
    expect(fastLines).toBeGreaterThan(800);
  });

  it('a log of simple lines goes through the fast path and gives the JSON.parse requests', () => {
    const lines = [HEADER, '{"timestamp":1713139201.25,"duration":-1,"client":"10.0.0.2","route":"/b?x=1","status":503}', '{"timestamp":"2024-04-15T00:00:02.5Z","duration":"7","client":"c","route":"/c","status":"200"}'];
    expect(readAll(lines, true)).toEqual(readAll(lines, false));
    // And the fast reader accepts these lines (so the comparison above covered it).
    const reader = new FlatObjectReader(NAMES);
    for (const l of lines) expect(reader.read(l, [])).toBe(true);
  });

  it('malformed lines: the message is JSON.parse’s, as before', () => {
    const parse = jsonlParser({}, true);
    const out = emptyRequest();
    parse(HEADER, out);
    expect(parse('{"timestamp":1713139201,"duration":3', out)).toMatch(/^not valid JSON: /);
    expect(parse('{"timestamp":1713139201,"duration":3', out)).toBe(jsonlParser({}, false)('{"timestamp":1713139201,"duration":3', out));
    expect(parse('[1,2]', out)).toBe('expected a JSON object');
    expect(parse('{"timestamp":"yesterday","duration":3}', out)).toBe('timestamp: expected an ISO-8601 time or epoch seconds/ms, got "yesterday"');
  });
});
