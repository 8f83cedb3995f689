/**
 * Envoy cluster YAML (or JSON) → ImportedBalancer, following the
 * envoy.config.cluster.v3.Cluster API of Envoy 1.28. The file may be a single Cluster, a
 * list of them, `{ clusters: [...] }` or a bootstrap with `static_resources.clusters`;
 * `cluster: NAME` selects one (optional when there is only one).
 *
 * Understood: name; the balancing policy, lb_policy with its *_lb_config or
 * load_balancing_policy's typed policies, and common_lb_config (envoy-policy.ts);
 * load_assignment endpoints (socket_address,
 * load_balancing_weight, health_status; each group's locality and its weight),
 * circuit_breakers, outlier_detection, health_checks, slow_start_config (the last three
 * become server-health knobs), load_assignment.policy (overprovisioning_factor,
 * weighted_priority_health); connect_timeout, type and the like are accepted silently
 * (they change nothing lbsim models). An endpoint's locality priority becomes the
 * backend's `priority`: the envoy/* algorithms fail over level by level as Envoy does
 * (src/balancers/envoy/priority-set.ts).
 * The request hash of a RING_HASH or MAGLEV cluster is the hash_policy of the routes that
 * send to it, read from the same file's static listeners (envoy-hashing.ts): a `:path`
 * header → `hash_key: uri`, source_ip → `client`, no hash_policy → `random`; its
 * common_lb_config.consistent_hashing_lb_config.hash_balance_factor bounds the hosts' loads.
 * Any other field is a warning naming its line and path. What Envoy rejects (an lb_policy
 * it does not know, an endpoint weight below 1) is an error at FILE:LINE. Backends are
 * named "address:port".
 */
import { LbsimError } from '../errors.ts';
import { type ActiveCheckSpec, OUTLIER_DEFAULTS, type OutlierSpec } from '../engine/server-health-types.ts';
import { lineOf, parseYamlFile } from '../scenario/yaml-document.ts';
import { hashingOfRoutes } from './envoy-hashing.ts';
import { balancingPolicyOf, POLICY_FIELDS } from './envoy-policy.ts';
import { durationMs, isObj, type Obj, UINT32_MAX, unwrap, type Warn } from './envoy-values.ts';
import type { ImportedBalancer, ImportedServer } from './types.ts';

const SILENT = new Set(['name', 'connect_timeout', 'type', 'dns_lookup_family', 'dns_refresh_rate', 'per_connection_buffer_limit_bytes', 'typed_extension_protocol_options', 'transport_socket', 'http2_protocol_options', 'upstream_connection_options', 'respect_dns_ttl', 'alt_stat_name']);
const KNOWN = new Set([...POLICY_FIELDS, 'load_assignment', 'circuit_breakers', 'outlier_detection', 'health_checks']);

/**
 * True when a parsed document shows it is Envoy's: `clusters:` (or a bootstrap's
 * `static_resources.clusters`), or a Cluster — alone or in a list — with a field only a
 * Cluster has (load_assignment, lb_policy, connect_timeout, ...). A bare `name:` is not
 * enough: scenarios and many other files have one.
 */
export function isEnvoyDocument(doc: unknown): boolean {
  const cluster = (c: unknown) => isObj(c) && [...KNOWN, 'connect_timeout', 'eds_cluster_config', 'slow_start_config'].some((k) => k in c);
  if (Array.isArray(doc)) return doc.length > 0 && doc.every(cluster);
  if (!isObj(doc)) return false;
  if (Array.isArray(doc.clusters) || (isObj(doc.static_resources) && Array.isArray(doc.static_resources.clusters))) return true;
  return cluster(doc);
}

/** The clusters of a parsed Envoy document, in order (none for anything else). */
export function clustersOf(doc: unknown): Obj[] {
  if (Array.isArray(doc)) return doc.filter(isObj);
  if (!isObj(doc)) return [];
  if (Array.isArray(doc.clusters)) return doc.clusters.filter(isObj);
  const sr = doc.static_resources;
  if (isObj(sr) && Array.isArray(sr.clusters)) return sr.clusters.filter(isObj);
  return 'name' in doc || 'load_assignment' in doc ? [doc] : [];
}

/** Where cluster `c` sits in the document, as a path of keys for lineOf. */
function pathOfCluster(doc: unknown, c: Obj): (string | number)[] {
  if (Array.isArray(doc)) return [doc.indexOf(c)];
  if (!isObj(doc)) return [];
  if (Array.isArray(doc.clusters)) return ['clusters', doc.clusters.indexOf(c)];
  const sr = doc.static_resources;
  if (isObj(sr) && Array.isArray(sr.clusters)) return ['static_resources', 'clusters', sr.clusters.indexOf(c)];
  return [];
}

