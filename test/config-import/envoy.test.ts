/**
 * Envoy cluster import (src/config-import/envoy.ts): what Envoy rejects is an error at
 * FILE:LINE, an endpoint's locality priority becomes its backend's priority level, and
 * warnings carry the line of the field they are about.
 */
import { describe, expect, it } from 'vitest';
import { importBalancerText } from '../../src/config-import/index.ts';
import type { BackendSpec } from '../../src/engine/backends.ts';
import { isLbsimError } from '../../src/errors.ts';
import { envoyBootstrap, routeTo } from '../helpers/envoy-bootstrap.ts';

const cluster = (extra: string, endpoints = '  endpoints:\n    - lb_endpoints:\n        - endpoint: { address: { socket_address: { address: 10.0.0.1, port_value: 80 } } }\n') =>
  `clusters:\n- name: api\n${extra}  load_assignment:\n    cluster_name: api\n${endpoints.replace(/^/gm, '  ')}`;

const thrown = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
};

describe('Envoy lb_policy', () => {
  it('an lb_policy Envoy does not know is an error at FILE:LINE (Envoy rejects the config), as HAProxy\'s unknown balance is', () => {
    const e = thrown(() => importBalancerText(cluster('  lb_policy: LEAST_REQUESTS\n'), 'e.yaml'));
    expect(isLbsimError(e) && e.code).toBe('SCENARIO_INVALID');
    expect(e.message).toMatch(/^e\.yaml:3: clusters\[api\]\.lb_policy: "LEAST_REQUESTS" is not an Envoy lb_policy \(Envoy 1\.28 rejects the cluster\); expected one of ROUND_ROBIN, LEAST_REQUEST, RING_HASH, RANDOM, MAGLEV, CLUSTER_PROVIDED, LOAD_BALANCING_POLICY_CONFIG$/);
  });

  it('known policies by name or by enum number; valid but unmodelled ones stay a warning at their line', () => {
    expect(importBalancerText(cluster('  lb_policy: LEAST_REQUEST\n'), 'e.yaml').algorithm).toBe('envoy/least_request');
    expect(importBalancerText(cluster('  lb_policy: 5\n'), 'e.yaml').algorithm).toBe('envoy/maglev');
    const cp = importBalancerText(cluster('  lb_policy: CLUSTER_PROVIDED\n'), 'e.yaml');
    expect(cp.algorithm).toBe('envoy/round_robin');
    expect(cp.warnings).toContain("e.yaml:3: clusters[api].lb_policy: CLUSTER_PROVIDED is not modelled; using envoy/round_robin (Envoy's default)");
    expect(() => importBalancerText(cluster('  lb_policy: 4\n'), 'e.yaml')).toThrow(/^e\.yaml:3: clusters\[api\]\.lb_policy: 4 is not an Envoy lb_policy/);
  });
});

