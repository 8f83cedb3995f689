/**
 * How an Envoy cluster's requests are hashed: the cluster's
 * common_lb_config.consistent_hashing_lb_config (consistentHashingOf), and what the
 * bootstrap's routes to it say (hashingOfRoutes).
 *
 * The routes. An Envoy ring_hash or maglev cluster hashes what the *route* that sends a
 * request there names in its `hash_policy` (envoy.config.route.v3.RouteAction.HashPolicy, Envoy 1.28);
 * a route without one gives no hash, and ThreadAwareLoadBalancerBase::LoadBalancerImpl::
 * chooseHost draws `random_.random()` instead: a consistent-hash cluster behind such a
 * route balances at random. So the routes of the file imported (static_resources.listeners
 * → http_connection_manager → route_config.virtual_hosts[].routes[], `route.cluster` or
 * `route.weighted_clusters`) decide the balancer's `hash_key`:
 *
 * - `header: { header_name: ":path" }` → `uri` (the path with its query string);
 * - `connection_properties: { source_ip: true }`, or a header `x-forwarded-for` or
 *   `x-real-ip` (the address a proxy in front passes on) → `client` (Envoy hashes the
 *   address text, as envoy/ring_hash and envoy/maglev hash the client key);
 * - `cookie`, or a header naming a user, session or client (`x-user-id`, ...) → `client`,
 *   with a warning: one browser or user holds one value, as lbsim's client key stands for;
 * - `query_parameter` → `uri`, with a warning (the parameter is part of the target);
 * - any other header, `filter_state` → the route key, with a warning;
 * - no hash_policy → `random`.
 *
 * Envoy combines the hashes of every policy that yields one (until a `terminal` one), and
 * skips a policy whose header, cookie or parameter a request lacks (all missing: random);
 * lbsim's traffic has one key of each kind and no headers, so the first policy stands
 * and the others are a warning. Routes from RDS are not in the file: then nothing is known
 * and the importer says so (envoy.ts).
 */
import { LbsimError } from '../errors.ts';
import { isObj, type Obj, UINT32_MAX, unwrap, type Warn } from './envoy-values.ts';
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

/** What the routes to a cluster make envoy/ring_hash and envoy/maglev hash (their `hash_key` option). */
type EnvoyHashKey = 'route' | 'uri' | 'client' | 'random';

interface RouteHashing {
  hashKey: EnvoyHashKey;
  /** The first route's action (RouteAction) in the document, whose key stands. */
  routePath: (string | number)[];
  /** Each warning with the document path it is about (for its line). */
  warnings: { path: (string | number)[]; what: string }[];
}

interface ClusterRoute {
  /** Where the route's `route` (RouteAction) is in the document. */
  path: (string | number)[];
  action: Obj;
  /** "virtual host NAME, route N", for messages. */
  label: string;
}

/** The listeners of a bootstrap (static_resources.listeners) or of a document listing them (`listeners:`). */
function listenersOf(doc: unknown): { listeners: Obj[]; base: (string | number)[] } {
  if (!isObj(doc)) return { listeners: [], base: [] };
  if (isObj(doc.static_resources) && Array.isArray(doc.static_resources.listeners)) return { listeners: list(doc.static_resources.listeners), base: ['static_resources', 'listeners'] };
  return { listeners: list(doc.listeners), base: ['listeners'] };
}

/** Every route in the document's static route configurations whose action sends requests to `cluster`. */
function routesTo(doc: unknown, cluster: string): ClusterRoute[] {
  const { listeners, base } = listenersOf(doc);
  const found: ClusterRoute[] = [];
  listeners.forEach((listener, li) => {
    list(listener.filter_chains).forEach((chain, ci) => {
      list(chain.filters).forEach((filter, fi) => {
        const hcm = filter.typed_config;
        if (!isObj(hcm) || !isObj(hcm.route_config)) return;
        list(hcm.route_config.virtual_hosts).forEach((vh, vi) => {
          list(vh.routes).forEach((route, ri) => {
            const action = route.route;
            if (!isObj(action)) return;
            const weighted = isObj(action.weighted_clusters) ? list(action.weighted_clusters.clusters) : [];
            if (action.cluster !== cluster && !weighted.some((w) => w.name === cluster)) return;
            const path = [...base, li, 'filter_chains', ci, 'filters', fi, 'typed_config', 'route_config', 'virtual_hosts', vi, 'routes', ri, 'route'];
            found.push({ path, action, label: `virtual host ${typeof vh.name === 'string' ? `'${vh.name}'` : vi}, route ${typeof route.name === 'string' ? `'${route.name}'` : ri}` });
          });
        });
      });
    });
  });
  return found;
}

