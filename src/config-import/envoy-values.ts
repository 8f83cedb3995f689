/**
 * Reading Envoy's protobuf JSON/YAML values: objects, wrapper types (`{ value: x }`),
 * Durations; and the warning callback every Envoy import reader takes. Shared by the
 * cluster importer (envoy.ts), its balancing policy (envoy-policy.ts) and its hashing
 * (envoy-hashing.ts).
 */
export type Obj = Record<string, unknown>;

/** A warning about the cluster's field at `path` (e.g. `common_lb_config.healthy_panic_threshold`). */
export type Warn = (path: string, what: string) => void;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A protobuf wrapper (`{ value: x }`) or a plain value. */
export const unwrap = (v: unknown): unknown => (isObj(v) && 'value' in v ? v.value : v);

export const UINT32_MAX = 4_294_967_295;

/** A protobuf Duration as YAML writes it ("0.25s", "10s"), in ms. */
export function durationMs(v: unknown): number | undefined {
  if (typeof v === 'number') return v * 1000;
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(v.trim()) : null;
  return m ? Number(m[1]) * 1000 : undefined;
}