describe('Envoy priorities', () => {
  const two = [
    '  endpoints:',
    '    - lb_endpoints:',
    '        - endpoint: { address: { socket_address: { address: 10.0.0.1, port_value: 80 } } }',
    '        - endpoint: { address: { socket_address: { address: 10.0.0.2, port_value: 80 } } }',
    '    - priority: 1',
    '      lb_endpoints:',
    '        - endpoint: { address: { socket_address: { address: 10.0.1.1, port_value: 80 } } }',
    '        - endpoint: { address: { socket_address: { address: 10.0.1.2, port_value: 80 } } }',
    '',
  ].join('\n');

  it('an endpoint keeps its locality\'s priority (the envoy/* algorithms fail over level by level), with no warning', () => {
    const r = importBalancerText(cluster('', two), 'e.yaml');
    expect(r.servers.map((s) => [s.name, s.priority ?? 0, s.backup ?? false])).toEqual([
      ['10.0.0.1:80', 0, false],
      ['10.0.0.2:80', 0, false],
      ['10.0.1.1:80', 1, false],
      ['10.0.1.2:80', 1, false],
    ]);
    expect(r.settings.allBackups).toBeUndefined();
    expect(r.warnings.filter((x) => /priority/.test(x))).toEqual([]);
  });

  it('the priorities reach the simulation\'s backends (and a scenario\'s own priority wins)', async () => {
    const { resolveBalancerSection } = await import('../../src/config-import/scenario.ts');
    const { applyServerKnobs } = await import('../../src/scenario/server-knobs.ts');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'lbsim-envoy-'));
    writeFileSync(join(dir, 'e.yaml'), cluster('', two));
    const names = ['10.0.0.1:80', '10.0.0.2:80', '10.0.1.1:80', '10.0.1.2:80'];
    const backends: BackendSpec[] = names.map((name) => ({ name, weight: 1, concurrency: 1, queue: Infinity, speed: 1, outages: [] }));
    const r = resolveBalancerSection({ from: 'e.yaml', cluster: 'api' }, backends, dir, 's.yaml');
    const set = applyServerKnobs(backends, [{}, {}, {}, { priority: 2 }], {}, r.importedKnobs, 's.yaml');
    expect(backends.map((b) => b.priority ?? 0)).toEqual([0, 0, 1, 2]);
    expect(backends.some((b) => b.backup === true)).toBe(false);
    expect(set.allBackups).toBe(false);
  });

  it('load_assignment.policy: overprovisioning_factor and weighted_priority_health are the algorithm\'s options; endpoint_stale_after is a warning', () => {
    const policy = two.replace('  endpoints:', '  policy: { overprovisioning_factor: 200, weighted_priority_health: true, endpoint_stale_after: 10s }\n  endpoints:');
    const r = importBalancerText(cluster('', policy), 'e.yaml');
    expect(r.options).toMatchObject({ overprovisioning_factor: 200, weighted_priority_health: true });
    expect(r.warnings).toEqual([expect.stringMatching(/^e\.yaml:\d+: clusters\[api\]\.load_assignment\.policy\.endpoint_stale_after: not understood; ignored/)]);
    expect(() => importBalancerText(cluster('', policy.replace('200', '0')), 'e.yaml')).toThrow(/load_assignment\.policy\.overprovisioning_factor: 0 is invalid: Envoy 1\.28 requires a whole number > 0/);
  });

  it('validate: a lower level is a warning saying when it takes traffic; a cluster whose endpoints are all at priority 1 has none', async () => {
    const { validateProxyText } = await import('../../src/workflows/validate-proxy.ts');
    const v = validateProxyText(cluster('', two), 'e.yaml', {});
    expect(v.findings.map((f) => [f.field, f.line, f.severity])).toEqual([
      ['10.0.1.1:80.priority', 11, 'warning'],
      ['10.0.1.2:80.priority', 12, 'warning'],
    ]);
    expect(v.findings[0]!.message).toBe('10.0.1.1:80 is on priority 1: it takes traffic only when the levels above it cannot take it all (Envoy spills over once a level has fewer than 71.4% of its hosts healthy, overprovisioning factor 140)');
    const onlyP1 = two.split('\n').slice(0, 1).concat(two.split('\n').slice(4)).join('\n');
    expect(validateProxyText(cluster('', onlyP1), 'e.yaml', {}).findings).toEqual([]);
  });

  it('common_lb_config.zone_aware_lb_config: fail_traffic_on_panic for the zone-aware algorithms; routing knobs and ring hash are warnings', () => {
    const za = '  common_lb_config: { zone_aware_lb_config: { fail_traffic_on_panic: true, min_cluster_size: 3 } }\n';
    const rr = importBalancerText(cluster(za, two), 'e.yaml');
    expect(rr.options.fail_traffic_on_panic).toBe(true);
    expect(rr.warnings).toEqual([expect.stringMatching(/^e\.yaml:3: clusters\[api\]\.common_lb_config\.zone_aware_lb_config\.min_cluster_size: zone-aware routing is not modelled/)]);
    const ring = importBalancerText(cluster(`  lb_policy: RING_HASH\n${za}`, two), 'e.yaml');
    expect(ring.options.fail_traffic_on_panic).toBeUndefined();
    expect(ring.warnings.some((w) => /fail_traffic_on_panic: envoy\/ring_hash does not apply it in Envoy/.test(w))).toBe(true);
  });

  it('localities: each group\'s locality names its endpoints and its weight goes to locality_weights; locality_weighted_lb_config turns them on (ring hash too)', () => {
    const zoned = [
      '  endpoints:',
      '    - locality: { region: eu, zone: a }',
      '      load_balancing_weight: 2',
      '      lb_endpoints:',
      '        - endpoint: { address: { socket_address: { address: 10.0.0.1, port_value: 80 } } }',
      '    - locality: { region: eu, zone: b }',
      '      load_balancing_weight: 1',
      '      lb_endpoints:',
      '        - endpoint: { address: { socket_address: { address: 10.0.0.2, port_value: 80 } } }',
      '    - priority: 1',
      '      locality: { region: eu, zone: a }',
      '      load_balancing_weight: 5',
      '      lb_endpoints:',
      '        - endpoint: { address: { socket_address: { address: 10.0.1.1, port_value: 80 } } }',
      '',
    ].join('\n');
    const r = importBalancerText(cluster('  common_lb_config: { locality_weighted_lb_config: {} }\n', zoned), 'e.yaml');
    expect(r.servers.map((s) => [s.name, s.locality, s.priority ?? 0])).toEqual([
      ['10.0.0.1:80', 'eu/a', 0],
      ['10.0.0.2:80', 'eu/b', 0],
      ['10.0.1.1:80', 'eu/a', 1],
    ]);
    expect(r.options).toMatchObject({ locality_weighted_lb: true, locality_weights: { 'eu/a': 2, 'eu/b': 1 } });
    // lbsim keeps one weight per locality name: eu/a at priority 1 with another weight is named.
    expect(r.warnings).toEqual([expect.stringMatching(/^e\.yaml:\d+: clusters\[api\]\.load_assignment\.endpoints\[2\]\.load_balancing_weight: locality 'eu\/a' already has weight 2/)]);
    // Ring hash takes them too (its ring weighed by locality).
    const ring = importBalancerText(cluster('  lb_policy: RING_HASH\n  common_lb_config: { locality_weighted_lb_config: {} }\n', zoned), 'e.yaml');
    expect(ring.options).toMatchObject({ locality_weighted_lb: true, locality_weights: { 'eu/a': 2, 'eu/b': 1 } });
  });

  it('a negative priority is an error at its line', () => {
    expect(() => importBalancerText(cluster('', two.replace('priority: 1', 'priority: -1')), 'e.yaml')).toThrow(/^e\.yaml:9: clusters\[api\]\.load_assignment\.endpoints\[1\]\.priority: -1 is invalid/);
  });
});

