/**
 * markMutable (src/jit/mutable-fields.ts): what V8 does with the fields cannot be seen from
 * JavaScript (RESULTS.md, 2026-11-26 12:33 has the `--trace-deopt` counts); this checks that
 * the objects come out as they went in, and that a wrong list fails loudly.
 */
import { describe, expect, it } from 'vitest';
import { markMutable } from '../../src/jit/mutable-fields.ts';

class Holder {
  count = 0;
  at = Number.NaN;
  ratio = 0.25;
  open = true;
  tag = 'none';
  column = new Float64Array([1, 2, 3]);
  lane = new Int32Array(2);
  callback = () => 1;
}

describe('markMutable', () => {
  it('leaves every field as it was: numbers (NaN too), booleans, strings, the same typed array', () => {
    const h = new Holder();
    const column = h.column;
    markMutable(h, ['count', 'at', 'ratio', 'open', 'tag', 'column', 'lane']);
    expect(h.count).toBe(0);
    expect(h.at).toBeNaN();
    expect(h.ratio).toBe(0.25);
    expect(h.open).toBe(true);
    expect(h.tag).toBe('none');
    expect(h.column).toBe(column);
    expect([...h.column]).toEqual([1, 2, 3]);
    expect(Object.keys(h)).toEqual(Object.keys(new Holder()));
  });

  it('throws naming the class and the field for a field the object lacks or cannot take', () => {
    expect(() => markMutable(new Holder(), ['count', 'missing'])).toThrow('Holder has no field missing');
    expect(() => markMutable(new Holder(), ['callback'])).toThrow('Holder.callback is not a number, a boolean, a string or a typed array');
  });
});
