/**
 * An Envoy bootstrap for the import tests: one listener whose HTTP connection manager
 * routes with `routes` (YAML lines of the `routes:` list, unindented), and cluster `api`
 * with `lb_policy` over endpoints at `addresses` (port 80).
 */
export function envoyBootstrap(lbPolicy: string, routes: readonly string[], addresses: readonly string[]): string {
  return [
    'static_resources:',
    '  listeners:',
    '  - name: ingress',
    '    filter_chains:',
    '    - filters:',
    '      - name: envoy.filters.network.http_connection_manager',
    '        typed_config:',
    '          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    '          route_config:',
    '            virtual_hosts:',
    '            - name: web',
    '              domains: ["*"]',
    '              routes:',
    ...routes.map((r) => `              ${r}`),
    '  clusters:',
    '  - name: api',
    `    lb_policy: ${lbPolicy}`,
    '    load_assignment:',
    '      cluster_name: api',
    '      endpoints:',
    '      - lb_endpoints:',
    ...addresses.map((a) => `        - endpoint: { address: { socket_address: { address: ${a}, port_value: 80 } } }`),
    '',
  ].join('\n');
}

/** A route of every path to `cluster`, with `hash_policy: <policies>` unless empty. */
export const routeTo = (policies: string, cluster = 'api'): string[] => ['- match: { prefix: "/" }', '  route:', `    cluster: ${cluster}`, ...(policies === '' ? [] : [`    hash_policy: ${policies}`])];
