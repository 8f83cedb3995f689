/**
 * Proxy configuration files straight on the command line, through the real binary:
 * `lbsim diff old.cfg new.cfg --traffic t.lbt` (HAProxy and nginx; exit 0 for an
 * unchanged config, 1 for a regression), `validate` on a config told apart by content,
 * a config with two backends and no --backend (exit 2, names listed), and `run`
 * printing the importer's warnings. The trace is made here: 20 s at 300 requests/s of
 * 20 ms work, imported from CSV.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DiffResult } from '../../src/workflows/diff.ts';
import { hasStackTrace, runCli as spawnCli } from '../helpers/cli.ts';

const runCli = (args: readonly string[]) => spawnCli(args, { timeoutMs: 280_000 });
const SLOW = 300_000;
const dir = mkdtempSync(join(tmpdir(), 'lbsim-config-files-'));
const trace = join(dir, 't.lbt');

function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

beforeAll(async () => {
  const rows = ['timestamp,duration_ms,client_ip,path,status,backend'];
  const start = Date.parse('2024-04-15T10:00:00Z');
  for (let i = 0; i < 6000; i++) {
    const at = new Date(start + i * (20_000 / 6000) + (i % 7) * 0.3).toISOString();
    rows.push(`${at},${(14 + ((i * 37) % 13)).toFixed(3)},203.0.113.${i % 200},/k${i % 50},200,web`);
  }
  const csv = file('t.csv', `${rows.join('\n')}\n`);
  const r = await runCli(['import', csv, '-o', trace]);
  expect(r.code, r.stderr).toBe(0);
}, SLOW);

/** Four equal servers, or the 2024-04-15 typo: one of them at weight 100 (77% of the traffic). */
const haproxy = (typo: boolean) => `global
    maxconn 2000
defaults
    mode http
    timeout connect 5s
backend app
    balance roundrobin
    server s1 10.0.0.1:80 weight 10
    server s2 10.0.0.2:80 weight 10
    server s3 10.0.0.3:80 weight 10
    server s4 10.0.0.4:80 weight ${typo ? 100 : 10}
`;

const nginx = (typo: boolean) => `events {}
http {
    upstream app {
        server 10.0.0.1:80 weight=10;
        server 10.0.0.2:80 weight=10;
        server 10.0.0.3:80 weight=10;
        server 10.0.0.4:80 weight=${typo ? 100 : 10};
    }
}
`;

function diffJson(res: { code: number | null; stdout: string; stderr: string }): DiffResult {
  try {
    return JSON.parse(res.stdout) as DiffResult;
  } catch {
    throw new Error(`expected JSON on stdout (exit ${res.code}); stderr:\n${res.stderr}`);
  }
}

describe('lbsim diff on proxy config files', { timeout: SLOW }, () => {
  it.each([
    ['HAProxy', 'cfg', haproxy],
    ['nginx', 'conf', nginx],
  ] as const)('%s: the same config passes (exit 0), the weight typo regresses (exit 1)', async (_kind, ext, config) => {
    const old = file(`old.${ext}`, config(false));
    const same = join(dir, `same.${ext}`);
    copyFileSync(old, same);
    const typo = file(`new.${ext}`, config(true));
    const common = ['--traffic', trace, '--concurrency', '2', '--replications', '2', '--format', 'json'];

    const pass = await runCli(['diff', old, same, ...common]);
    expect(pass.code, pass.stderr).toBe(0);
    const p = diffJson(pass);
    expect(p.verdict.pass).toBe(true);
    expect(p.backends.map((b) => b.shareAfter)).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(pass.stderr).toMatch(/each server modelled with 2 slots and an unbounded queue/);

    const fail = await runCli(['diff', old, typo, ...common]);
    expect(fail.code, fail.stderr).toBe(1);
    const f = diffJson(fail);
    expect(f.verdict.pass).toBe(false);
    // The backends are named as the config names them (HAProxy: server name; nginx: address:port).
    expect(f.backends.map((b) => b.name)).toEqual(ext === 'cfg' ? ['s1', 's2', 's3', 's4'] : ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80']);
    expect(f.backends[3]!.shareAfter).toBeCloseTo(100 / 130, 2);
  });

  it('takes the backend model and traffic from --scenario; without traffic, exit 2 saying what to give', async () => {
    const old = file('m-old.cfg', haproxy(false));
    const base = file(
      'base.yaml',
      `seed: 4
traffic: { trace: ${trace} }
balancer: { algorithm: round-robin }
backends:
  - { name: any, concurrency: 3, queue: 10 }
slo: { p99: 1s }
`,
    );
    const r = await runCli(['diff', old, old, '--scenario', base, '--replications', '2', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/each server modelled/);
    expect(diffJson(r).after.seeds).toEqual([4, 5]);

    const none = await runCli(['diff', old, old]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/m-old\.cfg is an HAProxy configuration: give the traffic to replay through it with --traffic FILE/);
    expect(hasStackTrace(none.stderr)).toBe(false);
  });

  it('a config with two backends and no --backend: exit 2 listing them; --backend picks one', async () => {
    const two = resolve('test/fixtures/configs/haproxy.cfg');
    const r = await runCli(['diff', two, two, '--traffic', trace]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/haproxy\.cfg: 2 backends \(app, api\); choose one with --backend NAME/);
    expect(hasStackTrace(r.stderr)).toBe(false);
    const v = await runCli(['validate', two]);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/2 backends \(app, api\)/);
    const n = await runCli(['validate', resolve('test/fixtures/configs/nginx.conf')]);
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/2 upstreams \(app, cache\); choose one with --backend NAME/);
    const ok = await runCli(['validate', two, '--backend', 'api']);
    expect(ok.stdout).toMatch(/^checked haproxy api: haproxy\/uri/);
  });
});

