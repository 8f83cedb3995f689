/**
 * Config imports on malformed input: whatever the shape of a field, an import returns a
 * balancer (with warnings) or throws an LbsimError naming the problem — never a
 * TypeError from a field that was not the shape the reader expected (a user's mistake
 * must not end in a stack trace). Random Envoy documents keep the structure the readers
 * walk (clusters, listeners, routes, hash policies, typed policies) with random JSON in
 * every position; HAProxy and nginx files are keyword lines with random arguments.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importBalancerText } from '../../src/config-import/index.ts';
import { isLbsimError } from '../../src/errors.ts';

/** The import's outcome: 'ok', or the LbsimError's code; anything else fails the property. */
function outcome(text: string, file: string): string {
  try {
    const r = importBalancerText(text, file);
    expect(r.warnings.every((w) => typeof w === 'string')).toBe(true);
    return 'ok';
  } catch (e) {
    if (isLbsimError(e)) return e.code;
    throw e;
  }
}

const anyJson = fc.jsonValue({ maxDepth: 3 });
/**
 * A value that is mostly the shape a reader expects, now and then anything: rare enough
 * that the readers' deep paths (listener → … → route → hash policy) are reached often.
 */
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 12, arbitrary: arb }, { weight: 1, arbitrary: anyJson });

