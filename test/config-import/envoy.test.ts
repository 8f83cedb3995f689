/**
 * Envoy cluster import (src/config-import/envoy.ts): what Envoy rejects is an error at
 * FILE:LINE, priorities above 0 become backup servers with a warning saying how Envoy's
 * failover differs, and warnings carry the line of the field they are about.
 */
import { describe, expect, it } from 'vitest';
import { importBalancerText } from '../../src/config-import/index.ts';
import { isLbsimError } from '../../src/errors.ts';

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

  it('endpoints of priority 1 are backup servers, used together, with a warning at their line on how Envoy differs', () => {
    const r = importBalancerText(cluster('', two), 'e.yaml');
    expect(r.servers.map((s) => [s.name, s.backup ?? false])).toEqual([
      ['10.0.0.1:80', false],
      ['10.0.0.2:80', false],
      ['10.0.1.1:80', true],
      ['10.0.1.2:80', true],
    ]);
    expect(r.settings.allBackups).toBe(true);
    const w = r.warnings.filter((x) => /priority/.test(x));
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/^e\.yaml:9: clusters\[api\]\.load_assignment\.endpoints\[1\]\.priority: 1: imported as backup servers, used together \(allbackups\) once every priority-0 server is down\. Envoy fails over gradually instead: .*× 1\.4\) .*7% spills/);
  });

  it('the backups reach the simulation (server-health backup knobs, allbackups)', async () => {
    const { resolveBalancerSection } = await import('../../src/config-import/scenario.ts');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'lbsim-envoy-'));
    writeFileSync(join(dir, 'e.yaml'), cluster('', two));
    const names = ['10.0.0.1:80', '10.0.0.2:80', '10.0.1.1:80', '10.0.1.2:80'];
    const r = resolveBalancerSection({ from: 'e.yaml', cluster: 'api' }, names.map((name) => ({ name, weight: 1, concurrency: 1, queue: Infinity, speed: 1, outages: [] })), dir, 's.yaml');
    expect(names.map((n) => r.importedKnobs?.servers.get(n)?.backup ?? false)).toEqual([false, false, true, true]);
    expect(r.importedKnobs?.allBackups).toBe(true);
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
