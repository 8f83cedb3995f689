/**
 * Tasks and results as text for Redis. They are plain data already (they cross worker
 * threads by structured clone); JSON lacks only typed arrays (engine states, interval
 * rows), non-finite numbers (no timeout is Infinity, no event is -Infinity) and -0. They
 * are tagged; typed arrays travel as base64 of their bytes, so every float is the same bit
 * pattern on the other machine (all platforms Node runs on are little-endian).
 */

const TYPED = { Float64Array, Float32Array, Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array } as const;
type TypedName = keyof typeof TYPED;

const NUM = '$lbsim:number';
const TYPED_TAG = '$lbsim:typed';

export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return { [NUM]: Object.is(v, -0) ? '-0' : String(v) };
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const name = v.constructor.name as TypedName;
      if (!(name in TYPED)) throw new Error(`cannot encode a ${name} for the cluster`);
      return { [TYPED_TAG]: name, data: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
    }
    return v;
  });
}

export function decodeJson<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null) return v;
    const o = v as Record<string, unknown>;
    if (typeof o[NUM] === 'string') return Number(o[NUM]);
    if (typeof o[TYPED_TAG] === 'string') {
      const Ctor = TYPED[o[TYPED_TAG] as TypedName];
      const bytes = Buffer.from(o.data as string, 'base64');
      // A copy: the decoded Buffer may sit at an offset a Float64Array cannot start at.
      const out = new Ctor(bytes.byteLength / Ctor.BYTES_PER_ELEMENT);
      new Uint8Array(out.buffer).set(bytes);
      return out;
    }
    return v;
  }) as T;
}