/** One HashPolicy → the key lbsim hashes for it, and what is lost on the way, if anything. */
function keyOfPolicy(policy: Obj): { key: EnvoyHashKey; loss?: string } {
  if (isObj(policy.header)) {
    const name = String(policy.header.header_name ?? '').toLowerCase();
    if (name === ':path') {
      return isObj(policy.header.regex_rewrite)
        ? { key: 'uri', loss: 'header :path with regex_rewrite: the rewrite is not modelled; the whole target (path and query string) is hashed' }
        : { key: 'uri' };
    }
    // The client's address as a proxy in front passes it: the text source_ip hashes, when it holds one address.
    if (name === 'x-forwarded-for' || name === 'x-real-ip') return { key: 'client' };
    if (/^x-(user|session|client)/.test(name)) return { key: 'client', loss: `header ${name}: modelled as the client key (each client holds one value; another host each than in Envoy, with the same spread)` };
    return { key: 'route', loss: `header ${name}: not a key lbsim's traffic carries (it has the path, the whole target and the client address); hashed as the path, so requests that share a ${name} value but not a path spread here, where Envoy sends them to one host` };
  }
  if (isObj(policy.cookie)) return { key: 'client', loss: `cookie ${String(policy.cookie.name ?? '')}: modelled as the client key (a browser holds one cookie; another host each than in Envoy, with the same spread)` };
  if (isObj(policy.connection_properties)) {
    if (policy.connection_properties.source_ip === true) return { key: 'client' };
    return { key: 'random', loss: 'connection_properties without source_ip yields no hash: Envoy draws a random one' };
  }
  if (isObj(policy.query_parameter)) return { key: 'uri', loss: `query_parameter ${String(policy.query_parameter.name ?? '')}: hashed as the whole target (path and query string), so requests that share the parameter's value but not the rest of the target spread here` };
  if (isObj(policy.filter_state)) return { key: 'route', loss: 'filter_state: not modelled; hashed as the path' };
  return { key: 'route', loss: 'not a hash policy lbsim knows (header, cookie, connection_properties, query_parameter, filter_state); hashed as the path' };
}

/** The hash key one route's hash_policy list gives, with its warnings. */
function keyOfRoute(r: ClusterRoute): RouteHashing {
  const policies = list(r.action.hash_policy);
  if (policies.length === 0) return { hashKey: 'random', routePath: r.path, warnings: [] };
  const first = keyOfPolicy(policies[0]!);
  const warnings: RouteHashing['warnings'] = [];
  if (first.loss !== undefined) warnings.push({ path: [...r.path, 'hash_policy', 0], what: `${r.label}, hash_policy[0]: ${first.loss}` });
  // A terminal first policy ends Envoy's loop once it yields a hash: the rest count only for requests it finds nothing in.
  if (policies.length > 1 && policies[0]!.terminal !== true) {
    warnings.push({ path: [...r.path, 'hash_policy', 1], what: `${r.label}: ${policies.length - 1} more hash polic${policies.length === 2 ? 'y' : 'ies'}: Envoy combines every policy's hash (skipping those a request lacks); lbsim hashes one key, the first policy's` });
  }
  return { hashKey: first.key, routePath: r.path, warnings };
}

/**
 * How the routes to `cluster` in a parsed Envoy document hash its requests, or undefined
 * when the document routes nothing to it (no listeners, RDS, or other clusters only).
 */
