/**
 * `lbsim compare --set KEY=V1,V2,...`: one alternative per value of a balancer option (with
 * `--algorithms`, per algorithm and value), through the real binary. The hot-key scenario
 * (scenarios/hot-key/bounded-load.yaml) without its bound and with it: the bound's p99 is
 * a fraction of the unbounded one's. A value the algorithm refuses, and a malformed
 * --set, are exit 2 before any run, naming --set.
 */
import { describe, expect, it } from 'vitest';
import { parseOptionValues } from '../../src/workflows/variants.ts';
import { REPO_ROOT, runCli } from '../helpers/cli.ts';

const SLOW = 120_000;
const scenario = 'scenarios/hot-key/bounded-load.yaml';

describe('compare --set', { timeout: SLOW }, () => {
  it('one alternative per value, `default` leaving the option out; the bound cuts the hot key\'s p99', async () => {
    const r = await runCli(['compare', scenario, '--set', 'hash_balance_factor=default,125', '--replications', '2', '--threads', '1', '--format', 'json'], { cwd: REPO_ROOT });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { alternatives: { label: string; estimates: { p99: { mean: number } } }[]; best: string };
    expect(out.alternatives.map((a) => a.label)).toEqual(['hash_balance_factor=default', 'hash_balance_factor=125']);
    const [plain, bounded] = out.alternatives.map((a) => a.estimates.p99.mean);
    expect(bounded!).toBeLessThan(plain! / 5);
  });

  it('with --algorithms: every algorithm at every value', async () => {
    const r = await runCli(['compare', 'scenarios/four-backends.yaml', '--algorithms', 'round-robin,least-connections', '--set', 'instances=1,4', '--replications', '2', '--threads', '1', '--format', 'json'], { cwd: REPO_ROOT });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { alternatives: { label: string }[] }).alternatives.map((a) => a.label)).toEqual([
      'round-robin · instances=1',
      'round-robin · instances=4',
      'least-connections · instances=1',
      'least-connections · instances=4',
    ]);
  });

  it('--set twice: every combination, labelled by both', async () => {
    const r = await runCli(['compare', scenario, '--set', 'hash_balance_factor=default,125', '--set', 'hash_key=client,route', '--replications', '2', '--threads', '1', '--format', 'json'], { cwd: REPO_ROOT });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { alternatives: { label: string }[] }).alternatives.map((a) => a.label)).toEqual([
      'hash_balance_factor=default · hash_key=client',
      'hash_balance_factor=default · hash_key=route',
      'hash_balance_factor=125 · hash_key=client',
      'hash_balance_factor=125 · hash_key=route',
    ]);
  });

  it('a value the algorithm refuses, and a malformed --set: exit 2 before any run, naming --set', async () => {
    const bad = await runCli(['compare', scenario, '--set', 'hash_balance_factor=99,150', '--no-tui'], { cwd: REPO_ROOT });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('lbsim: --set: hash_balance_factor=99: balancer.hash_balance_factor: envoy/ring_hash expects a whole number in 100..4294967295, got 99\n');
    const malformed = await runCli(['compare', scenario, '--set', 'hash_balance_factor', '--no-tui'], { cwd: REPO_ROOT });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/^lbsim: --set hash_balance_factor: expected KEY=V1,V2,\.\.\./);
  });

  it('values: numbers, true/false, default (left out), other text as strings', () => {
    expect(parseOptionValues('key=default, 1.5,true,false,request_uri')).toEqual({ key: 'key', values: [undefined, 1.5, true, false, 'request_uri'] });
    expect(() => parseOptionValues('key=')).toThrow(/expected KEY=V1,V2/);
  });
});
