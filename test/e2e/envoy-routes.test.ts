/**
 * An Envoy ring_hash cluster hashes what its *route* names (hash_policy); a route without
 * one gives no hash and Envoy balances at random. Through the real binary, from a
 * bootstrap (test/helpers/envoy-bootstrap.ts): 400 requests of one client to one path stay on one host when the route
 * hashes the path or the source address, and spread over all four when the route has no
 * hash_policy (which `run` says, at the route's line); `diff` of the two shows it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/types.ts';
import { runCli } from '../helpers/cli.ts';
import { envoyBootstrap, routeTo } from '../helpers/envoy-bootstrap.ts';

const SLOW = 120_000;
const dir = mkdtempSync(join(tmpdir(), 'lbsim-envoy-routes-'));
const rows = ['timestamp,duration_ms,client_ip,path,status'];
for (let i = 0; i < 400; i++) rows.push(`${1713175200 + i / 20},5,10.0.0.9,/cart,200`);
const log = join(dir, 'one-client.csv');
writeFileSync(log, `${rows.join('\n')}\n`);
const servers = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80'];

/** A bootstrap: a listener routing / to cluster api (hash_policy `policy`, none if empty), a RING_HASH cluster of four hosts. */
function bootstrap(name: string, policy: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, envoyBootstrap('RING_HASH', routeTo(policy), servers.map((s) => s.split(':')[0]!)));
  return file;
}

function scenario(config: string): string {
  const file = `${config}.scenario.yaml`;
  writeFileSync(file, `name: envoy-routes\ntraffic: { trace: ${log} }\nbalancer: { from: ${config}, cluster: api }\nbackends: [${servers.map((s) => `{ name: '${s}' }`).join(', ')}]\n`);
  return file;
}

const busy = (r: Report) => r.backends.filter((b) => b.requests > 0).length;

describe('Envoy route hash_policy, end to end', { timeout: SLOW }, () => {
  it('a :path or source_ip hash keeps one client\'s requests to one path on one host; no hash_policy spreads them at random, and run says so', async () => {
    for (const [name, policy, hosts] of [
      ['path', '[{ header: { header_name: ":path" } }]', 1],
      ['source-ip', '[{ connection_properties: { source_ip: true } }]', 1],
      ['none', '', 4],
    ] as const) {
      const r = await runCli(['run', scenario(bootstrap(name, policy)), '--format', 'json', '--no-tui']);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as Report;
      expect(report.requests.total, name).toBe(400);
      expect(busy(report), name).toBe(hosts);
      // The report names the key the import chose.
      expect(report.options, name).toEqual({ hash_key: { path: 'uri', 'source-ip': 'client', none: 'random' }[name] });
      if (hosts === 4) {
        // At random by the hosts' shares of a 1024-point ring: none near all of it.
        expect(Math.max(...report.backends.map((b) => b.requests))).toBeLessThan(200);
        expect(r.stderr).toMatch(/none\.yaml:15: virtual host 'web', route 0 sends to this cluster with no hash_policy: Envoy has no request hash and draws a random one per request/);
      } else expect(r.stderr).not.toMatch(/hash_policy/);
    }
  });

  it('lbsim diff of a route that loses its hash_policy shows the one busy host spread out', async () => {
    const r = await runCli(['diff', bootstrap('old', '[{ connection_properties: { source_ip: true } }]'), bootstrap('new', ''), '--traffic', log, '--replications', '2', '--threads', '1', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/new\.yaml:15: virtual host 'web', route 0 sends to this cluster with no hash_policy/);
    const out = JSON.parse(r.stdout) as { before: { options?: object }; after: { options?: object }; backends: { shareBefore: number; shareAfter: number }[] };
    // One algorithm on both sides: the options that tell them apart.
    expect([out.before.options, out.after.options]).toEqual([{ hash_key: 'client' }, { hash_key: 'random' }]);
    expect(out.backends.map((b) => b.shareBefore).sort()).toEqual([0, 0, 0, 1]);
    for (const b of out.backends) expect(b.shareAfter).toBeGreaterThan(0.1);
  });
});
