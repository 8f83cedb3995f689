/**
 * Property tests of the scenario units (src/scenario/units.ts): durations and rates in
 * every documented form parse to the right number, anything else is NaN (the schema turns
 * NaN into a FILE:LINE: field message), and formatted durations read back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCount, formatDuration, parseDuration, parseRate } from '../../src/scenario/units.ts';

const DURATION_MS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const RATE_PER_S: Record<string, number> = { s: 1, sec: 1, m: 1 / 60, min: 1 / 60, h: 1 / 3600 };

/** Non-negative decimals as a user writes them: 0, 7, 250, 1.5, 0.25 (up to 3 decimals). */
const decimal = fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 999 }), fc.boolean()).map(([int, frac, withFrac]) => ({
  text: withFrac ? `${int}.${String(frac).padStart(3, '0')}` : String(int),
  value: withFrac ? int + frac / 1000 : int,
}));
const space = fc.constantFrom('', ' ', '  ');

/** Equal up to floating-point rounding of the unit conversion. */
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

describe('parseDuration', () => {
  it('NUMBER UNIT (optionally spaced) is NUMBER × the unit, in ms', () => {
    fc.assert(
      fc.property(decimal, fc.constantFrom(...Object.keys(DURATION_MS)), space, space, (n, unit, a, b) => {
        expect(close(parseDuration(`${a}${n.text}${b}${unit}${a}`), n.value * DURATION_MS[unit]!)).toBe(true);
      }),
    );
  });

  it('a plain number (or numeric string) is milliseconds', () => {
    fc.assert(
      fc.property(decimal, (n) => {
        expect(parseDuration(n.text)).toBe(Number(n.text));
        expect(parseDuration(n.value)).toBe(n.value);
      }),
    );
  });

  it('compound forms add up: 1h30m, 2m15s, 1h2m3s500ms', () => {
    fc.assert(
      fc.property(fc.nat(48), fc.nat(59), fc.nat(59), fc.nat(999), (h, m, s, ms) => {
        expect(parseDuration(`${h}h${m}m${s}s${ms}ms`)).toBe(h * 3_600_000 + m * 60_000 + s * 1000 + ms);
        expect(parseDuration(`${h}h${m}m`)).toBe(h * 3_600_000 + m * 60_000);
      }),
    );
    expect(parseDuration('1h30m')).toBe(5_400_000);
  });

  it('anything else is NaN: negative, unknown unit, trailing junk, empty, non-finite, other types', () => {
    fc.assert(
      fc.property(decimal, fc.constantFrom('-', '+', 'x', 'sec', 'hours', 'ms ms', 's5', '/s', 'e'), (n, junk) => {
        const bad = junk === '-' || junk === '+' ? `${junk}${n.text}s` : `${n.text}${junk}`;
        expect(parseDuration(bad), bad).toBeNaN();
      }),
    );
    for (const bad of ['', '   ', 'ten seconds', 's', '1.2.3s', 'NaN', Infinity, Number.NaN, null, undefined, true, {}, []]) {
      expect(parseDuration(bad), String(bad)).toBeNaN();
    }
  });

  it('reads back what formatDuration writes, to its printed resolution', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 40 * 3_600_000, noNaN: true }), (ms) => {
        const text = formatDuration(ms);
        // Printed resolution: 0.01 ms below 10 ms, 0.1 ms below 1 s, 10 ms below 1 m, 1 s below 1 h, 1 m above.
        const step = ms < 10 ? 0.01 : ms < 1000 ? 0.1 : ms < 60_000 ? 10 : ms < 3_600_000 ? 1000 : 60_000;
        expect(Math.abs(parseDuration(text) - ms), text).toBeLessThanOrEqual(step / 2 + 1e-9 * ms);
      }),
    );
  });
  it('never carries a rounded-up 60 into the lower unit (167h60m, 1m60s, 60.00s, 1000.0ms)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 400 * 3_600_000, noNaN: true }), (ms) => {
        const text = formatDuration(ms);
        // Zero alone prints as 0s (a run's or window's start).
        expect(text, String(ms)).toMatch(/^(0s|\d\.\d\dms|\d{2,3}\.\dms|\d{1,2}\.\d\ds|\d{1,2}m[0-5]\ds|\d+h[0-5]\dm)$/);
      }),
    );
    // A week trace's span (604,782 s) printed as 167h60m before the fix.
    expect(formatDuration(604_782_000)).toBe('168h00m');
    expect(formatDuration(119_700)).toBe('2m00s');
    expect(formatDuration(59_999)).toBe('1m00s');
    expect(formatDuration(999.99)).toBe('1.00s');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(0.001)).toBe('0.00ms');
  });
});

describe('parseRate', () => {
  it('NUMBER/UNIT (optionally spaced) is requests per second', () => {
    fc.assert(
      fc.property(decimal, fc.constantFrom(...Object.keys(RATE_PER_S)), space, space, (n, unit, a, b) => {
        expect(close(parseRate(`${a}${n.text}${b}/${b}${unit}${a}`), n.value * RATE_PER_S[unit]!)).toBe(true);
      }),
    );
  });

  it('a plain number is per second, also in exponent form', () => {
    fc.assert(
      fc.property(decimal, fc.nat(9), (n, e) => {
        expect(parseRate(n.text)).toBe(Number(n.text));
        expect(parseRate(`${n.text}e${e}`)).toBe(Number(`${n.text}e${e}`));
      }),
    );
  });

  it('NUMBER/UNIT in exponent form (the README writes 1e6/h)', () => {
    fc.assert(
      fc.property(decimal, fc.nat(9), fc.constantFrom(...Object.keys(RATE_PER_S)), (n, e, unit) => {
        expect(close(parseRate(`${n.text}e${e}/${unit}`), Number(`${n.text}e${e}`) * RATE_PER_S[unit]!)).toBe(true);
      }),
    );
  });

  it('the README forms: 900/s, 54000/m, 1e6/h', () => {
    expect(parseRate('900/s')).toBe(900);
    expect(parseRate('54000/m')).toBe(900);
    expect(parseRate('1e6/h')).toBeCloseTo(1e6 / 3600, 9);
  });

  it('anything else is NaN: negative, unknown unit, a duration, junk, other types', () => {
    fc.assert(
      fc.property(decimal, fc.constantFrom('/d', '/ms', 's', '/', '/s/s', 'rps', '/week'), (n, junk) => {
        expect(parseRate(`${n.text}${junk}`), `${n.text}${junk}`).toBeNaN();
        expect(parseRate(`-${n.text}/s`)).toBeNaN();
      }),
    );
    for (const bad of ['', 'fast', '/s', 'NaN/s', Infinity, Number.NaN, null, undefined, {}, []]) expect(parseRate(bad), String(bad)).toBeNaN();
  });
});

describe('formatCount', () => {
  it("groups an integer's thousands as toLocaleString('en-US') does", () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
      }),
    );
    for (const n of [0, 7, 999, 1000, -1000, 20_000_947, 123_456_789_012]) expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
  });

  it('rounds a fraction to an integer', () => {
    expect(formatCount(1234.5)).toBe('1,235');
    expect(formatCount(999.4)).toBe('999');
  });
});
