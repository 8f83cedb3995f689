/**
 * The bundled dead-server scenarios through the real binary: health checks detect a dead
 * server slowly (requests fail meanwhile), nginx's passive checks after one failure, and
 * the backup takes over only once every primary is marked down, and Envoy's standby
 * priority level takes a growing share as primaries die. Also: a bad knob is one clear
 * error naming file, line and field.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, runCli } from '../helpers/cli.ts';

interface Backend {
  name: string;
  share: number;
  priority?: number;
  locality?: string;
  rejected: number;
  health: { sentWhileDown: number; markedDown: number; ejections: number };
}

async function report(file: string): Promise<{ backends: Backend[]; timeseries: { start: number[]; backends: { name: string; requests: number[] }[] } }> {
  const r = await runCli(['run', file, '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('scenarios/dead-server', () => {
  it('active checks: failures until fall × inter, then the backup takes over only when every primary is down', async () => {
    const rep = await report('scenarios/dead-server/active-checks.yaml');
    const by = Object.fromEntries(rep.backends.map((b) => [b.name, b]));
    // web-2 dies at 60 s: refused for the 5 to 6 s its three failed checks take (600 req/s, a third of them).
    expect(by['web-2']!.health.sentWhileDown).toBeGreaterThan(600);
    expect(by['web-2']!.health.sentWhileDown).toBeLessThan(1300);
    expect(by['web-2']!.health.markedDown).toBe(1);
    for (const b of rep.backends) expect(b.rejected).toBe(b.health.sentWhileDown);
    const series = (name: string) => rep.timeseries.backends.find((b) => b.name === name)!.requests;
    const at = (s: number) => rep.timeseries.start.indexOf(s * 1000);
    // spare: nothing before the primaries die at 120 s and are marked down some seconds later; then it serves.
    expect(series('spare').slice(0, at(121)).every((n) => n === 0)).toBe(true);
    expect(series('spare')[at(130)]).toBeGreaterThan(400);
    // web-3 is back from 150 s: once it rises again the backup goes quiet.
    expect(series('spare')[at(170)]).toBe(0);
    expect(series('web-3')[at(170)]).toBeGreaterThan(400);
  });

  it('passive checks (nginx max_fails 1): one failure takes a peer out, one probe every fail_timeout', async () => {
    const rep = await report('scenarios/dead-server/passive-checks.yaml');
    const by = Object.fromEntries(rep.backends.map((b) => [b.name, b]));
    // web-2 dead from 60 s to the end (3 m): one refused request per 10 s window.
    expect(by['web-2']!.health.sentWhileDown).toBe(12);
    const total = rep.backends.reduce((n, b) => n + b.health.sentWhileDown, 0);
    expect(total).toBeLessThan(30);
  });

  it('Envoy priorities: the standbys take nothing at 4 of 5 primaries, 16% at 3 of 5, 72% at 1 of 5, nothing once all are back', async () => {
    const rep = await report('scenarios/dead-server/envoy-priorities.yaml');
    const series = (name: string) => rep.timeseries.backends.find((b) => b.name === name)!.requests;
    const at = (s: number) => rep.timeseries.start.indexOf(s * 1000);
    const standby = series('standby-1').map((n, i) => n + series('standby-2')[i]!);
    const all = rep.timeseries.backends[0]!.requests.map((_, i) => rep.timeseries.backends.reduce((n, b) => n + b.requests[i]!, 0));
    const share = (from: number, to: number) => {
      const sum = (xs: number[]) => xs.slice(at(from), at(to)).reduce((a, b) => a + b, 0);
      return sum(standby) / sum(all);
    };
    expect(standby.slice(0, at(80)).every((n) => n === 0)).toBe(true);
    // 16% and 72% of ~80,000 requests each: binomial sd ~0.0013 and ~0.0016.
    expect(share(81, 120)).toBeGreaterThan(0.16 - 0.01);
    expect(share(81, 120)).toBeLessThan(0.16 + 0.01);
    expect(share(121, 160)).toBeGreaterThan(0.72 - 0.01);
    expect(share(121, 160)).toBeLessThan(0.72 + 0.01);
    expect(standby.slice(at(161)).every((n) => n === 0)).toBe(true);
    // The report names each backend's level, and the summary the share each level took.
    expect(rep.backends.map((b) => b.priority)).toEqual([0, 0, 0, 0, 0, 1, 1]);
    const text = await runCli(['run', 'scenarios/dead-server/envoy-priorities.yaml']);
    const p1 = (by: (b: Backend) => boolean) => rep.backends.filter(by).reduce((n, b) => n + b.share, 0);
    expect(text.stdout).toContain(`levels    P0 ${(p1((b) => b.priority === 0) * 100).toFixed(1)}%  P1 ${(p1((b) => b.priority === 1) * 100).toFixed(1)}% of the picks (Envoy priority levels)`);
    expect(text.stdout).toMatch(/^standby-1 +1 +9\.\d+%/m);
    // Without levels, neither the field nor the line.
    const plain = await report('scenarios/dead-server/active-checks.yaml');
    expect(plain.backends.every((b) => !('priority' in b))).toBe(true);
  });

  it('Envoy zones: shares follow zone weight × min(1, 1.4 × health); below the panic threshold the zones are forgotten', async () => {
    const rep = await report('scenarios/dead-server/envoy-zones.yaml');
    const at = (s: number) => rep.timeseries.start.indexOf(s * 1000);
    const zone = (prefix: string, from: number, to: number) =>
      rep.timeseries.backends.filter((b) => b.name.startsWith(prefix)).reduce((n, b) => n + b.requests.slice(at(from), at(to)).reduce((x, y) => x + y, 0), 0);
    const share = (prefix: string, from: number, to: number) => zone(prefix, from, to) / (zone('a', from, to) + zone('b', from, to) + zone('c', from, to));
    // An EDF schedule, not a draw: the shares are exact to a few requests.
    const near = (x: number, want: number) => expect(Math.abs(x - want)).toBeLessThan(0.002);
    near(share('a', 1, 59), 0.5);
    near(share('b', 1, 59), 0.25);
    near(share('a', 61, 119), 2 / 3.7);
    near(share('b', 61, 119), 0.7 / 3.7);
    near(share('c', 61, 119), 1 / 3.7);
    // Panic (3 of 8 healthy): every host an eighth, a's four and b-2 refusing.
    near(share('a', 121, 149), 0.5);
    near(share('c', 121, 149), 0.25);
    near(share('a', 151, 179), 2 / 3.7);
    // The JSON names each backend's zone.
    expect(rep.backends.map((b) => b.locality)).toEqual(['eu-west-1/a', 'eu-west-1/a', 'eu-west-1/a', 'eu-west-1/a', 'eu-west-1/b', 'eu-west-1/b', 'eu-west-1/c', 'eu-west-1/c']);
  });

  it('a priority with an algorithm that has no levels is named at FILE:LINE by run (exit 2) and validate (a finding)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lbsim-health-'));
    try {
      const f = join(dir, 'prio.yaml');
      await writeFile(f, 'duration: 10s\ntraffic: { synthetic: { rate: 10/s, service: { distribution: constant, mean: 1ms } } }\nbalancer: { algorithm: haproxy/roundrobin }\nbackends:\n  - { name: a }\n  - { name: b, priority: 1 }\n');
      const what = "priority level 1 needs an algorithm with priority levels \\(Envoy's: the envoy\\/\\* algorithms\\), and haproxy\\/roundrobin has none; for a HAProxy or nginx backup server use backup: true";
      const run = await runCli(['run', f]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`prio\\.yaml:6: backends\\.b\\.priority: ${what}`));
      expect(hasStackTrace(run.stderr)).toBe(false);
      // validate lists it as a finding at the same line (exit 1), as any other option error.
      const validate = await runCli(['validate', f]);
      expect(validate.code).toBe(1);
      expect(validate.stdout).toMatch(new RegExp(`prio\\.yaml:6: backends\\.b\\.priority: error: ${what}`));
      await writeFile(f, 'duration: 10s\ntraffic: { synthetic: { rate: 10/s, service: { distribution: constant, mean: 1ms } } }\nbalancer: { algorithm: envoy/random }\nbackends:\n  - { name: a }\n  - { name: b, priority: 1, backup: true }\n');
      const r = await runCli(['run', f]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/prio\.yaml:6: backends\[1\]\.priority: a backend is either a backup \(HAProxy, nginx\) or on an Envoy priority level above 0, not both/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a malformed knob is one error naming the file, line and field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lbsim-health-'));
    try {
      const f = join(dir, 'bad.yaml');
      await writeFile(f, 'duration: 10s\ntraffic: { synthetic: { rate: 10/s, service: { distribution: constant, mean: 1ms } } }\nbalancer:\n  algorithm: round-robin\n  health_check: { interval: 2s, fall: 0 }\nbackends: [{ name: a }]\n');
      const r = await runCli(['run', f]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/bad\.yaml:5: balancer\.health_check\.fall: expected failures \(fall\) >= 1/);
      expect(hasStackTrace(r.stderr)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
