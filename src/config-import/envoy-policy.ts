/**
 * An Envoy cluster's balancing policy → an lbsim algorithm and its options, from either of
 * the two ways Envoy 1.28 takes one:
 *
 * - the `lb_policy` enum (ROUND_ROBIN, LEAST_REQUEST, RING_HASH, MAGLEV, RANDOM) with its
 *   `*_lb_config` message (least_request_lb_config, ring_hash_lb_config, maglev_lb_config,
 *   round_robin_lb_config);
 * - the extension API, `load_balancing_policy: { policies: [{ typed_extension_config: {
 *   typed_config: { "@type": ... } } }] }`, where Envoy takes the first policy it has a
 *   factory for (and then ignores lb_policy): the RoundRobin, LeastRequest, Random,
 *   RingHash and Maglev messages of envoy.extensions.load_balancing_policies are modelled,
 *   and WrrLocality (locality-weighted balancing over its endpoint_picking_policy); any
 *   other is passed over with a warning, as lbsim has no model of it.
 *
 * Either way `common_lb_config` adds healthy_panic_threshold, zone_aware_lb_config's
 * fail_traffic_on_panic, locality_weighted_lb_config and consistent_hashing_lb_config.
 */
import { ENVOY_SLOW_START_DEFAULTS } from '../engine/server-health-types.ts';
import { LbsimError } from '../errors.ts';
import { consistentHashingOf } from './envoy-hashing.ts';
import { isObj, type Obj, unwrap, durationMs, type Warn } from './envoy-values.ts';
import type { ImportedBalancer } from './types.ts';

const POLICY: Record<string, string> = {
  ROUND_ROBIN: 'envoy/round_robin',
  LEAST_REQUEST: 'envoy/least_request',
  RING_HASH: 'envoy/ring_hash',
  MAGLEV: 'envoy/maglev',
  RANDOM: 'envoy/random',
};
/**
 * envoy.config.cluster.v3.Cluster.LbPolicy, Envoy 1.28, by number (protobuf's JSON mapping
 * takes an enum's name or number; 4 was ORIGINAL_DST_LB, removed). Any other value fails
 * the config's parse and Envoy refuses to start.
 */
