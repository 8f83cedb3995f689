/**
 * Reading an algorithm's options from the scenario's `balancer` section. Every option is
 * checked here, and a wrong or unknown one is an LbsimError naming `balancer.<option>`,
 * so a typo (`choise_count`) never silently falls back to a default.
 *
 * Precondition: `options` is the balancer section without `algorithm` (and without the
 * keys the instances wrapper consumes: `instances`, `instance_by`).
 */
import { LbsimError } from '../errors.ts';
import type { BackendView } from './types.ts';

type Options = Readonly<Record<string, unknown>>;

function bad(algorithm: string, option: string, expected: string, got: unknown): never {
  throw new LbsimError('SCENARIO_INVALID', `balancer.${option}: ${algorithm} expects ${expected}, got ${JSON.stringify(got)}`);
}

/** Fails on any option not in `known`. */
export function rejectUnknownOptions(algorithm: string, options: Options, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new LbsimError(
        'SCENARIO_INVALID',
        `balancer.${key}: unknown option for ${algorithm}; ${known.length === 0 ? 'it takes no options' : `expected ${known.join(', ')}`}`,
      );
    }
  }
}

export function intOption(algorithm: string, options: Options, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = options[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    bad(algorithm, name, `a whole number ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`}`, v);
  }
  return v;
}

export function numberOption(algorithm: string, options: Options, name: string, fallback: number, min: number, max = Number.POSITIVE_INFINITY): number {
  const v = options[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    bad(algorithm, name, `a number ${max === Number.POSITIVE_INFINITY ? `>= ${min}` : `in ${min}..${max}`}`, v);
  }
  return v;
}

/** A duration in ms: a number, or a string such as `10s`, `250ms`, `1m`. */
export function durationOption(algorithm: string, options: Options, name: string, fallback: number): number {
  const v = options[name];
  if (v === undefined) return fallback;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|m|h)?\s*$/.exec(v);
    if (m) return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms'];
  }
  return bad(algorithm, name, 'a duration such as 250ms or 10s', v);
}

export function enumOption<T extends string>(algorithm: string, options: Options, name: string, fallback: T, allowed: readonly T[]): T {
  const v = options[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !allowed.includes(v as T)) bad(algorithm, name, `one of ${allowed.join(', ')}`, v);
  return v as T;
}

export function booleanOption(algorithm: string, options: Options, name: string, fallback: boolean): boolean {
  const v = options[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') bad(algorithm, name, 'true or false', v);
  return v;
}

/**
 * Backend names listed in an option (e.g. `backup: [db-3]`) as a 0/1 flag per backend.
 * Every name must be a backend of the scenario.
 */
export function backendSetOption(algorithm: string, options: Options, name: string, view: BackendView): Uint8Array {
  const flags = new Uint8Array(view.count);
  const v = options[name];
  if (v === undefined) return flags;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) bad(algorithm, name, 'a list of backend names', v);
  for (const n of v as string[]) {
    const b = view.names.indexOf(n);
    if (b < 0) bad(algorithm, name, `names of backends (${view.names.join(', ')})`, n);
    flags[b] = 1;
  }
  return flags;
}

/**
 * Whole weights in [min, max], as the proxy's configuration accepts them. A fractional
 * weight, or one the proxy would refuse, is an error naming the backend.
 */
export function wholeWeights(algorithm: string, view: BackendView, min: number, max: number): Int32Array {
  const out = new Int32Array(view.count);
  for (let b = 0; b < view.count; b++) {
    const w = view.weight[b]!;
    if (!Number.isInteger(w) || w < min || w > max) {
      throw new LbsimError('SCENARIO_INVALID', `backends.${view.names[b]}.weight: ${algorithm} takes whole weights ${min}..${max} (the proxy's range), got ${w}`);
    }
    out[b] = w;
  }
  return out;
}
