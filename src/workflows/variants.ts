/**
 * Derived scenarios: the same traffic through another algorithm, scaled traffic, a fleet
 * of another size, a backend taken down. Each returns a new Scenario and leaves the
 * original alone; the traffic's randomness is untouched, so a variant run with the same
 * seed sees the same arrivals (scaled traffic thins the same Poisson streams differently,
 * which is the nature of a different rate).
 */
import type { BackendSpec } from '../engine/backends.ts';
import { LbsimError } from '../errors.ts';
import type { Scenario } from '../scenario/load.ts';
import { BlockRate, rateAt } from '../traffic/rate-profile.ts';

export function withAlgorithm(s: Scenario, algorithm: string): Scenario {
  return { ...s, balancer: { algorithm, options: algorithm === s.balancer.algorithm ? s.balancer.options : {} } };
}

/**
 * The scenario with balancer option `key` set to `value`, or removed (the algorithm's
 * default) when `value` is undefined.
 */
export function withOption(s: Scenario, key: string, value: unknown): Scenario {
  const options = { ...s.balancer.options };
  if (value === undefined) delete options[key];
  else options[key] = value;
  return { ...s, balancer: { ...s.balancer, options } };
}

/**
 * `KEY=V1,V2,...` (compare's --set): the option and its values, each a number, true or
 * false, `default` (the option left out) or else a string.
 */
export function parseOptionValues(spec: string): { key: string; values: unknown[] } {
  const m = /^([A-Za-z_][\w.-]*)=(.+)$/.exec(spec.trim());
  if (m === null) throw new LbsimError('USAGE', `--set ${spec}: expected KEY=V1,V2,... such as hash_balance_factor=default,125,150`);
  const values = m[2]!
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '')
    .map((v) => (v === 'default' ? undefined : v === 'true' ? true : v === 'false' ? false : /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v));
  if (values.length === 0) throw new LbsimError('USAGE', `--set ${spec}: expected at least one value after '='`);
  return { key: m[1]!, values };
}

/** Peak arrival rate of the scenario's synthetic traffic, per second; undefined for recorded traffic. */
export function peakRate(s: Scenario): number | undefined {
  const t = s.traffic as { kind: string; rate?: unknown };
  if (t.kind !== 'synthetic') return undefined;
  const r = t.rate as number | { at: number; rate: number }[];
  return typeof r === 'number' ? r : Math.max(...r.map((p) => p.rate));
}

/** Time-averaged arrival rate over [0, duration), per second; undefined for recorded traffic. */
export function meanRate(s: Scenario): number | undefined {
  const t = s.traffic as { kind: string; rate?: unknown };
  if (t.kind !== 'synthetic') return undefined;
  const r = t.rate as number | { at: number; rate: number }[];
  if (typeof r === 'number') return r;
  const profile = [...r].sort((a, b) => a.at - b.at);
  if (!(s.durationMs > 0)) return rateAt(profile, 0);
  // The exact integral of the piecewise-linear rate over the run, per second of it.
  const integral = new BlockRate(profile);
  integral.set(0, s.durationMs);
  return (integral.total / s.durationMs) * 1000;
}

/** Every arrival rate multiplied by `factor` (synthetic traffic only). */
export function scaleTraffic(s: Scenario, factor: number): Scenario {
  if (factor === 1) return s;
  const t = s.traffic as Scenario['traffic'] & { kind: string };
  if (t.kind !== 'synthetic') throw new LbsimError('USAGE', `${s.file ?? s.name}: scaling traffic needs synthetic traffic (recorded traffic has fixed arrivals)`);
  const rate = typeof t.rate === 'number' ? t.rate * factor : t.rate.map((p) => ({ at: p.at, rate: p.rate * factor }));
  return { ...s, traffic: { ...t, rate } };
}

/** The scenario without backend `index` (a backend down for the whole run: no balancer can pick it). */
export function withoutBackend(s: Scenario, index: number): Scenario {
  if (s.backends.length < 2) throw new LbsimError('USAGE', `${s.file ?? s.name}: cannot take the only backend down`);
  return { ...s, backends: s.backends.filter((_, i) => i !== index) };
}

/** Configured alike, in the same role and place: a backup, a lower Envoy priority level or another locality is not in the group, whatever its size. */
const sameShape = (a: BackendSpec, b: BackendSpec) =>
  a.weight === b.weight && a.concurrency === b.concurrency && a.queue === b.queue && a.speed === b.speed && (a.backup ?? false) === (b.backup ?? false) && (a.priority ?? 0) === (b.priority ?? 0) && (a.locality ?? '') === (b.locality ?? '');

/**
 * The part of a fleet that capacity planning resizes: the template backend and every
 * backend configured like it (weight, slots, queue, speed, backup or not, priority level,
 * locality).
 * The rest stays as it is.
 */
export interface Fleet {
  template: BackendSpec;
  /** Base name for generated members: `api` for `api-3`. */
  base: string;
  /** Indices of the group's members in the scenario. */
  members: number[];
  /** The other backends, kept fixed. */
  fixed: BackendSpec[];
}

export function fleetOf(s: Scenario, templateName?: string): Fleet {
  const t = templateName === undefined ? 0 : s.backends.findIndex((b) => b.name === templateName);
  if (t < 0) throw new LbsimError('USAGE', `--backend: no backend named '${templateName}'; expected one of ${s.backends.map((b) => b.name).join(', ')}`);
  const template = s.backends[t]!;
  const members: number[] = [];
  const fixed: BackendSpec[] = [];
  s.backends.forEach((b, i) => (sameShape(b, template) ? members.push(i) : fixed.push(b)));
  return { template, base: template.name.replace(/-\d+$/, ''), members, fixed };
}

/** The scenario with the fleet's group resized to `n` backends (outages dropped: a plan is for healthy machines). */
export function withFleetSize(s: Scenario, fleet: Fleet, n: number): Scenario {
  const taken = new Set(fleet.fixed.map((b) => b.name));
  const group: BackendSpec[] = [];
  for (let k = 1; group.length < n; k++) {
    const name = `${fleet.base}-${k}`;
    if (!taken.has(name)) group.push({ ...fleet.template, name, outages: [] });
  }
  return { ...s, backends: [...group, ...fleet.fixed] };
}

/** The scenario with the template group's backends given `slots` concurrency each. */
export function withSlots(s: Scenario, fleet: Fleet, slots: number): Scenario {
  const members = new Set(fleet.members);
  return { ...s, backends: s.backends.map((b, i) => (members.has(i) ? { ...b, concurrency: slots } : b)) };
}