function routeHashing(doc: unknown, cluster: string): RouteHashing | undefined {
  const routes = routesTo(doc, cluster);
  if (routes.length === 0) return undefined;
  const each = routes.map(keyOfRoute);
  const chosen = each[0]!;
  const warnings = [...chosen.warnings];
  if (chosen.hashKey === 'random') {
    warnings.push({ path: routes[0]!.path, what: `${routes[0]!.label} sends to this cluster with no hash_policy: Envoy has no request hash and draws a random one per request (hash_key: random), so requests are spread at random by the hosts' shares of the ring or table, not kept together by key` });
  }
  const differing = routes.filter((_, i) => each[i]!.hashKey !== chosen.hashKey);
  if (differing.length > 0) {
    warnings.push({ path: differing[0]!.path, what: `${differing.length} of the ${routes.length} routes to this cluster hash otherwise (${differing.map((r) => `${r.label}: ${each[routes.indexOf(r)]!.hashKey}`).slice(0, 3).join('; ')}${differing.length > 3 ? '; ...' : ''}); lbsim runs one balancer with the first route's key (${chosen.hashKey}), ${routes[0]!.label}` });
  }
  return { hashKey: chosen.hashKey, routePath: chosen.routePath, warnings };
}

/**
 * The request hash of ring_hash or maglev cluster `cluster.name` of the parsed document
 * `doc`, from the routes of the file that send to it: their hash_policy becomes the
 * balancer's `hash_key`. With none in the file (RDS, or a cluster file alone), the route
 * key stands and a warning says how to choose. Any other algorithm does not hash: a
 * hash_policy on its routes is a warning. `warnAt` warns at a document path, `w` at a path
 * of the cluster.
 */
export function hashingOfRoutes(doc: unknown, cluster: { name: string; algorithm: string; policy: string }, options: Record<string, unknown>, warnAt: (path: (string | number)[], what: string) => void, w: Warn): void {
  const { name, algorithm, policy } = cluster;
  const hashing = routeHashing(doc, name);
  if (algorithm !== 'envoy/ring_hash' && algorithm !== 'envoy/maglev') {
    if (hashing !== undefined && hashing.hashKey !== 'random') warnAt(hashing.routePath, `the routes to cluster '${name}' have a hash_policy, which ${policy} does not use (Envoy hashes only for RING_HASH and MAGLEV): no request is kept on a host by it`);
    return;
  }
  if (hashing === undefined) {
    w('lb_policy', 'no route in this file sends to the cluster (the request hash is the route\'s hash_policy, in the route configuration): the request hash is modelled as the route key, the path without its query string; for a ":path" header policy, which hashes the query string too, set the balancer\'s hash_key: uri; for source_ip, hash_key: client; for routes with no hash_policy, where Envoy draws a random hash per request, hash_key: random');
    return;
  }
  if (hashing.hashKey !== 'route') options.hash_key = hashing.hashKey;
  for (const x of hashing.warnings) warnAt(x.path, x.what);
}

/**
 * ConsistentHashingLbConfig at `path` (common_lb_config's, or a typed RingHash or Maglev
 * policy's): `hash_balance_factor` (UInt32Value, `gte: 100`; Envoy rejects the cluster
 * otherwise) becomes ring_hash's and maglev's bounded load
 * (src/balancers/envoy/bounded-load.ts); other algorithms do not hash, and Envoy ignores it
 * for them. `use_hostname_for_hashing` puts hostnames on the ring instead of addresses:
 * lbsim hashes the backends' names, which the import makes address:port.
 */
export function consistentHashingOf(config: Obj, path: string, algorithm: string, options: Record<string, unknown>, at: (path: string) => string, w: Warn): void {
  const hashing = algorithm === 'envoy/ring_hash' || algorithm === 'envoy/maglev';
  for (const [k, v] of Object.entries(config)) {
    const field = `${path}.${k}`;
    if (k === 'hash_balance_factor') {
      const f = Number(unwrap(v));
      if (!Number.isInteger(f) || f < 100 || f > UINT32_MAX) throw new LbsimError('SCENARIO_INVALID', `${at(field)}: ${JSON.stringify(unwrap(v))} is invalid: Envoy 1.28 requires a whole number >= 100 (a percentage of the average load) and rejects the cluster`);
      if (hashing) options.hash_balance_factor = f;
      else w(field, `${algorithm} does not hash (Envoy applies it to RING_HASH and MAGLEV only); ignored`);
    } else if (k === 'use_hostname_for_hashing') {
      if (v === true) w(field, 'Envoy puts the hosts\' hostnames on the ring; lbsim hashes the backends\' names (address:port here): name the backends by hostname to reproduce the ring');
    } else w(field, 'not understood; ignored');
  }
}