/** `a.b[2].c` → ['a', 'b', 2, 'c']. */
const keysOf = (path: string): (string | number)[] => path.split(/\.|(?=\[)/).map((k) => (k.startsWith('[') ? Number(k.slice(1, -1)) : k));

export function importEnvoy(text: string, file: string, cluster: string | undefined): ImportedBalancer {
  const parsed = parseYamlFile(text, file);
  const doc: unknown = parsed.doc.toJS();
  const all = clustersOf(doc);
  const found = cluster === undefined ? (all.length === 1 ? all[0] : undefined) : all.find((c) => c.name === cluster);
  if (!found) {
    const names = all.map((c) => String(c.name));
    if (all.length === 0) throw new LbsimError('SCENARIO_INVALID', `${file}: no Envoy cluster in it: expected a Cluster (name, load_assignment, lb_policy), a list of them, clusters: [...] or static_resources.clusters`);
    throw new LbsimError('SCENARIO_INVALID', `${file}: ${cluster === undefined ? `${all.length} clusters (${names.join(', ')}); choose one with balancer.cluster` : `no cluster named '${cluster}'; found ${names.join(', ')}`}`);
  }
  const name = String(found.name ?? '');
  const base = pathOfCluster(doc, found);
  // FILE:LINE of a field of this cluster (the deepest part of the path the document has), then the path itself.
  const lineAt = (path: string) => lineOf(parsed.doc, parsed.lines, [...base, ...keysOf(path)]);
  const at = (path: string) => {
    const line = lineAt(path);
    return `${file}${line === undefined ? '' : `:${line}`}: clusters[${name}].${path}`;
  };
  const warnings: string[] = [];
  const w = (path: string, what: string) => warnings.push(`${at(path)}: ${what}`);
  for (const key of Object.keys(found)) if (!SILENT.has(key) && !KNOWN.has(key)) w(key, 'not understood by the importer; ignored');

  const { algorithm, options, slowStart, policy } = balancingPolicyOf(found, at, w);
  const sub = (key: string): Obj | undefined => (isObj(found[key]) ? (found[key] as Obj) : undefined);
  const where = (path: (string | number)[]) => {
    const line = lineOf(parsed.doc, parsed.lines, path);
    return `${file}${line === undefined ? '' : `:${line}`}`;
  };
  hashingOfRoutes(doc, { name, algorithm, policy }, options, (path, what) => warnings.push(`${where(path)}: ${what}`), w);

  const settings: ImportedBalancer['settings'] = {};
  const servers: ImportedServer[] = [];
  const la = sub('load_assignment');
  const endpoints = la && Array.isArray(la.endpoints) ? la.endpoints.filter(isObj) : [];
  if (la) {
    for (const k of Object.keys(la)) if (!['endpoints', 'cluster_name', 'policy'].includes(k)) w(`load_assignment.${k}`, 'not understood; ignored');
    if (isObj(la.policy)) policyOf(la.policy, options, at, w);
  }
  const localityWeights: [number, string, number][] = [];
  endpoints.forEach((group, gi) => {
    const priority = group.priority === undefined ? 0 : Number(unwrap(group.priority));
    if (!Number.isInteger(priority) || priority < 0) {
      throw new LbsimError('SCENARIO_INVALID', `${at(`load_assignment.endpoints[${gi}].priority`)}: ${JSON.stringify(group.priority)} is invalid: Envoy 1.28 requires a whole number >= 0 (LocalityLbEndpoints.priority) and rejects the cluster`);
    }
    const locality = localityName(group.locality);
    if (group.load_balancing_weight !== undefined) localityWeights.push([gi, locality, Number(unwrap(group.load_balancing_weight))]);
    const lbs = Array.isArray(group.lb_endpoints) ? group.lb_endpoints.filter(isObj) : [];
    let localitySum = 0;
    lbs.forEach((e, ei) => {
      const path = `load_assignment.endpoints[${gi}].lb_endpoints[${ei}]`;
      const ep = isObj(e.endpoint) ? e.endpoint : {};
      const addr = isObj(ep.address) && isObj(ep.address.socket_address) ? ep.address.socket_address : {};
      const address = `${String(addr.address ?? '?')}:${String(addr.port_value ?? '?')}`;
      const s: ImportedServer = { name: address, address, weight: e.load_balancing_weight === undefined ? 1 : Number(unwrap(e.load_balancing_weight)) };
      const line = lineAt(path);
      if (line !== undefined) s.line = line;
      // config.endpoint.v3.LbEndpoint: load_balancing_weight [(validate.rules).uint32 = {gte: 1}] — Envoy rejects the cluster otherwise.
      if (!Number.isInteger(s.weight) || s.weight < 1 || s.weight > UINT32_MAX) {
        throw new LbsimError('SCENARIO_INVALID', `${at(`${path}.load_balancing_weight`)}: ${String(unwrap(e.load_balancing_weight))} is invalid: Envoy 1.28 requires a whole number >= 1 (LbEndpoint.load_balancing_weight) and rejects the cluster`);
      }
      localitySum += s.weight;
      if (priority > 0) s.priority = priority;
      if (locality !== '') s.locality = locality;
      if (e.health_status !== undefined && e.health_status !== 'HEALTHY' && e.health_status !== 'UNKNOWN') {
        s.down = true;
        w(`${path}.health_status`, `${String(e.health_status)}: imported with weight 0 (drained)`);
      }
      for (const k of Object.keys(e)) if (!['endpoint', 'load_balancing_weight', 'health_status', 'metadata'].includes(k)) w(`${path}.${k}`, 'not understood; ignored');
      servers.push(s);
    });
    if (localitySum > UINT32_MAX) throw new LbsimError('SCENARIO_INVALID', `${at(`load_assignment.endpoints[${gi}]`)}: the endpoints' load_balancing_weight sum to ${localitySum}, more than Envoy allows in a locality (4294967295)`);
  });
  localityWeightsOf(localityWeights, options, at, w);
  if (servers.length === 0) w('load_assignment', 'no endpoints (EDS clusters get them at run time): list the backends in the scenario');
  const cb = sub('circuit_breakers');
  const thresholds = cb && Array.isArray(cb.thresholds) ? cb.thresholds.filter(isObj) : [];
  const def = thresholds.find((t) => t.priority === undefined || t.priority === 'DEFAULT');
  if (def) {
    settings.circuitBreakers = {};
    for (const [k, v] of Object.entries(def)) if (k !== 'priority' && typeof unwrap(v) === 'number') settings.circuitBreakers[k] = unwrap(v) as number;
    if (isObj(def.retry_budget)) {
      const rb = def.retry_budget;
      settings.retryBudget = {};
      if (rb.budget_percent !== undefined) settings.retryBudget.budgetPercent = Number(unwrap(rb.budget_percent));
      if (rb.min_retry_concurrency !== undefined) settings.retryBudget.minRetryConcurrency = Number(unwrap(rb.min_retry_concurrency));
    }
    // max_requests, max_pending_requests, max_retries and retry_budget go to the proxy layer (config-import/scenario.ts).
    for (const k of Object.keys(settings.circuitBreakers)) {
      if (k === 'max_connections') w('circuit_breakers.thresholds.max_connections', 'a cluster-wide connection limit is not modelled (a backend\'s maxconn models one host\'s connection pool); ignored');
      else if (!['max_requests', 'max_pending_requests', 'max_retries'].includes(k)) w(`circuit_breakers.thresholds.${k}`, 'not understood; ignored');
    }
    if (thresholds.some((t) => t !== def)) w('circuit_breakers.thresholds', 'only the DEFAULT priority is modelled; the others are ignored');
  }
  const od = sub('outlier_detection');
  if (od) {
    settings.outlierDetection = od;
    settings.outlier = outlierOf(od, w);
  }
  if (Array.isArray(found.health_checks) && found.health_checks.length > 0) {
    settings.healthCheck = { health_checks: found.health_checks };
    const check = activeCheckOf(found.health_checks.filter(isObj)[0] ?? {}, w);
    if (check !== undefined) settings.activeCheck = check;
    if (found.health_checks.length > 1) w('health_checks', `${found.health_checks.length} checks: only the first is simulated`);
  }
  if (slowStart !== undefined) settings.slowStart = slowStart;
  return { kind: 'envoy', file, name, algorithm, options, servers, settings, warnings };
}


/**
 * ClusterLoadAssignment.Policy: overprovisioning_factor (UInt32Value, `gt: 0`, percent;
 * Envoy rejects the cluster otherwise) and weighted_priority_health become the algorithm's
 * options; the rest (endpoint_stale_after, drop_overloads) is not modelled.
 */
function policyOf(policy: Obj, options: Record<string, unknown>, at: (path: string) => string, w: Warn): void {
  for (const [k, v] of Object.entries(policy)) {
    const path = `load_assignment.policy.${k}`;
    if (k === 'overprovisioning_factor') {
      const f = Number(unwrap(v));
      if (!Number.isInteger(f) || f < 1 || f > UINT32_MAX) throw new LbsimError('SCENARIO_INVALID', `${at(path)}: ${JSON.stringify(unwrap(v))} is invalid: Envoy 1.28 requires a whole number > 0 (a percentage) and rejects the cluster`);
      options.overprovisioning_factor = f;
    } else if (k === 'weighted_priority_health' && typeof v === 'boolean') {
      options.weighted_priority_health = v;
    } else w(path, 'not understood; ignored');
  }
}

/** An endpoint group's locality ({ region, zone, sub_zone }) as lbsim names it: "region/zone/sub_zone", "" for none. */
function localityName(v: unknown): string {
  if (!isObj(v)) return '';
  const parts = [v.region, v.zone, v.sub_zone].map((p) => (typeof p === 'string' ? p : ''));
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.join('/');
}

/**
 * LocalityLbEndpoints.load_balancing_weight, by locality name, as the algorithm's
 * `locality_weights` (used with locality_weighted_lb_config, ignored by Envoy without it).
 * lbsim keeps one weight per locality name: the same locality at two priorities with two
 * weights is a warning, and the first stands.
 */
function localityWeightsOf(groups: readonly [number, string, number][], options: Record<string, unknown>, at: (path: string) => string, w: Warn): void {
  if (groups.length === 0) return;
  const weights: Record<string, number> = {};
  for (const [gi, name, weight] of groups) {
    const path = `load_assignment.endpoints[${gi}].load_balancing_weight`;
    if (!Number.isInteger(weight) || weight < 1 || weight > UINT32_MAX) throw new LbsimError('SCENARIO_INVALID', `${at(path)}: ${weight} is invalid: Envoy 1.28 requires a whole number >= 1 (LocalityLbEndpoints.load_balancing_weight) and rejects the cluster`);
    if (name in weights && weights[name] !== weight) w(path, `locality '${name}' already has weight ${weights[name]} (lbsim keeps one weight per locality name); ignored`);
    else weights[name] = weight;
  }
  options.locality_weights = weights;
}

/** Envoy health_checks[0]: interval, unhealthy_threshold (fall), healthy_threshold (rise). */
function activeCheckOf(hc: Obj, w: Warn): ActiveCheckSpec | undefined {
  const interMs = durationMs(hc.interval);
  const fall = Number(unwrap(hc.unhealthy_threshold));
  const rise = Number(unwrap(hc.healthy_threshold));
  if (interMs === undefined || interMs <= 0 || !(fall >= 1) || !(rise >= 1)) {
    w('health_checks[0]', 'needs interval, unhealthy_threshold and healthy_threshold; not simulated');
    return undefined;
  }
  for (const k of Object.keys(hc)) {
    if (['interval', 'unhealthy_threshold', 'healthy_threshold', 'timeout', 'http_health_check', 'tcp_health_check', 'grpc_health_check'].includes(k)) continue;
    w(`health_checks[0].${k}`, 'not modelled; ignored');
  }
  return { interMs, rise, fall };
}

/** Envoy outlier_detection with its defaults; the fields lbsim does not model are warnings. */
function outlierOf(od: Obj, w: Warn): OutlierSpec {
  const d = OUTLIER_DEFAULTS;
  const num = (k: string, fallback: number) => (od[k] === undefined ? fallback : Number(unwrap(od[k])));
  const ms = (k: string, fallback: number) => (od[k] === undefined ? fallback : (durationMs(od[k]) ?? fallback));
  const enforce = (k: string, fallback: number) => {
    const v = num(k, fallback);
    if (v !== 0 && v !== 100) w(`outlier_detection.${k}`, `${v}% is simulated as ${v >= 50 ? 100 : 0}% (lbsim does not draw partial enforcement)`);
    return v >= 50 ? 100 : 0;
  };
  const known = ['consecutive_5xx', 'interval', 'base_ejection_time', 'max_ejection_time', 'max_ejection_percent', 'enforcing_consecutive_5xx', 'enforcing_success_rate', 'success_rate_minimum_hosts', 'success_rate_request_volume', 'success_rate_stdev_factor', 'always_eject_one_host'];
  for (const k of Object.keys(od)) if (!known.includes(k)) w(`outlier_detection.${k}`, 'not modelled; ignored');
  return {
    consecutive5xx: num('consecutive_5xx', d.consecutive5xx),
    intervalMs: ms('interval', d.intervalMs),
    baseEjectionMs: ms('base_ejection_time', d.baseEjectionMs),
    maxEjectionMs: ms('max_ejection_time', d.maxEjectionMs),
    maxEjectionPercent: num('max_ejection_percent', d.maxEjectionPercent),
    enforcingConsecutive5xx: enforce('enforcing_consecutive_5xx', d.enforcingConsecutive5xx),
    alwaysEjectOneHost: od.always_eject_one_host === true,
    enforcingSuccessRate: enforce('enforcing_success_rate', d.enforcingSuccessRate),
    successRateMinimumHosts: num('success_rate_minimum_hosts', d.successRateMinimumHosts),
    successRateRequestVolume: num('success_rate_request_volume', d.successRateRequestVolume),
    successRateStdevFactor: num('success_rate_stdev_factor', d.successRateStdevFactor * 1000) / 1000,
  };
}
