/**
 * Hashing the whole request target (nginx `hash $request_uri`, HAProxy `balance uri
 * whole`) against the path alone (`$uri`, `balance uri`): a log whose requests share a
 * path and differ in their query string. nginx spreads them over its servers; hashing the
 * path puts them all on one. Through the real binary, from proxy configs and from a
 * scenario, and over a trace of an older lbsim (no uri keys), which is said.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/types.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { runScenario } from '../../src/simulate.ts';
import { importLog } from '../../src/traffic/readers/import.ts';
import { runCli } from '../helpers/cli.ts';
import { asVersion1 } from '../helpers/lbt-v1.ts';

const SLOW = 120_000;
const dir = mkdtempSync(join(tmpdir(), 'lbsim-request-uri-'));
// 400 searches, one path, 400 query strings, 50 ms apart.
const rows = ['timestamp,duration_ms,client_ip,path,status'];
for (let i = 0; i < 400; i++) rows.push(`${1713175200 + i / 20},5,10.0.${i % 200}.9,/search?q=${i},200`);
const log = join(dir, 'search.csv');
writeFileSync(log, `${rows.join('\n')}\n`);
const servers = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80'];

const busy = (r: Report) => r.backends.filter((b) => b.requests > 0).length;

function scenario(name: string, trace: string, balancer: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\ntraffic: { trace: ${trace} }\nbalancer: ${balancer}\nbackends: [${servers.map((s) => `{ name: '${s}' }`).join(', ')}]\n`);
  return file;
}

describe('the query string in the hash key', { timeout: SLOW }, () => {
  it('nginx/hash key: request_uri, haproxy/uri whole and Envoy hash_key: uri spread one path\'s queries; the path keys put them on one server', async () => {
    const cases = [
      ['nginx-path', '{ algorithm: nginx/hash, consistent: true }', 1],
      ['nginx-uri', '{ algorithm: nginx/hash, consistent: true, key: request_uri }', 4],
      ['nginx-plain-uri', '{ algorithm: nginx/hash, key: request_uri }', 4],
      ['haproxy-path', '{ algorithm: haproxy/uri }', 1],
      ['haproxy-whole', '{ algorithm: haproxy/uri, whole: true }', 4],
      ['envoy-ring-path', '{ algorithm: envoy/ring_hash }', 1],
      ['envoy-ring-uri', '{ algorithm: envoy/ring_hash, hash_key: uri }', 4],
      ['envoy-maglev-uri', '{ algorithm: envoy/maglev, hash_key: uri }', 4],
    ] as const;
    for (const [name, balancer, used] of cases) {
      const report = await runScenario(await loadScenario(scenario(name, 'search.csv', balancer)));
      expect(report.requests.total, name).toBe(400);
      expect(busy(report), name).toBe(used);
      // Spread, not merely touched: no server takes more than half.
      if (used === 4) expect(Math.max(...report.backends.map((b) => b.requests)), name).toBeLessThan(200);
    }
  });

  it('lbsim diff of `hash $uri` against `hash $request_uri` (nginx configs) shows the one hot server spread out', async () => {
    const conf = (key: string) => `upstream search {\n  zone search 64k;\n  hash ${key} consistent;\n${servers.map((s) => `  server ${s};\n`).join('')}}\n`;
    writeFileSync(join(dir, 'old.conf'), conf('$uri'));
    writeFileSync(join(dir, 'new.conf'), conf('$request_uri'));
    const r = await runCli(['diff', join(dir, 'old.conf'), join(dir, 'new.conf'), '--traffic', log, '--replications', '2', '--threads', '1', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/request_uri/);
    const out = JSON.parse(r.stdout) as { backends: { name: string; shareBefore: number; shareAfter: number }[] };
    expect(out.backends.map((b) => b.shareBefore).sort()).toEqual([0, 0, 0, 1]);
    for (const b of out.backends) expect(b.shareAfter).toBeGreaterThan(0.15);
  });

  it('a trace imported before uri keys (version 1): the replay hashes its paths, and run and validate say so', async () => {
    const lbt = join(dir, 'search.lbt');
    await importLog(log, lbt, { format: 'csv', threads: 1 });
    writeFileSync(join(dir, 'old.lbt'), asVersion1(readFileSync(lbt)));
    const old = scenario('old-trace', 'old.lbt', '{ algorithm: nginx/hash, consistent: true, key: request_uri }');
    expect(busy(await runScenario(await loadScenario(old)))).toBe(1);
    const run = await runCli(['run', old, '--format', 'json', '--no-tui']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/note: .*old\.lbt was imported by an lbsim older than its uri keys .*nginx\/hash hashes the path with its query string, and gets the path without it; re-import the log/);
    const v = await runCli(['validate', old]);
    expect(v.stdout).toMatch(/warning.*old\.lbt was imported by an lbsim older than its uri keys/);
    // The same balancer over the trace this lbsim imported: no note.
    const fresh = await runCli(['run', scenario('new-trace', 'search.lbt', '{ algorithm: nginx/hash, consistent: true, key: request_uri }'), '--format', 'json', '--no-tui']);
    expect(fresh.stderr).not.toMatch(/older than its uri keys/);
    expect(busy(JSON.parse(fresh.stdout) as Report)).toBe(4);
  });

  it("a balancer file that exports routeKey: () => 'uri' is given the whole target's key; one with priorityLevels may have backends at level 1", async () => {
    const file = (name: string, extra: string) => {
      writeFileSync(join(dir, name), `export default { name: '${name}', description: 'route mod n', ${extra} create: ({ backends }) => ({ pick: (_r, _c, route) => route % backends.count, saveState: () => [], loadState: () => {} }) };\n`);
      return `./${name}`;
    };
    const byUri = await runScenario(await loadScenario(scenario('mine-uri', 'search.csv', `{ algorithm: ${file('uri.js', "routeKey: () => 'uri',")} }`)));
    const byPath = await runScenario(await loadScenario(scenario('mine-path', 'search.csv', `{ algorithm: ${file('path.js', '')} }`)));
    expect([busy(byUri), busy(byPath)]).toEqual([4, 1]);
    const levels = join(dir, 'levels.yaml');
    writeFileSync(levels, `name: levels\ntraffic: { trace: search.csv }\nbalancer: { algorithm: ${file('levels.js', 'priorityLevels: true,')} }\nbackends: [{ name: a }, { name: b, priority: 1 }]\n`);
    const r = await runCli(['run', levels, '--format', 'json', '--no-tui']);
    expect(r.stderr).not.toMatch(/priority/);
    expect(r.code).toBe(0);
  });
});
