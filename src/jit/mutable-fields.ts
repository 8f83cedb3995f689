/**
 * Fields that V8 must not take for constants.
 *
 * V8 tracks "const" fields: a field that has held one value since its object was made
 * may be read as a constant by optimized code, which then depends on it. The first store
 * of another value makes the field mutable for every object of that shape and throws
 * away all code that depended on it, with every function it was inlined into; each is
 * compiled again later. The engine has fields that its hot loop reads on every event and
 * only a rare path writes: the recorder's row at an interval boundary, a column's array
 * when it grows, the trace reader's columns at its next chunk, a window's pause at a
 * checkpoint. Each first write came a few thousand events into a run, after the loop was
 * optimized, and threw away `arrive()`, `complete()` and the rest in one go (RESULTS.md,
 * 2026-11-26 12:33, from `--trace-generalization`). A second store in the constructor,
 * before any of it is optimized, leaves nothing to throw away.
 */

/**
 * Stores another value in each of `fields` of `o` and puts the first one back, so the
 * fields are ordinary (mutable) fields for every object of its class from then on. The
 * value in between keeps the field's representation (a small integer or a double for a
 * number, another string for a string, an empty array of the same type for a typed
 * array), so that V8 does not widen the field's type for it. Call at the end of the
 * constructor. Throws for a field the object lacks or a value of another kind: a mistake
 * in the caller's list.
 */
export function markMutable(o: object, fields: readonly string[]): void {
  const r = o as Record<string, unknown>;
  for (const f of fields) {
    if (!Object.hasOwn(r, f)) throw new Error(`markMutable: ${o.constructor.name} has no field ${f}`);
    const v = r[f];
    r[f] = another(v, f, o);
    r[f] = v;
  }
}

function another(v: unknown, f: string, o: object): unknown {
  if (typeof v === 'number') return v === 0 ? 1 : 0;
  if (typeof v === 'boolean') return !v;
  if (typeof v === 'string') return `${v} `;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return new (v.constructor as new (length: number) => unknown)(0);
  throw new Error(`markMutable: ${o.constructor.name}.${f} is not a number, a boolean, a string or a typed array`);
}