const LB_POLICIES = ['ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'RANDOM', undefined, 'MAGLEV', 'CLUSTER_PROVIDED', 'LOAD_BALANCING_POLICY_CONFIG'];

/** The typed policies lbsim models, by their message name (typed_config's `@type` without its URL prefix). */
const TYPED: Record<string, string> = {
  'envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin': 'envoy/round_robin',
  'envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest': 'envoy/least_request',
  'envoy.extensions.load_balancing_policies.random.v3.Random': 'envoy/random',
  'envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash': 'envoy/ring_hash',
  'envoy.extensions.load_balancing_policies.maglev.v3.Maglev': 'envoy/maglev',
};
const WRR_LOCALITY = 'envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality';

/** The fields each algorithm's config message has (legacy `*_lb_config` and typed), that lbsim reads. */
const FIELDS: Record<string, readonly string[]> = {
  'envoy/round_robin': ['slow_start_config', 'locality_lb_config'],
  'envoy/least_request': ['choice_count', 'active_request_bias', 'slow_start_config', 'locality_lb_config'],
  'envoy/random': ['locality_lb_config'],
  'envoy/ring_hash': ['minimum_ring_size', 'maximum_ring_size', 'hash_function', 'use_hostname_for_hashing', 'hash_balance_factor', 'consistent_hashing_lb_config', 'locality_weighted_lb_config'],
  'envoy/maglev': ['table_size', 'consistent_hashing_lb_config', 'locality_weighted_lb_config'],
};
/** Which algorithm each legacy config message configures (Envoy reads it only for that lb_policy). */
const LEGACY_CONFIG: Record<string, string> = {
  least_request_lb_config: 'envoy/least_request',
  ring_hash_lb_config: 'envoy/ring_hash',
  maglev_lb_config: 'envoy/maglev',
  round_robin_lb_config: 'envoy/round_robin',
};

/** The cluster fields this file reads. */
export const POLICY_FIELDS = ['lb_policy', 'load_balancing_policy', 'least_request_lb_config', 'ring_hash_lb_config', 'maglev_lb_config', 'round_robin_lb_config', 'common_lb_config'];

export interface BalancingPolicy {
  algorithm: string;
  options: Record<string, unknown>;
  slowStart?: ImportedBalancer['settings']['slowStart'];
  /** The policy's name as the config gives it (ROUND_ROBIN, RoundRobin, ...), for messages. */
  policy: string;
}

/** The balancing policy of Envoy cluster `found`; `at` gives FILE:LINE: PATH of one of its fields. */
export function balancingPolicyOf(found: Obj, at: (path: string) => string, w: Warn): BalancingPolicy {
  const result = found.load_balancing_policy !== undefined ? typedPolicyOf(found, at, w) : enumPolicyOf(found, at, w);
  const common = found.common_lb_config;
  if (isObj(common)) {
    for (const [k, v] of Object.entries(common)) {
      const path = `common_lb_config.${k}`;
      if (k === 'healthy_panic_threshold') result.options.healthy_panic_threshold = Number(unwrap(v));
      else if (k === 'zone_aware_lb_config' && isObj(v)) zoneAwareOf(v, path, result.algorithm, result.options, w);
      else if (k === 'locality_weighted_lb_config') result.options.locality_weighted_lb = true;
      else if (k === 'consistent_hashing_lb_config' && isObj(v)) consistentHashingOf(v, path, result.algorithm, result.options, at, w);
      else w(path, 'not understood; ignored');
    }
  }
  return result;
}

/** `lb_policy` (@default ROUND_ROBIN) and its `*_lb_config`. */
function enumPolicyOf(found: Obj, at: (path: string) => string, w: Warn): BalancingPolicy {
  const given = found.lb_policy ?? 'ROUND_ROBIN';
  const policy = typeof given === 'number' && Number.isInteger(given) ? LB_POLICIES[given] : typeof given === 'string' && LB_POLICIES.includes(given) ? given : undefined;
  if (policy === undefined) {
    const known = LB_POLICIES.filter((p) => p !== undefined).join(', ');
    throw new LbsimError('SCENARIO_INVALID', `${at('lb_policy')}: ${JSON.stringify(given)} is not an Envoy lb_policy (Envoy 1.28 rejects the cluster); expected one of ${known}`);
  }
  let algorithm = POLICY[policy];
  if (algorithm === undefined) {
    w('lb_policy', `${policy} is not modelled${policy === 'LOAD_BALANCING_POLICY_CONFIG' ? ' without a load_balancing_policy' : ''}; using envoy/round_robin (Envoy's default)`);
    algorithm = 'envoy/round_robin';
  }
  const result: BalancingPolicy = { algorithm, options: {}, policy };
  for (const [key, configures] of Object.entries(LEGACY_CONFIG)) {
    const config = found[key];
    if (!isObj(config)) continue;
    if (configures === algorithm) fieldsOf(config, key, result, at, w);
    else w(key, `ignored: it configures ${configures}, and lb_policy is ${policy}`);
  }
  return result;
}

/** `load_balancing_policy`: the first of its policies lbsim models. */
function typedPolicyOf(found: Obj, at: (path: string) => string, w: Warn): BalancingPolicy {
  if (found.lb_policy !== undefined && found.lb_policy !== 'LOAD_BALANCING_POLICY_CONFIG' && found.lb_policy !== 7) w('lb_policy', 'ignored: load_balancing_policy is set, and Envoy balances by it');
  for (const key of Object.keys(LEGACY_CONFIG)) if (found[key] !== undefined) w(key, 'ignored: load_balancing_policy is set, and Envoy balances by it');
  const chosen = firstModelled(found.load_balancing_policy, 'load_balancing_policy', false, at, w);
  if (chosen !== undefined) return chosen;
  w('load_balancing_policy', 'none of its policies is one lbsim models (RoundRobin, LeastRequest, Random, RingHash, Maglev, WrrLocality over one of them); using envoy/round_robin');
  return { algorithm: 'envoy/round_robin', options: {}, policy: 'ROUND_ROBIN' };
}

/** The first modelled policy of a LoadBalancingPolicy message at `path`, with locality weighting when inside WrrLocality. */
function firstModelled(lbp: unknown, path: string, localityWeighted: boolean, at: (path: string) => string, w: Warn): BalancingPolicy | undefined {
  const policies = isObj(lbp) && Array.isArray(lbp.policies) ? lbp.policies : [];
  const passed: string[] = [];
  const sayPassed = (taken: string) => {
    if (passed.length > 0) w(path, `passed over ${passed.join(', ')} (not modelled); using the next, ${taken}, as if Envoy had no factory for them`);
  };
  for (let i = 0; i < policies.length; i++) {
    const p = `${path}.policies[${i}].typed_extension_config`;
    const tec: unknown = isObj(policies[i]) ? (policies[i] as Obj).typed_extension_config : undefined;
    const config = isObj(tec) && isObj(tec.typed_config) ? tec.typed_config : {};
    const type = String(config['@type'] ?? '').replace(/^.*\//, '');
    if (type === WRR_LOCALITY) {
      const inner = firstModelled(config.endpoint_picking_policy, `${p}.typed_config.endpoint_picking_policy`, true, at, w);
      if (inner !== undefined) {
        sayPassed('WrrLocality');
        return inner;
      }
    }
    const algorithm = TYPED[type];
    if (algorithm === undefined) {
      passed.push(type === '' ? `policies[${i}] (no @type)` : type.replace(/^envoy\.extensions\.load_balancing_policies\./, ''));
      continue;
    }
    sayPassed(type.replace(/^.*\./, ''));
    const result: BalancingPolicy = { algorithm, options: localityWeighted ? { locality_weighted_lb: true } : {}, policy: type.replace(/^.*\./, '') };
    fieldsOf(config, `${p}.typed_config`, result, at, w);
    return result;
  }
  return undefined;
}

/**
 * The fields of the algorithm's config message at `path` (a legacy `*_lb_config` or a
 * typed policy's typed_config): those FIELDS lists, others a warning.
 */
function fieldsOf(config: Obj, path: string, into: BalancingPolicy, at: (path: string) => string, w: Warn): void {
  const o = into.options;
  const known = FIELDS[into.algorithm] ?? [];
  for (const [k, v] of Object.entries(config)) {
    const field = `${path}.${k}`;
    if (k === '@type') continue;
    if (!known.includes(k)) w(field, 'not understood; ignored');
    else if (k === 'choice_count') o.choice_count = Number(unwrap(v));
    else if (k === 'active_request_bias') o.active_request_bias = Number(isObj(v) && 'default_value' in v ? v.default_value : unwrap(v));
    else if (k === 'minimum_ring_size' || k === 'maximum_ring_size' || k === 'table_size') o[k] = Number(unwrap(v));
    else if (k === 'hash_function') {
      if (v !== 'XX_HASH' && v !== 0) w(field, `${JSON.stringify(v)} not modelled (only XX_HASH); ignored`);
    } else if (k === 'slow_start_config') into.slowStart = slowStartOf(v, field, w);
    else if (k === 'locality_lb_config' && isObj(v)) localityLbOf(v, field, into, w);
    else if (k === 'locality_weighted_lb_config') o.locality_weighted_lb = true;
    // RingHash's own (deprecated) use_hostname_for_hashing and hash_balance_factor read as its consistent_hashing_lb_config's.
    else if (k === 'consistent_hashing_lb_config' && isObj(v)) consistentHashingOf(v, field, into.algorithm, o, at, w);
    else if (k === 'hash_balance_factor' || k === 'use_hostname_for_hashing') consistentHashingOf({ [k]: v }, path, into.algorithm, o, at, w);
    else w(field, 'not understood; ignored');
  }
}

/** A typed policy's LocalityLbConfig: zone_aware_lb_config or locality_weighted_lb_config. */
function localityLbOf(config: Obj, path: string, into: BalancingPolicy, w: Warn): void {
  for (const [k, v] of Object.entries(config)) {
    if (k === 'locality_weighted_lb_config') into.options.locality_weighted_lb = true;
    else if (k === 'zone_aware_lb_config' && isObj(v)) zoneAwareOf(v, `${path}.${k}`, into.algorithm, into.options, w);
    else w(`${path}.${k}`, 'not understood; ignored');
  }
}

/**
 * ZoneAwareLbConfig at `path`: `fail_traffic_on_panic` becomes the option of the
 * zone-aware algorithms (round robin, least request, random; Envoy's ring hash and Maglev
 * do not apply it). Zone-aware routing itself needs the local cluster's localities: not
 * modelled.
 */
function zoneAwareOf(config: Obj, path: string, algorithm: string, options: Record<string, unknown>, w: Warn): void {
  for (const [k, v] of Object.entries(config)) {
    const field = `${path}.${k}`;
    if (k !== 'fail_traffic_on_panic') w(field, 'zone-aware routing is not modelled (it needs the local cluster\'s localities); ignored');
    else if (algorithm === 'envoy/ring_hash' || algorithm === 'envoy/maglev') w(field, `${algorithm} does not apply it in Envoy (not a zone-aware balancer); ignored`);
    else if (typeof v === 'boolean') options.fail_traffic_on_panic = v;
    else w(field, 'not true or false; ignored');
  }
}

/** Envoy slow_start_config: slow_start_window (Duration), aggression (RuntimeDouble), min_weight_percent (Percent). */
function slowStartOf(v: unknown, path: string, w: Warn): ImportedBalancer['settings']['slowStart'] {
  if (!isObj(v)) return undefined;
  const windowMs = durationMs(v.slow_start_window);
  if (windowMs === undefined || windowMs <= 0) {
    w(`${path}.slow_start_window`, 'missing or not a duration; slow start ignored');
    return undefined;
  }
  const aggression = isObj(v.aggression) ? Number(v.aggression.default_value) : ENVOY_SLOW_START_DEFAULTS.aggression;
  const minWeightPercent = v.min_weight_percent === undefined ? ENVOY_SLOW_START_DEFAULTS.minWeightPercent : Number(unwrap(v.min_weight_percent));
  for (const k of Object.keys(v)) if (!['slow_start_window', 'aggression', 'min_weight_percent'].includes(k)) w(`${path}.${k}`, 'not understood; ignored');
  return { windowMs, aggression: aggression > 0 ? aggression : 1, minWeightPercent };
}
