import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mmcBlocking } from '../../src/workflows/queueing.ts';
import { validateScenarioFile, validateText } from '../../src/workflows/validate.ts';

const base = (backends: string, extra = '', algorithm = 'weighted-round-robin') => `duration: 10m
${extra}traffic:
  synthetic:
    rate: 100/s
    service: { distribution: exponential, mean: 20ms }
balancer: { algorithm: ${algorithm} }
backends:
${backends}
`;

const fields = (text: string) => validateText(text, 'c.yaml').findings.map((f) => `${f.line}:${f.field}:${f.severity}`);

describe('validate', () => {
  it('an even, roomy fleet is clean', () => {
    expect(validateText(base('  - { name: web, count: 4, concurrency: 2 }'), 'c.yaml').findings).toEqual([]);
  });

  it('flags a weight that sends most traffic to one backend, and the overload it causes, at that line', () => {
    const v = validateText(base('  - { name: web, count: 3, weight: 10 }\n  - { name: hot, weight: 100 }'), 'c.yaml');
    expect(fields(base('  - { name: web, count: 3, weight: 10 }\n  - { name: hot, weight: 100 }'))).toEqual(['9:backends[1].weight:warning', '9:backends[1].weight:error']);
    expect(v.findings[1]!.message).toContain('77% of the traffic (weight 100 of 130): 76.9/s at peak against a capacity of 50.0/s');
  });

  it('persistence: the heaviest client pinned to one server (Zipf share) against the largest backend; fewer clients than backends', () => {
    const sticky = (clients: string, rate = '100/s') =>
      base('  - { name: web, count: 4, concurrency: 2 }')
        .replace('rate: 100/s', `rate: ${rate}`)
        .replace('    service: { distribution: exponential, mean: 20ms }', `    service: { distribution: exponential, mean: 20ms }\n    clients: ${clients}`)
        .replace('weighted-round-robin }', 'weighted-round-robin, persistence: { max_idle: 30m } }');
    const found = (text: string) => validateText(text, 'c.yaml').findings.map((f) => `${f.field}:${f.severity}: ${f.message}`);
    // Each backend serves 100/s (2 slots, 20 ms). 1000 even clients: the heaviest sends 0.1%.
    expect(found(sticky('{ count: 1000, skew: 0 }', '300/s'))).toEqual([]);
    // 5 clients of skew 2: the heaviest sends 1/(1 + 1/4 + 1/9 + 1/16 + 1/25) = 68.3% of the traffic.
    expect(found(sticky('{ count: 5, skew: 2 }'))).toEqual([]);
    expect(found(sticky('{ count: 5, skew: 2 }', '130/s'))).toEqual(['balancer.persistence:warning: persistence pins the heaviest client (68% of the traffic) to one server: 88.8/s at peak, utilization 0.89 even on the largest backend']);
    expect(found(sticky('{ count: 5, skew: 2 }', '200/s'))).toEqual([
      "balancer.persistence:error: persistence pins the heaviest client (68% of the traffic: 5 clients, skew 2) to one server: 137/s at peak, more than the largest backend's capacity 100/s",
    ]);
    expect(found(sticky('{ count: 2, skew: 0 }'))).toEqual(['balancer.persistence:warning: persistence pins each of the 2 clients to one server: at most 2 of the 4 backends get traffic']);
    // A stick table smaller than the clients: they are trashed and come back unpinned; at its line.
    const sized = (size: number) => sticky('{ count: 1000, skew: 0 }', '300/s').replace('persistence: { max_idle: 30m }', `persistence: { max_idle: 30m, table_size: ${size} }`);
    expect(found(sized(1000))).toEqual([]);
    expect(found(sized(999))).toEqual([
      'balancer.persistence.table_size:warning: the stick table holds 999 clients and the traffic has 1000: clients are trashed to make room for others, and a trashed client is balanced afresh when it comes back (unless max_idle drops clients first)',
    ]);
    expect(validateText(sized(999), 'c.yaml').findings[0]!.line).toBe(7); // the balancer line
  });

  it('hashing by client or by path sends the heaviest key to one server too: the same check, and what would bound it; none with a bound', () => {
    const hashed = (balancer: string, rate = '200/s') =>
      base('  - { name: web, count: 4, concurrency: 2 }')
        .replace('rate: 100/s', `rate: ${rate}`)
        .replace('    service: { distribution: exponential, mean: 20ms }', '    service: { distribution: exponential, mean: 20ms }\n    clients: { count: 5, skew: 2 }')
        .replace('{ algorithm: weighted-round-robin }', balancer);
    const found = (text: string) => validateText(text, 'c.yaml').findings.map((f) => `${f.field}:${f.severity}: ${f.message}`);
    const heavy = "the heaviest client (68% of the traffic: 5 clients, skew 2) to one server: 137/s at peak, more than the largest backend's capacity 100/s";
    expect(found(hashed('{ algorithm: envoy/ring_hash, hash_key: client }'))).toEqual([`balancer.hash_key:error: envoy/ring_hash hashes by client and sends ${heavy} (Envoy's hash_balance_factor caps a host's share of the requests in flight)`]);
    expect(found(hashed('{ algorithm: envoy/maglev, hash_key: client, hash_balance_factor: 150 }'))).toEqual([]);
    // Hashed by path (the default key) over traffic of one path: everything on one host.
    expect(found(hashed('{ algorithm: envoy/ring_hash }'))).toEqual([
      'balancer.algorithm:warning: envoy/ring_hash hashes by path and sends every request (one path) to one server: at most 1 of the 4 backends gets traffic',
      "balancer.algorithm:error: envoy/ring_hash hashes by path and sends the heaviest path (100% of the traffic: 1 path, skew 0) to one server: 200/s at peak, more than the largest backend's capacity 100/s (Envoy's hash_balance_factor caps a host's share of the requests in flight)",
    ]);
    // Many paths, none heavy: clean.
    expect(found(hashed('{ algorithm: envoy/ring_hash }').replace('clients: { count: 5, skew: 2 }', 'routes: { count: 200, skew: 0.5 }'))).toEqual([]);
    expect(found(hashed('{ algorithm: haproxy/source }'))).toEqual([`balancer.algorithm:error: haproxy/source hashes by client and sends ${heavy} (with hash-type consistent, HAProxy's hash-balance-factor caps it)`]);
    expect(found(hashed('{ algorithm: haproxy/source, hash_type: consistent, hash_balance_factor: 125 }'))).toEqual([]);
    expect(found(hashed('{ algorithm: nginx/ip_hash }'))).toEqual([`balancer.algorithm:error: nginx/ip_hash hashes by client and sends ${heavy}`]);
    expect(found(hashed('{ algorithm: nginx/hash, key: client }', '130/s'))).toEqual(['balancer.algorithm:warning: nginx/hash hashes by client and sends the heaviest client (68% of the traffic) to one server: 88.8/s at peak, utilization 0.89 even on the largest backend']);
  });

  it('flags backends that can never be picked and capacity below the peak', () => {
    const f = fields(base('  - { name: a, concurrency: 1 }\n  - { name: b, weight: 0 }\n  - { name: c, outages: [{ from: 0s, to: 10m }] }'));
    expect(f).toContain('9:backends[1].weight:warning');
    expect(f).toContain('10:backends[2].outages:warning');
    expect(f).toContain('4:traffic.synthetic.rate:error'); // 100/s × 20 ms = 2 slots busy, 1 pickable slot
  });

  it('counts the traffic on who carries it while every server is up: not backups, lower Envoy priority levels or unweighted localities', () => {
    // 100/s × 20 ms = 2 busy slots: one primary of 2 slots is overloaded whatever stands behind it.
    const overloaded = '4:traffic.synthetic.rate:error';
    expect(fields(base('  - { name: a, concurrency: 2 }\n  - { name: b, concurrency: 8, backup: true }'))).toContain(overloaded);
    expect(fields(base('  - { name: a, concurrency: 2 }\n  - { name: b, concurrency: 8, priority: 1 }', '', 'envoy/round_robin'))).toContain(overloaded);
    // Locality weighting: 'eu/b' has no weight, so a (2 slots) carries it all, and validate says why.
    const zones = base('  - { name: a, concurrency: 2, locality: eu/a }\n  - { name: b, concurrency: 8, locality: eu/b }', '', "envoy/round_robin, locality_weighted_lb: true, locality_weights: { 'eu/a': 1 }");
    const v = validateText(zones, 'c.yaml');
    expect(fields(zones)).toContain(overloaded);
    expect(v.findings.find((f) => f.field === 'balancer.locality_weights')!.message).toBe(
      "locality 'eu/b' has no weight: with locality_weighted_lb, b takes no traffic while a weighted locality has a healthy host (Envoy's locality weight 0)",
    );
    // Weighted 1:3, the shares follow the localities: a gets 25%, 25/s on 2 slots of 20 ms: fine.
    expect(fields(zones.replace("{ 'eu/a': 1 }", "{ 'eu/a': 1, 'eu/b': 3 }"))).toEqual([]);
    // Ring hash with no locality weight at all builds an empty ring: every request fails.
    const empty = validateText(zones.replace('envoy/round_robin', 'envoy/ring_hash').replace(", locality_weights: { 'eu/a': 1 }", ''), 'c.yaml');
    expect(empty.findings.find((f) => f.field === 'balancer.locality_weights')).toMatchObject({ severity: 'error', message: expect.stringMatching(/^no locality has a weight: with locality_weighted_lb, envoy\/ring_hash builds an empty ring and every request fails/) });
  });

  it('flags a queue that rejects at normal load, with the M/M/c/K estimate', () => {
    const v = validateText(base('  - { name: web, count: 4, queue: 1 }'), 'c.yaml');
    const q = v.findings.find((f) => f.field === 'backends[0].queue')!;
    expect(q.severity).toBe('warning');
    // 25/s each at 20 ms: a = 0.5 on one slot with one waiting place.
    expect(q.message).toContain(`rejects about ${(mmcBlocking(1, 1, 0.5) * 100).toFixed(0)}%`);
    expect(mmcBlocking(1, 1, 0.5)).toBeCloseTo(0.25 / 1.75, 10);
  });

  it('flags timeouts shorter than the work: error below the median, warning in the tail', () => {
    expect(fields(base('  - { name: web, count: 4 }', 'timeout: 10ms\n'))).toEqual(['2:timeout:error']);
    expect(fields(base('  - { name: web, count: 4 }', 'timeout: 80ms\n'))).toEqual(['2:timeout:warning']); // e^-4 = 1.8% outlast it
    expect(fields(base('  - { name: web, count: 4 }', 'timeout: 200ms\n'))).toEqual([]); // e^-10
  });

  it("timeout_connect under an algorithm that is not HAProxy's is a warning at its line (it changes nothing)", () => {
    const text = (algorithm: string) => base('  - { name: web, count: 4, concurrency: 2 }', '', `${algorithm}, retries: 1, timeout_connect: 2s`);
    expect(fields(text('envoy/round_robin'))).toEqual(['6:balancer.timeout_connect:warning']);
    expect(validateText(text('envoy/round_robin'), 'c.yaml').findings[0]!.message).toMatch(/only haproxy\/\* algorithms use it, envoy\/round_robin ignores it/);
    expect(fields(text('haproxy/roundrobin'))).toEqual([]);
  });

  it('weights under an algorithm that ignores them are a warning on the algorithm', () => {
    expect(fields(base('  - { name: a, weight: 3, concurrency: 2 }\n  - { name: b, concurrency: 2 }', '', 'round-robin'))).toEqual(['6:balancer.algorithm:warning']);
  });

  it("what the algorithm's module says of its spread: HAProxy random with two draws and nginx random two steer by load, one draw or one pick follows the weights", () => {
    // Weights 1 and 3 at 150/s: by weight b gets 112.5/s against a capacity of 100/s (2 slots, 20 ms); the fleet runs at 0.75.
    const text = (balancer: string) => base('  - { name: a, weight: 1, concurrency: 2 }\n  - { name: b, weight: 3, concurrency: 2 }', '', balancer).replace('rate: 100/s', 'rate: 150/s');
    const byWeight = ['9:backends[1].weight:error'];
    expect(fields(text('haproxy/random'))).toEqual([]);
    expect(fields(text('haproxy/random, draws: 1'))).toEqual(byWeight);
    expect(fields(text('nginx/random, two: true'))).toEqual([]);
    expect(fields(text('nginx/random'))).toEqual(byWeight);
    expect(fields(text('weighted-round-robin'))).toEqual(byWeight);
    expect(fields(text('envoy/least_request'))).toEqual([]);
  });

  it("a user's balancer file says the same for itself (validateScenarioFile loads it); a wrong answer is the file's error", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbsim-validate-'));
    try {
      const scenario = (file: string) => {
        writeFileSync(join(dir, 's.yaml'), base('  - { name: a, weight: 3, concurrency: 2 }\n  - { name: b, concurrency: 2 }', '', `./${file}`).replace('rate: 100/s', 'rate: 130/s').replace('    service: { distribution: exponential, mean: 20ms }', '    service: { distribution: exponential, mean: 20ms }\n    clients: { count: 5, skew: 2 }'));
        return validateScenarioFile(join(dir, 's.yaml'), readFileSync(join(dir, 's.yaml'), 'utf8'));
      };
      const module = (file: string, traits: string) => writeFileSync(join(dir, file), `export default { name: 'mine', description: 'x', ${traits} create() { return { pick() { return 0; } }; } };\n`);
      module('plain.js', '');
      // Said nothing: weights followed (a gets 75% of 130/s against 100/s of capacity: utilization 0.98), nothing hashed.
      expect((await scenario('plain.js')).findings.map((f) => `${f.field}:${f.severity}`)).toEqual(['backends[0].weight:warning']);
      module('blind.js', 'ignoresWeights: true, followsLoad: () => true,');
      expect((await scenario('blind.js')).findings.map((f) => `${f.field}:${f.severity}: ${f.message}`)).toEqual(['balancer.algorithm:warning: backends have different weights, but ./blind.js ignores weights (only weight 0 counts); use weighted-round-robin or weighted-least-connections']);
      module('sticky.js', "ignoresWeights: true, hashesWhole: (o) => ({ key: 'client', field: 'algorithm', bound: o.bound ? ' (a bound)' : '' }),");
      expect((await scenario('sticky.js')).findings.map((f) => `${f.field}:${f.severity}: ${f.message}`)).toEqual([
        'balancer.algorithm:warning: backends have different weights, but ./sticky.js ignores weights (only weight 0 counts); use weighted-round-robin or weighted-least-connections',
        'balancer.algorithm:warning: ./sticky.js hashes by client and sends the heaviest client (68% of the traffic) to one server: 88.8/s at peak, utilization 0.89 even on the largest backend',
      ]);
      module('wrong.js', "hashesWhole: () => 'client',");
      await expect(scenario('wrong.js')).rejects.toThrow(/wrong\.js: hashesWhole\(\) returned "client"; expected undefined or \{ key: 'client' \| 'route', field, bound \}$/);
      module('throws.js', "followsLoad() { throw new Error('no idea'); },");
      await expect(scenario('throws.js')).rejects.toThrow(/throws\.js:1: followsLoad\(\) threw: no idea$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("persistence over servers with a maxqueue and no redispatch: a warning (HAProxy answers a full server's pinned clients 503); in a haproxy.cfg too", async () => {
    const text = (extra: string) =>
      base('  - { name: web, count: 3, concurrency: 2, maxconn: 2, maxqueue: 4 }', '', `haproxy/roundrobin, persistence: {}${extra}`).replace('    service: { distribution: exponential, mean: 20ms }', '    service: { distribution: exponential, mean: 20ms }\n    clients: { count: 1000, skew: 0 }');
    const found = (t: string) => validateText(t, 'c.yaml').findings.map((f) => `${f.line}:${f.field}:${f.severity}`);
    expect(found(text(''))).toEqual(['7:balancer.persistence:warning']);
    expect(validateText(text(''), 'c.yaml').findings[0]!.message).toBe(
      "persistence pins clients to servers with a maxqueue (web-1, web-2, web-3): once such a server's queue is full, its pinned clients are answered 503 while other servers may be idle, as HAProxy does without option redispatch (redispatch: true balances them afresh)",
    );
    expect(found(text(', redispatch: true'))).toEqual([]);
    expect(found(text('').replace(', maxqueue: 4', ''))).toEqual([]);
    const { validateProxyText } = await import('../../src/workflows/validate-proxy.ts');
    const cfg = (extra: string) => `backend app\n  balance roundrobin\n${extra}  cookie SRV insert indirect nocache\n  server s1 10.0.0.1:80 cookie s1 maxconn 2 maxqueue 4\n  server s2 10.0.0.2:80 cookie s2 maxconn 2\n`;
    expect(validateProxyText(cfg(''), 'h.cfg', {}).findings.map((f) => `${f.line}:${f.field}:${f.severity}`)).toEqual(['4:s1.maxqueue:warning']);
    expect(validateProxyText(cfg('  option redispatch\n'), 'h.cfg', {}).findings).toEqual([]);
    expect(validateProxyText(cfg('').replace('  cookie SRV insert indirect nocache\n', ''), 'h.cfg', {}).findings).toEqual([]);
  });

  it('schema violations are errors with their line; YAML that does not parse throws (unreadable)', () => {
    const v = validateText(base('  - { name: a, weight: 0 }\n  - { name: b, weight: 0 }'), 'c.yaml');
    expect(v.errors).toBe(1);
    expect(v.findings[0]!.message).toContain('all weights are zero');
    expect(() => validateText('backends: [', 'c.yaml')).toThrow(/c\.yaml:/);
  });
});
