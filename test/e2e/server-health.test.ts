/**
 * The bundled dead-server scenarios through the real binary: health checks detect a dead
 * server slowly (requests fail meanwhile), nginx's passive checks after one failure, and
 * the backup takes over only once every primary is marked down. Also: a bad knob is one
 * clear error naming file, line and field.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, runCli } from '../helpers/cli.ts';

interface Backend {
  name: string;
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
