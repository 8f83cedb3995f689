/**
 * Scenario loading: group expansion, defaults and units, and the error contract — every
 * problem at once, one line each, `FILE:LINE: path.to.field: what was expected`, as an
 * LbsimError with exit code 2.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LbsimError } from '../../src/errors.ts';
import { loadScenario, parseScenario } from '../../src/scenario/load.ts';

const BASE = `name: t
duration: 10s
traffic:
  synthetic:
    rate: 100/s
    service: { distribution: exponential, mean: 4ms }
balancer: { algorithm: round-robin }
`;

function errorOf(text: string, file = 's.yaml'): LbsimError {
  try {
    parseScenario(text, { file });
  } catch (e) {
    expect(e).toBeInstanceOf(LbsimError);
    return e as LbsimError;
  }
  throw new Error('expected the scenario to be rejected');
}

describe('scenario groups and defaults', () => {
  it('expands `count` groups to name-1..name-n with the group settings, in list order', () => {
    const s = parseScenario(`${BASE}backends:\n  - { name: web, count: 3, weight: 2, concurrency: 4, queue: 10, speed: 1.5 }\n  - { name: big }\n`);
    expect(s.backends.map((b) => b.name)).toEqual(['web-1', 'web-2', 'web-3', 'big']);
    for (const b of s.backends.slice(0, 3)) expect(b).toMatchObject({ weight: 2, concurrency: 4, queue: 10, speed: 1.5, outages: [] });
    expect(s.backends[3]).toEqual({ name: 'big', weight: 1, concurrency: 1, queue: Number.POSITIVE_INFINITY, speed: 1, outages: [] });
  });

  it('resolves units and defaults: ms, per second, no timeout = Infinity, 1 s interval, seed 1', () => {
    const s = parseScenario(`${BASE.replace('duration: 10s', 'duration: 1h30m\nwarmup: 250ms')}backends: [{ name: a, outages: [{ from: 2m, to: 3m }] }]\n`);
    expect(s.durationMs).toBe(5_400_000);
    expect(s.warmupMs).toBe(250);
    expect(s.timeoutMs).toBe(Number.POSITIVE_INFINITY);
    expect(s.intervalMs).toBe(1000);
    expect(s.seed).toBe(1);
    expect(s.traffic).toMatchObject({ kind: 'synthetic', rate: 100, service: { distribution: 'exponential', mean: 4 } });
    expect(s.backends[0]!.outages).toEqual([{ from: 120_000, to: 180_000 }]);
  });

  it('keeps extra balancer keys as the algorithm options', () => {
    const s = parseScenario(`${BASE.replace('{ algorithm: round-robin }', '{ algorithm: envoy/least_request, choice_count: 3 }')}backends: [{ name: a }]\n`);
    expect(s.balancer).toEqual({ algorithm: 'envoy/least_request', options: { choice_count: 3 } });
  });

  it("passes every extra key to a user's balancer file unchecked (its create() decides what it takes)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbsim-'));
    writeFileSync(join(dir, 'mine.js'), 'export default { name: "mine", create: () => ({ pick: () => 0 }) };\n');
    const s = parseScenario(`${BASE.replace('{ algorithm: round-robin }', '{ algorithm: ./mine.js, anything: [1, 2] }')}backends: [{ name: a }]\n`, { baseDir: dir });
    expect(s.balancer.options).toEqual({ anything: [1, 2] });
  });
});

describe('scenario errors', () => {
  it('a queue that is not a number says what it takes (not zod\'s "Invalid input")', () => {
    const e = errorOf(`${BASE}backends:\n  - { name: a, queue: lots }\n  - { name: b, queue: 2.5 }\n`);
    expect(e.message).toContain('s.yaml:9: backends[0].queue: expected a whole number of requests >= 0, or unbounded');
    expect(e.message).toContain('s.yaml:10: backends[1].queue: expected a whole number');
    expect(e.message).not.toContain('Invalid input');
  });

  it('reports every problem at once, one line each, with file, line and field', () => {
    const e = errorOf(`${BASE.replace('rate: 100/s', 'rate: -5/s')}backends:\n  - { name: web, count: 2, weight: -1 }\n  - { name: c, wieght: 2 }\n`);
    expect(e.code).toBe('SCENARIO_INVALID');
    expect(e.exitCode).toBe(2);
    expect(e.message.split('\n')).toEqual([
      expect.stringMatching(/^s\.yaml:5: traffic\.synthetic\.rate: expected a rate .*not negative.*"-5\/s"$/),
      's.yaml:9: backends[0].weight: expected a weight >= 0',
      "s.yaml:10: backends[1].wieght: unknown field 'wieght'",
    ]);
  });

  it.each([
    ['an unparsable duration', BASE.replace('duration: 10s', 'duration: 10 minutes'), /^s\.yaml:2: duration: expected a duration such as .*got "10 minutes"$/],
    ['a missing rate', BASE.replace('    rate: 100/s\n', ''), /^s\.yaml:4: traffic\.synthetic\.rate: expected exactly one of `rate`/],
    ['a zero rate', BASE.replace('rate: 100/s', 'rate: 0'), /^s\.yaml:5: traffic\.synthetic\.rate: expected a rate above 0$/],
    ['a missing duration', BASE.replace('duration: 10s\n', ''), /^s\.yaml(:1)?: duration: expected a duration for synthetic traffic/],
    ['warm-up not shorter than the duration', BASE.replace('duration: 10s', 'duration: 10s\nwarmup: 10s'), /^s\.yaml:3: warmup: expected warmup shorter than duration$/],
    ['an unknown distribution', BASE.replace('distribution: exponential', 'distribution: gamma'), /^s\.yaml:6: traffic\.synthetic\.service(\.distribution)?: expected distribution: constant, exponential, lognormal or pareto$/],
  ])('%s', (_what, text, pattern) => {
    const e = errorOf(`${text}backends: [{ name: a }]\n`);
    expect(e.message.split('\n')).toHaveLength(1);
    expect(e.message).toMatch(pattern);
  });

  it('zero backends', () => {
    expect(errorOf(`${BASE}backends: []\n`).message).toBe('s.yaml:8: backends: expected at least one backend');
  });

  it('all weights zero', () => {
    expect(errorOf(`${BASE}backends:\n  - { name: a, weight: 0 }\n  - { name: b, count: 2, weight: 0 }\n`).message).toBe(
      's.yaml:8: backends: all weights are zero: no backend can ever be picked',
    );
  });

  it('a duplicate name, also one made by a group', () => {
    expect(errorOf(`${BASE}backends:\n  - { name: web, count: 2 }\n  - { name: web-2 }\n`).message).toBe("s.yaml:10: backends[1].name: duplicate backend name 'web-2'");
  });

  it('an outage that ends before it starts, and a fractional concurrency', () => {
    const e = errorOf(`${BASE}backends:\n  - { name: a, concurrency: 1.5, outages: [{ from: 3m, to: 2m }] }\n`);
    expect(e.message.split('\n')).toEqual([
      expect.stringMatching(/^s\.yaml:9: backends\[0\]\.concurrency: expected a whole number of slots$/),
      expect.stringMatching(/^s\.yaml:9: backends\[0\]\.outages\[0\]: expected `to` after `from`$/),
    ]);
  });

  it('rate profile points out of time order are refused at the point, not sorted; equal times (a step) are fine', () => {
    const profile = (points: string) => BASE.replace('rate: 100/s', `profile:\n      - { at: 0s, rate: 10/s }\n${points}`);
    const e = errorOf(`${profile('      - { at: 30s, rate: 20/s }\n      - { at: 10s, rate: 30/s }\n')}backends: [{ name: a }]\n`);
    expect(e.message).toMatch(/^s\.yaml:8: traffic\.synthetic\.profile\[2\]\.at: must be after the previous point \(at 30\.00s\)/);
    expect(e.message.split('\n')).toHaveLength(1);
    const step = parseScenario(`${profile('      - { at: 30s, rate: 10/s }\n      - { at: 30s, rate: 50/s }\n')}backends: [{ name: a }]\n`);
    expect(step.traffic.kind === 'synthetic' && step.traffic.rate).toEqual([
      { at: 0, rate: 10 },
      { at: 30_000, rate: 10 },
      { at: 30_000, rate: 50 },
    ]);
  });

  it('a YAML syntax error names the line and column', () => {
    const e = errorOf('duration: 10s\ntraffic:\n  synthetic: { rate: 100\nbalancer: x\n');
    expect(e.code).toBe('PARSE_ERROR');
    expect(e.message).toMatch(/^s\.yaml:\d+:\d+: /);
  });

  it('a document that is not a mapping', () => {
    expect(errorOf('- 1\n').message).toMatch(/^s\.yaml: expected a mapping of scenario fields/);
  });

  it('an option a built-in algorithm does not take, generic ones included, at its line', () => {
    for (const algorithm of ['round-robin', 'least-connections', 'weighted-round-robin', 'weighted-least-connections', 'random', 'power-of-two']) {
      const e = errorOf(`${BASE.replace('{ algorithm: round-robin }', `\n  algorithm: ${algorithm}\n  foo: 1`)}backends: [{ name: a }]\n`);
      expect(e.message).toBe(`s.yaml:9: balancer.foo: unknown option for ${algorithm}; it takes no options`);
    }
    expect(errorOf(`${BASE.replace('round-robin }', 'haproxy/uri, hash_typ: consistent }')}backends: [{ name: a }]\n`).message).toBe(
      's.yaml:7: balancer.hash_typ: unknown option for haproxy/uri; expected hash_type, hash_function, avalanche, hash_balance_factor, whole',
    );
  });

  it('a malformed option, a bad instances count and a weight the proxy refuses: FILE:LINE: field', () => {
    expect(errorOf(`${BASE.replace('round-robin }', 'peak-ewma, decay: soon }')}backends: [{ name: a }]\n`).message).toMatch(/^s\.yaml:7: balancer\.decay: peak-ewma expects a duration/);
    expect(errorOf(`${BASE.replace('{ algorithm: round-robin }', '\n  algorithm: weighted-round-robin\n  instances: 0')}backends: [{ name: a }]\n`).message).toBe(
      's.yaml:9: balancer.instances: expected a whole number of balancer instances in 1..1024, got 0',
    );
    expect(errorOf(`${BASE.replace('round-robin', 'haproxy/roundrobin')}backends:\n  - { name: a }\n  - name: web\n    count: 2\n    weight: 1.5\n`).message).toBe(
      's.yaml:12: backends.web-1.weight: haproxy/roundrobin takes whole weights 0..256 (the proxy\'s range), got 1.5',
    );
  });

  it('a missing file is FILE_NOT_FOUND naming the path', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lbsim-')), 'nope.yaml');
    await expect(loadScenario(file)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', message: `${file}: no such file` });
  });

  it('loads a file and names it in errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbsim-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, `${BASE}backends: []\n`);
    await expect(loadScenario(file)).rejects.toMatchObject({ message: `${file}:8: backends: expected at least one backend` });
  });
});