describe('Envoy warnings and errors name FILE:LINE', () => {
  it('in a bootstrap, a list of clusters and a bare cluster', () => {
    const bootstrap = `static_resources:\n  clusters:\n  - name: a\n    lb_policy: ROUND_ROBIN\n  - name: api\n    upstream_bind_config: {}\n    load_assignment:\n      endpoints:\n      - lb_endpoints:\n        - endpoint: { address: { socket_address: { address: 10.0.0.1, port_value: 80 } } }\n          load_balancing_weight: 0\n`;
    expect(() => importBalancerText(bootstrap, 'b.yaml', { cluster: 'api' })).toThrow(/^b\.yaml:11: clusters\[api\]\.load_assignment\.endpoints\[0\]\.lb_endpoints\[0\]\.load_balancing_weight: 0 is invalid/);
    const ok = importBalancerText(bootstrap.replace('load_balancing_weight: 0', 'load_balancing_weight: 2'), 'b.yaml', { cluster: 'api' });
    expect(ok.warnings).toContain('b.yaml:6: clusters[api].upstream_bind_config: not understood by the importer; ignored');
    const bare = importBalancerText('name: api\nfoo: 1\nload_assignment:\n  endpoints:\n  - lb_endpoints:\n    - endpoint: { address: { socket_address: { address: 10.0.0.1, port_value: 80 } } }\n', 'c.yaml');
    expect(bare.warnings).toContain('c.yaml:2: clusters[api].foo: not understood by the importer; ignored');
  });
});

