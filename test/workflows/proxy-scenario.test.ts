/**
 * A scenario built from a proxy config (src/workflows/proxy-scenario.ts): what comes from
 * the config (algorithm, weights, server names), from a base scenario (traffic, timings,
 * SLO, the model of each server: its namesake, else the first backend) or from the flags.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfigText } from '../../src/config-import/index.ts';
import { isLbsimError } from '../../src/errors.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { proxyScenario } from '../../src/workflows/proxy-scenario.ts';

const cfg = join(import.meta.dirname, '..', 'fixtures', 'configs', 'haproxy.cfg');
const base = parseScenario(
  `name: base
seed: 9
duration: 30s
timeout: 3s
traffic: { synthetic: { rate: 50/s, service: { distribution: exponential, mean: 20ms } } }
balancer: { algorithm: round-robin }
backends:
  - { name: template, concurrency: 4, queue: 20, speed: 1.5 }
  - { name: web3, concurrency: 1, queue: 5, outages: [{ from: 10s, to: 12s }] }
slo: { p99: 200ms }
`,
  { file: 'base.yaml' },
);

describe('proxyScenario', () => {
  it('with a base: the config decides balancer and weights, the namesake or the first backend the model, the base the rest', async () => {
    const s = await proxyScenario(cfg, readConfigText(cfg), { backend: 'app', base });
    expect(s.balancer.algorithm).toBe('haproxy/leastconn');
    expect(s.backends.map((b) => [b.name, b.concurrency, b.queue, b.speed, b.outages.length])).toEqual([
      ['web1', 4, 20, 1.5, 0],
      ['web2', 4, 20, 1.5, 0],
      ['web3', 1, 5, 1, 1],
      ['spare', 4, 20, 1.5, 0],
    ]);
    // Weights as balancer.from maps them (the backup's is the importer's business).
    expect(s.backends.slice(0, 3).map((b) => b.weight)).toEqual([100, 100, 50]);
    // Backups, checks and slow start from the config, as balancer.from maps them.
    expect(s.backends.map((b) => [b.backup ?? false, b.check?.interMs, b.slowStart])).toEqual([
      [false, 3000, { proxy: 'haproxy', periodMs: 60_000 }],
      [false, 3000, { proxy: 'haproxy', periodMs: 60_000 }],
      [false, 3000, { proxy: 'haproxy', periodMs: 60_000 }],
      [true, 3000, { proxy: 'haproxy', periodMs: 60_000 }],
    ]);
    expect(s.serverSet).toEqual({ allBackups: false, outlier: null });
    // maxconn and the proxy's queue timeout, retries and redispatch come from the config too (src/engine/proxy.ts).
    expect(s.backends.map((b) => b.maxconn ?? null)).toEqual([200, 200, 100, null]);
    expect(s.proxy).toMatchObject({ timeoutQueueMs: 10_000, retries: 3, redispatch: 'last', queue: true });
    expect([s.seed, s.durationMs, s.timeoutMs, s.slo?.p99, s.traffic.kind]).toEqual([9, 30_000, 3000, 200, 'synthetic']);
    // Warnings name the file as given; the servers modelled on the first backend are named in a note.
    const warnings = s.balancer.imported!.warnings;
    expect(warnings.filter((w) => !w.startsWith(cfg))).toEqual([
      "note: base.yaml: no backend named web1, web2, spare: those servers are modelled on its first backend 'template' (4 slots, queue 20, speed 1.5)",
    ]);
  });

  it('a base whose differing backends match no server is an error; a one-backend base models every server, said in a note', async () => {
    const byRole = parseScenario(
      'name: roles\nduration: 10s\ntraffic: { synthetic: { rate: 50/s, service: { distribution: constant, mean: 20ms } } }\nbalancer: { algorithm: round-robin }\nbackends:\n  - { name: web-1, concurrency: 1 }\n  - { name: web-2, concurrency: 16 }\n  - { name: web-3, concurrency: 16 }\n',
      { file: 'roles.yaml' },
    );
    const e = await proxyScenario(cfg, readConfigText(cfg), { backend: 'app', base: byRole }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isLbsimError(e) && e.code).toBe('USAGE');
    expect((e as Error).message).toMatch(/^roles\.yaml: none of its backends \(web-1, web-2, web-3\) is a server of .*haproxy\.cfg backend 'app' \(web1, web2, web3, spare\), and they differ/);
    const one = parseScenario('name: one\nduration: 10s\ntraffic: { synthetic: { rate: 50/s, service: { distribution: constant, mean: 20ms } } }\nbalancer: { algorithm: round-robin }\nbackends: [{ name: box, concurrency: 16 }]\n', { file: 'one.yaml' });
    const s = await proxyScenario(cfg, readConfigText(cfg), { backend: 'app', base: one });
    expect(s.backends.map((b) => b.concurrency)).toEqual([16, 16, 16, 16]);
    expect(s.balancer.imported!.warnings).toContain("note: one.yaml: no backend named web1, web2, web3, spare: those servers are modelled on its first backend 'box' (16 slots, queue unbounded, speed 1)");
  });

  it('with a base and a trace: the trace is the traffic, the base the rest', async () => {
    const log = join(import.meta.dirname, '..', 'fixtures', 'haproxy.log');
    const s = await proxyScenario(cfg, readConfigText(cfg), { backend: 'app', base, traffic: log });
    expect(s.traffic.kind).toBe('trace');
    expect([s.seed, s.timeoutMs, s.slo?.p99, s.backends[2]!.concurrency]).toEqual([9, 3000, 200, 1]);
  });

  it('needs traffic or a base, and a backend when the file has several', async () => {
    const fail = async (p: Promise<unknown>, re: RegExp) => {
      const e = await p.then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(isLbsimError(e) && e.code).toBe('USAGE');
      expect((e as Error).message).toMatch(re);
    };
    await fail(proxyScenario(cfg, readConfigText(cfg), { backend: 'app' }), /give the traffic to replay through it with --traffic FILE/);
    await fail(proxyScenario(cfg, readConfigText(cfg), { base }), /2 backends \(app, api\); choose one with --backend NAME/);
  });
});