const endpoint = fc.record({ endpoint: maybe(fc.record({ address: maybe(fc.record({ socket_address: maybe(fc.record({ address: maybe(fc.constantFrom('10.0.0.1', '10.0.0.2')), port_value: maybe(fc.integer({ min: 1, max: 65535 })) })) })) })), load_balancing_weight: fc.option(maybe(fc.integer({ min: -1, max: 300 })), { nil: undefined }) }, { requiredKeys: [] });
const hashPolicy = maybe(
  fc.oneof(
    fc.record({ header: maybe(fc.record({ header_name: maybe(fc.constantFrom(':path', 'x-user-id', 'host', 'x-forwarded-for')) })), terminal: fc.option(fc.boolean(), { nil: undefined }) }, { requiredKeys: ['header'] }),
    fc.record({ cookie: maybe(fc.record({ name: anyJson })) }),
    fc.record({ connection_properties: maybe(fc.record({ source_ip: anyJson })) }),
    fc.record({ query_parameter: anyJson }),
  ),
);
const typedPolicy = maybe(
  fc.record({
    typed_extension_config: maybe(
      fc.record({
        typed_config: maybe(
          fc.record(
            {
              '@type': maybe(fc.constantFrom('type.googleapis.com/envoy.extensions.load_balancing_policies.maglev.v3.Maglev', 'type.googleapis.com/envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash', 'type.googleapis.com/envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality', 'x')),
              table_size: maybe(fc.integer({ min: 0, max: 70000 })),
              consistent_hashing_lb_config: anyJson,
              endpoint_picking_policy: anyJson,
              locality_lb_config: anyJson,
              slow_start_config: anyJson,
            },
            { requiredKeys: ['@type'] },
          ),
        ),
      }),
    ),
  }),
);
const cluster = fc.record(
  {
    name: maybe(fc.constant('api')),
    lb_policy: maybe(fc.constantFrom('RING_HASH', 'MAGLEV', 'ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'LOAD_BALANCING_POLICY_CONFIG')),
    load_balancing_policy: maybe(fc.record({ policies: maybe(fc.array(typedPolicy, { maxLength: 3 })) })),
    common_lb_config: maybe(fc.record({ consistent_hashing_lb_config: anyJson, zone_aware_lb_config: anyJson, healthy_panic_threshold: anyJson }, { requiredKeys: [] })),
    ring_hash_lb_config: anyJson,
    load_assignment: maybe(fc.record({ endpoints: maybe(fc.array(maybe(fc.record({ lb_endpoints: maybe(fc.array(endpoint, { maxLength: 3 })), priority: fc.option(anyJson, { nil: undefined }) }, { requiredKeys: [] })), { maxLength: 2 })) })),
  },
  { requiredKeys: ['name', 'load_assignment'] },
);
const route = maybe(fc.record({ name: fc.option(anyJson, { nil: undefined }), route: maybe(fc.record({ cluster: maybe(fc.constant('api')), hash_policy: maybe(fc.array(hashPolicy, { minLength: 1, maxLength: 3 })), weighted_clusters: fc.option(anyJson, { nil: undefined }) }, { requiredKeys: ['cluster'] })) }, { requiredKeys: ['route'] }));
const listener = maybe(
  fc.record({
    filter_chains: maybe(fc.array(maybe(fc.record({ filters: maybe(fc.array(maybe(fc.record({ typed_config: maybe(fc.record({ route_config: maybe(fc.record({ virtual_hosts: maybe(fc.array(maybe(fc.record({ name: anyJson, routes: maybe(fc.array(route, { minLength: 1, maxLength: 3 })) }, { requiredKeys: ['routes'] })), { minLength: 1, maxLength: 2 })) })) })) })), { minLength: 1, maxLength: 2 })) })), { minLength: 1, maxLength: 2 })),
  }),
);
const bootstrap = fc.record({ static_resources: fc.record({ listeners: maybe(fc.array(listener, { minLength: 1, maxLength: 2 })), clusters: fc.array(cluster, { minLength: 1, maxLength: 1 }) }) });

describe('config imports never crash on a malformed field', () => {
  it('Envoy: bootstraps with random shapes in listeners, routes, hash policies and typed policies', () => {
    fc.assert(
      fc.property(bootstrap, (doc) => {
        outcome(JSON.stringify(doc), 'envoy.json');
      }),
      { numRuns: 400, seed: 19 },
    );
  });

  it('HAProxy: backend keyword lines with random arguments', () => {
    const keyword = fc.constantFrom('balance', 'hash-type', 'hash-balance-factor', 'cookie', 'stick-table', 'stick', 'retries', 'retry-on', 'timeout', 'option', 'default-server', 'server', 'http-check');
    const arg = fc.oneof(fc.constantFrom('uri', 'source', 'hash', 'path', 'src', 'consistent', 'random(3)', 'on', 'insert', 'maxidle', 'weight', 'cookie', 'backup', 'check', '150', '0', '-1', 'abc', ''), fc.string({ maxLength: 6 }).filter((w) => !/[\s#"']/.test(w)));
    const line = fc.tuple(keyword, fc.array(arg, { maxLength: 5 })).map(([k, args]) => `  ${[k, ...args].filter((w) => w !== '').join(' ')}`);
    for (const lines of [fc.tuple(line), fc.array(line, { maxLength: 8 })]) {
      fc.assert(
        fc.property(lines, (ls) => {
          outcome(`defaults\n  mode http\nbackend app\n${ls.join('\n')}\n  server s1 10.0.0.1:80\n`, 'h.cfg');
        }),
        { numRuns: 400, seed: 19 },
      );
    }
  });

  it('nginx: upstream directives with random arguments', () => {
    const directive = fc.constantFrom('hash', 'sticky', 'least_conn', 'random', 'ip_hash', 'zone', 'server', 'keepalive');
    const arg = fc.oneof(fc.constantFrom('$request_uri', '$remote_addr', '$http_x_forwarded_for', 'consistent', 'learn', 'cookie', 'timeout=1h', 'timeout=x', 'expires=1h', 'two', 'weight=3', 'weight=0', '10.0.0.2:80', 'backup', 'down'), fc.string({ maxLength: 6 }).filter((w) => !/[\s;{}#"'$\\]/.test(w) && w !== ''));
    const line = fc.tuple(directive, fc.array(arg, { maxLength: 4 })).map(([d, args]) => `    ${[d, ...args].join(' ')};`);
    // One line alone (an earlier line's error would end the import before a later one is read), then several.
    for (const lines of [fc.tuple(line), fc.array(line, { maxLength: 6 })]) {
      fc.assert(
        fc.property(lines, (ls) => {
          outcome(`http {\n  upstream app {\n    server 10.0.0.1:80;\n${ls.join('\n')}\n  }\n}\n`, 'n.conf');
        }),
        { numRuns: 400, seed: 19 },
      );
    }
  });
});