describe('lbsim validate and run on config files', { timeout: SLOW }, () => {
  it('validate refuses what the proxy refuses to start with: exit 2 and FILE:LINE (HAProxy balance, HAProxy and nginx weights, Envoy weights)', async () => {
    const bad = file('bad.cfg', 'defaults\n  mode http\nbackend app\n  balance leestconn\n  server s1 10.0.0.1:80\n');
    const v = await runCli(['validate', bad]);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/bad\.cfg:4: balance leestconn: unknown algorithm \(HAProxy 2\.6 refuses to start\); expected one of roundrobin, static-rr, leastconn/);
    expect(hasStackTrace(v.stderr)).toBe(false);
    const heavy = await runCli(['validate', file('heavy.cfg', 'backend app\n  server s1 10.0.0.1:80 weight 300\n')]);
    expect([heavy.code, heavy.stderr]).toEqual([2, expect.stringMatching(/heavy\.cfg:2: server s1: weight 300 is not within 0 and 256/)]);
    const zero = await runCli(['validate', file('zero.conf', 'http {\n  upstream app {\n    server 10.0.0.1:80 weight=0;\n  }\n}\n')]);
    expect([zero.code, zero.stderr]).toEqual([2, expect.stringMatching(/zero\.conf:3: server 10\.0\.0\.1:80: invalid parameter "weight=0"/)]);
    const envoy = await runCli(['validate', file('zero-cluster.yaml', 'name: api\nload_assignment:\n  cluster_name: api\n  endpoints:\n    - lb_endpoints:\n        - endpoint: { address: { socket_address: { address: 10.0.0.1, port_value: 80 } } }\n          load_balancing_weight: 0\n')]);
    expect([envoy.code, envoy.stderr]).toEqual([2, expect.stringMatching(/load_balancing_weight: 0 is invalid: Envoy 1\.28 requires a whole number >= 1/)]);
  });

  it("two HAProxy servers of one name: exit 2 at the second one's line, naming the first, from validate and diff alike", async () => {
    const dup = file('dup.cfg', 'backend api\n    balance roundrobin\n    server w1 10.0.0.1:80\n    server w1 10.0.0.2:80\n');
    const message = `lbsim: ${dup}:4: backend 'api', another server named 'w1' was already defined at line 3, please use distinct names (HAProxy 2.6 refuses to start)\n`;
    const v = await runCli(['validate', dup]);
    expect([v.code, v.stderr]).toEqual([2, message]);
    const d = await runCli(['diff', dup, dup, '--traffic', trace]);
    expect([d.code, d.stderr]).toEqual([2, message]);
  });

  it('validate tells the kind by content: an Envoy cluster named .txt, an nginx file named .cfg', async () => {
    const envoy = file('cluster.txt', 'name: api\nlb_policy: ROUND_ROBIN\nload_assignment:\n  cluster_name: api\n  endpoints:\n    - lb_endpoints:\n        - endpoint: { address: { socket_address: { address: 10.0.0.1, port_value: 80 } } }\n          load_balancing_weight: 1\n        - endpoint: { address: { socket_address: { address: 10.0.0.2, port_value: 80 } } }\n          health_status: DRAINING\n');
    const e = await runCli(['validate', envoy]);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/^checked envoy api: envoy\/round_robin, 2 servers/);
    // (A load_balancing_weight of 0 is refused, as Envoy refuses it: drained is health_status DRAINING.)
    expect(e.stdout).toMatch(/10\.0\.0\.2:80 is marked down: it takes no traffic/);

    const misnamed = file('upstreams.cfg', nginx(true));
    const m = await runCli(['validate', misnamed, '--strict']);
    expect(m.stdout).toMatch(/^checked nginx app: nginx\/round_robin, 4 servers/);
    expect(m.stdout).toMatch(/upstreams\.cfg:7: 10\.0\.0\.4:80\.weight: warning: 10\.0\.0\.4:80 gets 77% of the traffic/);
    expect(m.code).toBe(1);
  });

  it('run prints the importer warnings of balancer.from on stderr as FILE:LINE: what', async () => {
    copyFileSync(resolve('test/fixtures/configs/haproxy.cfg'), join(dir, 'prod.cfg'));
    const scenario = file(
      'from-cfg.yaml',
      `duration: 5s
traffic: { synthetic: { rate: 100/s, service: { distribution: exponential, mean: 5ms } } }
balancer: { from: prod.cfg, backend: app }
backends:
  - { name: web1, concurrency: 4 }
  - { name: web2, concurrency: 4 }
  - { name: web3, concurrency: 4 }
  - { name: spare, concurrency: 4 }
`,
    );
    const r = await runCli(['run', scenario, '--no-tui']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/prod\.cfg:30: 'http-check expect status 200' not understood by the importer; ignored/);
    // The spare's missing cookie value is simulated (it pins no client), not warned of.
    expect(r.stderr).not.toMatch(/cookie value/);
  });
});
