/** lbsim import, trace info and trace replay through the real binary. */
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.ts';
import { albLine } from './log-writers.ts';

const FIX = join(REPO_ROOT, 'test', 'fixtures');
const dir = mkdtempSync(join(tmpdir(), 'lbsim-cli-traces-'));
const scenario = (name: string, traffic: string, extra = '') => {
  const f = join(dir, name);
  writeFileSync(f, `name: ${name}\ntraffic: ${traffic}\nbalancer: { algorithm: round-robin }\nbackends: [{ name: web, count: 2 }]\n${extra}`);
  return f;
};

describe('lbsim import / trace info / replay (binary)', () => {
  it('imports every sample log and describes the trace', async () => {
    for (const [format, name] of [['nginx', 'nginx.log'], ['haproxy', 'haproxy.log'], ['alb', 'alb.log'], ['envoy', 'envoy.log'], ['csv', 'requests.csv'], ['jsonl', 'requests.jsonl']]) {
      const out = join(dir, `${format}.lbt`);
      const r = await runCli(['import', join(FIX, name!), '--format', format!, '-o', out]);
      expect(r.stderr).toMatch(/imported 12 requests from \d+ lines/);
      expect(r.code).toBe(0);
      const info = await runCli(['trace', 'info', out, '--format', 'json']);
      expect(info.code).toBe(0);
      const j = JSON.parse(info.stdout);
      // Only the nginx sample's queries differ (?q=0, ?q=40, ...); ALB's are all ?id=7, the others have none.
      expect(j).toMatchObject({ requests: 12, distinctClients: 7, distinctRoutes: 5, distinctTargets: format === 'nginx' ? 12 : 5, originEpochMs: Date.UTC(2024, 3, 15, 10) });
    }
    const text = await runCli(['trace', 'info', join(dir, 'nginx.lbt')]);
    expect(text.stdout).toMatch(/requests\s+12\n/);
    expect(text.stdout).toMatch(/routes\s+5 distinct paths; 12 distinct with the query string/);
    // 12 requests from 7 clients: the heaviest send 2 each (16.7%).
    expect(text.stdout).toMatch(/heaviest\s+16\.7%, 16\.7%, 16\.7% of requests; the top 10 clients 100\.0%, the top 100 100\.0% \(with session persistence or a hash by client, each lands on one server\)\n/);
    expect(text.stdout).toMatch(/rate\/min\s+min 12\s+median 12\s+peak 12/);
    // 12 requests over 5 paths: the heaviest take 3, 3 and 2.
    expect(text.stdout).toMatch(/\nheaviest\s+25\.0%, 25\.0%, 16\.7% of requests; the top 10 paths 100\.0%/);
  });

  it('a malformed row: exit 2, FILE:LINE: what, no stack, no output file; --on-error skip counts it', async () => {
    const lines = readFileSync(join(FIX, 'haproxy.log'), 'utf8').split('\n');
    lines[2] = lines[2]!.replace('0/2/0/17/20', '0/2/zero/17/20');
    const log = join(dir, 'broken-haproxy.log');
    writeFileSync(log, lines.join('\n'));
    const outDir = mkdtempSync(join(tmpdir(), 'lbsim-cli-out-'));
    const r = await runCli(['import', log, '-o', join(outDir, 'x.lbt')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lbsim: .*broken-haproxy\.log:3: timers: expected TR\/Tw\/Tc\/Tr\/Ta .*got '0\/2\/zero\/17\/20'/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(outDir)).toEqual([]);
    const s = await runCli(['import', log, '-o', join(outDir, 'x.lbt'), '--on-error', 'skip']);
    expect(s.code).toBe(0);
    expect(s.stderr).toMatch(/imported 11 requests .*skipped 1 malformed rows/);
    expect(s.stderr).toMatch(/skipped .*broken-haproxy\.log:3:/);
  });

  it('import --threads 2: a log of several 4 MB ranges gives the serial trace byte for byte; errors name their line', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 17_000; i++) {
      lines.push(albLine({ arrivalEpochMs: Date.UTC(2024, 3, 15) + i * 3.5 + ((i * 7) % 5), workMs: (i * 37) % 250, queueMs: 0, clientIp: `10.1.${i % 9}.${i % 200}`, path: `/p${i % 13}`, status: i % 97 === 3 ? 502 : 200 }));
    }
    const log = join(dir, 'big.alb.log');
    writeFileSync(log, `${lines.join('\n')}\n`);
    expect(statSync(log).size).toBeGreaterThan(2 * 4 * 1024 * 1024);
    const serial = await runCli(['import', log, '-o', join(dir, 'big-1.lbt'), '--threads', '1']);
    const parallel = await runCli(['import', log, '-o', join(dir, 'big-2.lbt'), '--threads', '2']);
    expect([serial.code, parallel.code]).toEqual([0, 0]);
    expect(parallel.stderr).toMatch(/imported 17,000 requests from 17,000 lines/);
    expect(readFileSync(join(dir, 'big-2.lbt')).equals(readFileSync(join(dir, 'big-1.lbt')))).toBe(true);
    // A malformed row in the last range: the same FILE:LINE message, exit 2, no output; skip counts it.
    lines[16_500] = lines[16_500]!.replace(' 0.000 ', ' zero ');
    writeFileSync(log, `${lines.join('\n')}\n`);
    const outDir = mkdtempSync(join(tmpdir(), 'lbsim-cli-out-'));
    const bad = await runCli(['import', log, '-o', join(outDir, 'x.lbt'), '--threads', '2']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/big\.alb\.log:16501: processing times: expected seconds or -1, got 'zero /)]);
    expect(readdirSync(outDir)).toEqual([]);
    const skip = await runCli(['import', log, '-o', join(outDir, 'x.lbt'), '--threads', '2', '--on-error', 'skip']);
    expect(skip.stderr).toMatch(/imported 16,999 requests .*skipped 1 malformed rows/);
    expect(skip.stderr).toMatch(/skipped .*big\.alb\.log:16501:/);
    const threads = await runCli(['import', log, '-o', join(outDir, 'x.lbt'), '--threads', '0']);
    expect([threads.code, threads.stderr]).toEqual([2, expect.stringMatching(/--threads.*expected a whole number >= 1/)]);
  });

  it('empty log, truncated gzip, corrupted or foreign .lbt: exit 2 with a clear message', async () => {
    writeFileSync(join(dir, 'empty.csv'), '');
    const e = await runCli(['import', join(dir, 'empty.csv'), '-o', join(dir, 'e.lbt')]);
    expect([e.code, e.stderr]).toEqual([2, expect.stringMatching(/empty\.csv: no requests found \(the file is empty\)/)]);
    const gz = gzipSync(readFileSync(join(FIX, 'envoy.log')));
    writeFileSync(join(dir, 'cut.envoy.log.gz'), gz.subarray(0, gz.length - 12));
    const g = await runCli(['import', join(dir, 'cut.envoy.log.gz'), '-o', join(dir, 'g.lbt')]);
    expect([g.code, g.stderr]).toEqual([2, expect.stringMatching(/truncated or corrupt gzip/)]);
    const bad = join(dir, 'bad.lbt');
    const buf = readFileSync(join(dir, 'nginx.lbt'));
    buf.writeUInt32LE(9, 8);
    writeFileSync(bad, buf);
    const v = await runCli(['trace', 'info', bad]);
    expect([v.code, v.stderr]).toEqual([2, expect.stringMatching(/bad\.lbt: not a usable \.lbt trace: format version 9/)]);
    const run = await runCli(['run', scenario('bad-trace.yaml', '{ trace: bad.lbt }'), '--no-tui']);
    expect([run.code, run.stderr]).toEqual([2, expect.stringMatching(/bad\.lbt: not a usable \.lbt trace/)]);
    const noFmt = await runCli(['run', scenario('nofmt.yaml', '{ trace: access.log }'), '--no-tui']);
    expect([noFmt.code, noFmt.stderr]).toEqual([2, expect.stringMatching(/cannot tell the format of .*access\.log.*add format:/)]);
    const mixed = await runCli(['run', scenario('mixed.yaml', '{ synthetic: { rate: 1, service: { distribution: constant, mean: 1ms } }, speed: 2 }', 'duration: 1s\n'), '--no-tui']);
    expect([mixed.code, mixed.stderr]).toEqual([2, expect.stringMatching(/mixed\.yaml:2: traffic\.speed: only for trace replay/)]);
  });

  it('a scenario replays a .lbt (relative path) or a raw log imported on the fly; run flags transform it', async () => {
    copyFileSync(join(dir, 'nginx.lbt'), join(dir, 'rel.lbt'));
    const a = await runCli(['run', scenario('lbt.yaml', '{ trace: rel.lbt }'), '--format', 'json', '--no-tui']);
    expect(a.code).toBe(0);
    const ra = JSON.parse(a.stdout);
    expect(ra.requests.total).toBe(12);
    expect(ra.start).toBe('2024-04-15T10:00:00.000Z');
    copyFileSync(join(FIX, 'requests.jsonl'), join(dir, 'raw.jsonl'));
    const b = await runCli(['run', scenario('raw.yaml', '{ trace: raw.jsonl }'), '--format', 'json', '--no-tui']);
    expect(b.code).toBe(0);
    expect(JSON.parse(b.stdout).requests.total).toBe(12);
    const c = await runCli(['run', join(dir, 'lbt.yaml'), '--scale', '3', '--speed', '2', '--format', 'json', '--no-tui']);
    expect(c.code).toBe(0);
    const rc = JSON.parse(c.stdout);
    expect(rc.requests.total).toBe(36);
    expect(rc.duration).toBeCloseTo(ra.duration / 2, 3);
    const d = await runCli(['run', join(dir, 'lbt.yaml'), '--from', '1s', '--format', 'json', '--no-tui']);
    expect(JSON.parse(d.stdout).requests.total).toBe(expectedAfter(1000));
    const f = await runCli(['run', join(dir, 'lbt.yaml'), '--scale', '0', '--no-tui']);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/--scale.*expected a number above 0/);
  });
});

/** Requests of the sample logs arriving at or after `ms` from 10:00:00. */
function expectedAfter(ms: number): number {
  const expected = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8')) as { arrivalEpochMs: number }[];
  return expected.filter((e) => Math.round(e.arrivalEpochMs) - Date.UTC(2024, 3, 15, 10) >= ms).length;
}
