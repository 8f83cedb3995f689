/**
 * Resolves the scenario's server-health knobs (schema.ts) into the engine's terms
 * (BackendSpec.backup / check / passive / slowStart and a ServerSetSpec). Precedence, per
 * backend: its own field, then the balancer section's, then what a proxy config import
 * said (balancer.from), then nothing (the balancer learns outages at once).
 *
 *   balancer.health_check: { interval, rise, fall }   active checks (HAProxy check, Envoy health_checks)
 *   balancer.max_fails / fail_timeout                   nginx passive checks
 *   balancer.outlier_detection: { ... }                 Envoy outlier detection
 *   balancer.slowstart: 60s                             HAProxy slow start
 *   balancer.slow_start_config: { slow_start_window }   Envoy slow start
 *   balancer.allbackups / backup: [names]               backups (or a backend's backup: true)
 *   a backend's priority: N, locality: NAME             Envoy priority levels and localities (or an Envoy endpoint's)
 */
import type { BackendSpec } from '../engine/backends.ts';
import {
  ENVOY_SLOW_START_DEFAULTS,
  type OutlierSpec,
  PASSIVE_CHECK_DEFAULTS,
  type ServerSetSpec,
  type SlowStartSpec,
} from '../engine/server-health.ts';
import { LbsimError } from '../errors.ts';
import type { ScenarioParsed } from './schema.ts';

type Section = ScenarioParsed['balancer'];
/** A backend's own knobs (its scenario entry). */
export type OwnKnobs = Partial<Pick<ScenarioParsed['backends'][number], 'backup' | 'priority' | 'locality' | 'health_check' | 'max_fails' | 'fail_timeout' | 'slowstart'>>;
type Knobs = Pick<Section, 'health_check' | 'max_fails' | 'fail_timeout' | 'slowstart' | 'outlier_detection' | 'slow_start_config' | 'allbackups' | 'backup'>;

export const SERVER_KNOB_KEYS = ['health_check', 'max_fails', 'fail_timeout', 'slowstart', 'outlier_detection', 'slow_start_config', 'allbackups', 'backup'] as const;

/** Splits the balancer section into the server knobs and the rest (algorithm, from, its options). */
export function takeServerKnobs(section: Section): { knobs: Knobs; rest: Record<string, unknown> } {
  const rest: Record<string, unknown> = { ...section };
  const knobs: Record<string, unknown> = {};
  for (const k of SERVER_KNOB_KEYS) {
    if (rest[k] !== undefined) knobs[k] = rest[k];
    delete rest[k];
  }
  return { knobs: knobs as Knobs, rest };
}

/** What a proxy config said about the servers' health (config-import), by backend name. */
export interface ImportedKnobs {
  servers: Map<string, Pick<BackendSpec, 'backup' | 'priority' | 'locality' | 'check' | 'passive' | 'slowStart'>>;
  allBackups?: boolean;
  outlier?: OutlierSpec;
}

/**
 * Sets each backend's health fields (mutates `backends`; `own[i]` is backend i's own
 * knobs) and returns the balancer-wide part.
 */
export function applyServerKnobs(backends: BackendSpec[], own: readonly OwnKnobs[], knobs: Knobs, imported: ImportedKnobs | undefined, file: string): ServerSetSpec {
  const names = new Set(backends.map((b) => b.name));
  for (const name of knobs.backup ?? []) {
    if (!names.has(name)) throw new LbsimError('SCENARIO_INVALID', `${file}: balancer.backup: '${name}' is not a backend; expected one of ${[...names].join(', ')}`);
  }
  const backupByName = new Set(knobs.backup ?? []);
  backends.forEach((spec, i) => {
    const mine = own[i] ?? {};
    const imp = imported?.servers.get(spec.name);
    const backup = mine.backup ?? (backupByName.has(spec.name) || imp?.backup === true);
    if (backup) spec.backup = true;
    // An Envoy endpoint's priority comes from its locality (config-import/envoy.ts) unless the scenario gives one.
    const priority = mine.priority ?? imp?.priority ?? 0;
    if (priority > 0) {
      if (backup) throw new LbsimError('SCENARIO_INVALID', `${file}: backends: ${spec.name} is a backup and on priority level ${priority}: a backend is either a backup (HAProxy, nginx) or on an Envoy priority level above 0, not both`);
      spec.priority = priority;
    }
    const locality = mine.locality ?? imp?.locality;
    if (locality !== undefined && locality !== '') spec.locality = locality;
    const hc = mine.health_check ?? knobs.health_check;
    if (hc === false) {
      // explicitly unchecked
    } else if (hc !== undefined) spec.check = { interMs: hc.interval, rise: hc.rise, fall: hc.fall };
    else if (imp?.check !== undefined) spec.check = imp.check;
    const maxFails = mine.max_fails ?? knobs.max_fails;
    const failTimeout = mine.fail_timeout ?? knobs.fail_timeout;
    if (maxFails !== undefined || failTimeout !== undefined) {
      const base = imp?.passive ?? PASSIVE_CHECK_DEFAULTS;
      spec.passive = { maxFails: maxFails ?? base.maxFails, failTimeoutMs: failTimeout ?? base.failTimeoutMs };
    } else if (imp?.passive !== undefined) spec.passive = imp.passive;
    const slow = slowStartOf(mine.slowstart ?? knobs.slowstart, knobs.slow_start_config) ?? imp?.slowStart;
    if (slow !== undefined) spec.slowStart = slow;
  });
  const od = knobs.outlier_detection;
  const outlier: OutlierSpec | null =
    od === undefined
      ? (imported?.outlier ?? null)
      : {
          consecutive5xx: od.consecutive_5xx,
          intervalMs: od.interval,
          baseEjectionMs: od.base_ejection_time,
          maxEjectionMs: od.max_ejection_time,
          maxEjectionPercent: od.max_ejection_percent,
          enforcingConsecutive5xx: od.enforcing_consecutive_5xx,
          alwaysEjectOneHost: od.always_eject_one_host,
          enforcingSuccessRate: od.enforcing_success_rate,
          successRateMinimumHosts: od.success_rate_minimum_hosts,
          successRateRequestVolume: od.success_rate_request_volume,
          successRateStdevFactor: od.success_rate_stdev_factor / 1000,
        };
  return { allBackups: knobs.allbackups ?? imported?.allBackups ?? false, outlier };
}

function slowStartOf(haproxyMs: number | undefined, envoy: Knobs['slow_start_config']): SlowStartSpec | undefined {
  if (haproxyMs !== undefined && haproxyMs > 0) return { proxy: 'haproxy', periodMs: haproxyMs };
  if (envoy !== undefined) {
    return {
      proxy: 'envoy',
      windowMs: envoy.slow_start_window,
      aggression: envoy.aggression ?? ENVOY_SLOW_START_DEFAULTS.aggression,
      minWeightPercent: envoy.min_weight_percent ?? ENVOY_SLOW_START_DEFAULTS.minWeightPercent,
    };
  }
  return undefined;
}