describe('Envoy routes: the hash_policy of the routes to a ring_hash or maglev cluster', () => {
  const bootstrap = (policy: string, routes: string[]) => envoyBootstrap(policy, routes, ['10.0.0.1', '10.0.0.2']);
  const route = routeTo;
  const hashWarnings = (r: { warnings: string[] }) => r.warnings.filter((w) => /hash|route/.test(w));

  it(':path → hash_key: uri, source_ip → client, with no warning', () => {
    for (const policy of ['RING_HASH', 'MAGLEV']) {
      const path = importBalancerText(bootstrap(policy, route('[{ header: { header_name: ":path" } }]')), 'b.yaml');
      expect(path.options.hash_key).toBe('uri');
      expect(hashWarnings(path)).toEqual([]);
      const ip = importBalancerText(bootstrap(policy, route('[{ connection_properties: { source_ip: true } }]')), 'b.yaml');
      expect(ip.options.hash_key).toBe('client');
      expect(hashWarnings(ip)).toEqual([]);
    }
  });

  it('a route with no hash_policy → hash_key: random (Envoy draws a random hash), said at the route\'s line', () => {
    const r = importBalancerText(bootstrap('RING_HASH', route('')), 'b.yaml');
    expect(r.options.hash_key).toBe('random');
    expect(r.warnings).toContainEqual(expect.stringMatching(/^b\.yaml:15: virtual host 'web', route 0 sends to this cluster with no hash_policy: Envoy has no request hash and draws a random one per request \(hash_key: random\)/));
  });

  it('a cookie or a user header → the client key, another header → the path, each with a warning at its line', () => {
    const cookie = importBalancerText(bootstrap('RING_HASH', route('[{ cookie: { name: session } }]')), 'b.yaml');
    expect(cookie.options.hash_key).toBe('client');
    expect(cookie.warnings).toContainEqual(expect.stringMatching(/^b\.yaml:17: virtual host 'web', route 0, hash_policy\[0\]: cookie session: modelled as the client key/));
    expect(importBalancerText(bootstrap('MAGLEV', route('[{ header: { header_name: X-User-Id } }]')), 'b.yaml').options.hash_key).toBe('client');
    // The address a proxy in front passes on is the client key itself: no warning.
    const xff = importBalancerText(bootstrap('RING_HASH', route('[{ header: { header_name: x-forwarded-for } }]')), 'b.yaml');
    expect([xff.options.hash_key, hashWarnings(xff)]).toEqual(['client', []]);
    const host = importBalancerText(bootstrap('MAGLEV', route('[{ header: { header_name: ":authority" } }]')), 'b.yaml');
    expect(host.options.hash_key).toBeUndefined();
    expect(host.warnings).toContainEqual(expect.stringMatching(/hash_policy\[0\]: header :authority: not a key lbsim's traffic carries .* hashed as the path/));
    const param = importBalancerText(bootstrap('MAGLEV', route('[{ query_parameter: { name: q } }]')), 'b.yaml');
    expect(param.options.hash_key).toBe('uri');
    expect(param.warnings).toContainEqual(expect.stringMatching(/query_parameter q: hashed as the whole target/));
  });

  it('several policies: the first stands, the rest a warning unless the first is terminal', () => {
    const two = importBalancerText(bootstrap('RING_HASH', route('[{ connection_properties: { source_ip: true } }, { header: { header_name: ":path" } }]')), 'b.yaml');
    expect(two.options.hash_key).toBe('client');
    expect(two.warnings).toContainEqual(expect.stringMatching(/route 0: 1 more hash policy: Envoy combines every policy's hash/));
    const terminal = importBalancerText(bootstrap('RING_HASH', route('[{ connection_properties: { source_ip: true }, terminal: true }, { header: { header_name: ":path" } }]')), 'b.yaml');
    expect(terminal.options.hash_key).toBe('client');
    expect(hashWarnings(terminal)).toEqual([]);
  });

  it('routes that hash otherwise: the first route\'s key, and a warning naming the others; weighted_clusters count; other clusters\' routes do not', () => {
    const routes = [
      ...route('[{ header: { header_name: ":path" } }]'),
      '- match: { prefix: "/static" }',
      '  name: static',
      '  route:',
      '    weighted_clusters: { clusters: [{ name: api, weight: 90 }, { name: cdn, weight: 10 }] }',
      ...route('', 'other'),
    ];
    const r = importBalancerText(bootstrap('RING_HASH', routes), 'b.yaml');
    expect(r.options.hash_key).toBe('uri');
    expect(r.warnings).toContainEqual(expect.stringMatching(/1 of the 2 routes to this cluster hash otherwise \(virtual host 'web', route 'static': random\); lbsim runs one balancer with the first route's key \(uri\)/));
  });

  it('a round-robin cluster behind a hashing route: the hash_policy does nothing in Envoy, and a warning says so', () => {
    const r = importBalancerText(bootstrap('ROUND_ROBIN', route('[{ connection_properties: { source_ip: true } }]')), 'b.yaml');
    expect(r.options.hash_key).toBeUndefined();
    expect(r.warnings).toContainEqual(expect.stringMatching(/^b\.yaml:15: the routes to cluster 'api' have a hash_policy, which ROUND_ROBIN does not use/));
    expect(hashWarnings(importBalancerText(bootstrap('ROUND_ROBIN', route('')), 'b.yaml'))).toEqual([]);
  });

  it('no route in the file (a cluster alone, or RDS): the route key, and a warning saying how to choose', () => {
    const r = importBalancerText(cluster('  lb_policy: RING_HASH\n'), 'e.yaml');
    expect(r.options.hash_key).toBeUndefined();
    expect(r.warnings).toContainEqual(expect.stringMatching(/^e\.yaml:3: clusters\[api\]\.lb_policy: no route in this file sends to the cluster .* hash_key: random$/));
    const other = importBalancerText(bootstrap('RING_HASH', route('', 'other')), 'b.yaml');
    expect(other.options.hash_key).toBeUndefined();
    expect(other.warnings).toContainEqual(expect.stringMatching(/no route in this file sends to the cluster/));
  });
});

describe('Envoy consistent_hashing_lb_config', () => {
  const chc = (policy: string, body: string) => cluster(`  lb_policy: ${policy}\n  common_lb_config:\n    consistent_hashing_lb_config: ${body}\n`);
  it('hash_balance_factor becomes the ring_hash and maglev option; below 100 is an error at FILE:LINE (Envoy rejects the cluster)', () => {
    expect(importBalancerText(chc('RING_HASH', '{ hash_balance_factor: 125 }'), 'e.yaml').options.hash_balance_factor).toBe(125);
    expect(importBalancerText(chc('MAGLEV', '{ hash_balance_factor: { value: 150 } }'), 'e.yaml').options.hash_balance_factor).toBe(150);
    const e = thrown(() => importBalancerText(chc('RING_HASH', '{ hash_balance_factor: 99 }'), 'e.yaml'));
    expect(isLbsimError(e) && e.code).toBe('SCENARIO_INVALID');
    expect(e.message).toMatch(/^e\.yaml:5: clusters\[api\]\.common_lb_config\.consistent_hashing_lb_config\.hash_balance_factor: 99 is invalid: Envoy 1\.28 requires a whole number >= 100/);
  });
  it('on a cluster that does not hash, and use_hostname_for_hashing: warnings', () => {
    const rr = importBalancerText(chc('ROUND_ROBIN', '{ hash_balance_factor: 125 }'), 'e.yaml');
    expect(rr.options.hash_balance_factor).toBeUndefined();
    expect(rr.warnings).toContainEqual(expect.stringMatching(/hash_balance_factor: envoy\/round_robin does not hash \(Envoy applies it to RING_HASH and MAGLEV only\); ignored/));
    const names = importBalancerText(chc('MAGLEV', '{ use_hostname_for_hashing: true }'), 'e.yaml');
    expect(names.warnings).toContainEqual(expect.stringMatching(/use_hostname_for_hashing: Envoy puts the hosts' hostnames on the ring/));
  });
});

describe('Envoy load_balancing_policy (typed extension policies)', () => {
  /** A cluster whose load_balancing_policy lists `policies` (YAML flow items, one per line). */
  const typed = (policies: string[], extra = '') =>
    cluster(`${extra}  load_balancing_policy:\n    policies:\n${policies.map((p) => `    - typed_extension_config: { name: p, typed_config: ${p} }\n`).join('')}`);
  const T = (name: string, fields = '') => `{ "@type": type.googleapis.com/envoy.extensions.load_balancing_policies.${name}${fields === '' ? '' : `, ${fields}`} }`;

  it('RoundRobin, LeastRequest, Random, RingHash and Maglev map to the envoy/* algorithms with their fields', () => {
    const rr = importBalancerText(typed([T('round_robin.v3.RoundRobin', 'slow_start_config: { slow_start_window: 30s }')]), 'e.yaml');
    expect(rr.algorithm).toBe('envoy/round_robin');
    expect(rr.settings.slowStart).toMatchObject({ windowMs: 30_000 });
    const lr = importBalancerText(typed([T('least_request.v3.LeastRequest', 'choice_count: 3, active_request_bias: { default_value: 0.5 }')]), 'e.yaml');
    expect([lr.algorithm, lr.options]).toEqual(['envoy/least_request', { choice_count: 3, active_request_bias: 0.5 }]);
    expect(importBalancerText(typed([T('random.v3.Random')]), 'e.yaml').algorithm).toBe('envoy/random');
    const rh = importBalancerText(typed([T('ring_hash.v3.RingHash', 'minimum_ring_size: 2048, consistent_hashing_lb_config: { hash_balance_factor: 150 }, locality_weighted_lb_config: {}')]), 'e.yaml');
    expect([rh.algorithm, rh.options]).toEqual(['envoy/ring_hash', { minimum_ring_size: 2048, hash_balance_factor: 150, locality_weighted_lb: true }]);
    const mg = importBalancerText(typed([T('maglev.v3.Maglev', 'table_size: 131')]), 'e.yaml');
    expect([mg.algorithm, mg.options]).toEqual(['envoy/maglev', { table_size: 131 }]);
    for (const r of [rr, lr, rh, mg]) expect(r.warnings.filter((w) => !/no route in this file/.test(w))).toEqual([]);
  });

  it('Envoy takes the first policy it can: lbsim passes over the ones it does not model, with a warning', () => {
    const r = importBalancerText(typed([T('client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin'), T('maglev.v3.Maglev')]), 'e.yaml');
    expect(r.algorithm).toBe('envoy/maglev');
    expect(r.warnings).toContainEqual(expect.stringMatching(/^e\.yaml:\d+: clusters\[api\]\.load_balancing_policy: passed over client_side_weighted_round_robin\.v3\.ClientSideWeightedRoundRobin \(not modelled\); using the next, Maglev/));
    const none = importBalancerText(typed([T('subset.v3.SubsetLoadBalancer')]), 'e.yaml');
    expect(none.algorithm).toBe('envoy/round_robin');
    expect(none.warnings).toContainEqual(expect.stringMatching(/load_balancing_policy: none of its policies is one lbsim models/));
  });

  it('WrrLocality balances its endpoint_picking_policy by locality weight', () => {
    const inner = `{ "@type": type.googleapis.com/envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality, endpoint_picking_policy: { policies: [{ typed_extension_config: { name: rr, typed_config: ${T('round_robin.v3.RoundRobin')} } }] } }`;
    const r = importBalancerText(typed([inner]), 'e.yaml');
    expect([r.algorithm, r.options]).toEqual(['envoy/round_robin', { locality_weighted_lb: true }]);
    const after = importBalancerText(typed([T('subset.v3.SubsetLoadBalancer'), inner]), 'e.yaml');
    expect(after.options).toEqual({ locality_weighted_lb: true });
    expect(after.warnings).toContainEqual(expect.stringMatching(/load_balancing_policy: passed over subset\.v3\.SubsetLoadBalancer \(not modelled\); using the next, WrrLocality/));
  });

  it('lb_policy beside it is ignored, as Envoy ignores it; a legacy config of another policy is ignored too', () => {
    const r = importBalancerText(typed([T('random.v3.Random')], '  lb_policy: MAGLEV\n'), 'e.yaml');
    expect(r.algorithm).toBe('envoy/random');
    expect(r.warnings).toContainEqual(expect.stringMatching(/clusters\[api\]\.lb_policy: ignored: load_balancing_policy is set/));
    const legacy = importBalancerText(cluster('  lb_policy: ROUND_ROBIN\n  ring_hash_lb_config: { minimum_ring_size: 64 }\n'), 'e.yaml');
    expect(legacy.options).toEqual({});
    expect(legacy.warnings).toContainEqual(expect.stringMatching(/ring_hash_lb_config: ignored: it configures envoy\/ring_hash, and lb_policy is ROUND_ROBIN/));
  });

  it('a typed policy\'s hash_balance_factor below 100 is Envoy\'s error at its line', () => {
    expect(() => importBalancerText(typed([T('maglev.v3.Maglev', 'consistent_hashing_lb_config: { hash_balance_factor: 50 }')]), 'e.yaml')).toThrow(/^e\.yaml:\d+: clusters\[api\]\.load_balancing_policy\.policies\[0\]\.typed_extension_config\.typed_config\.consistent_hashing_lb_config\.hash_balance_factor: 50 is invalid/);
  });
});
