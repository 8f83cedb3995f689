/**
 * Cookie persistence through the binary: an haproxy.cfg with `cookie SERVERID insert`
 * pins each client to a server, so a few heavy clients make the shares uneven where the
 * same config without the cookie line spreads them; asked for two threads, the run says
 * why it is not split, and its report is the one-thread run's.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/types.ts';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'lbsim-persistence-'));
// 3000 requests, 20 per second, from 4 clients: client 0 sends half of them.
const rows = ['timestamp,duration_ms,client_ip,path,status'];
for (let i = 0; i < 3000; i++) rows.push(`${1713175200 + i / 20},5,10.0.0.${i % 2 === 0 ? 0 : 1 + (i % 3)},/a,200`);
writeFileSync(join(dir, 'clients.csv'), `${rows.join('\n')}\n`);
const servers = '  server s1 10.0.0.1:80 cookie s1\n  server s2 10.0.0.2:80 cookie s2\n  server s3 10.0.0.3:80 cookie s3\n  server s4 10.0.0.4:80 cookie s4\n';
writeFileSync(join(dir, 'sticky.cfg'), `backend app\n  balance roundrobin\n  cookie SERVERID insert indirect nocache\n${servers}`);
writeFileSync(join(dir, 'plain.cfg'), `backend app\n  balance roundrobin\n${servers}`);
const scenario = (cfg: string) => {
  const file = join(dir, `${cfg}.yaml`);
  writeFileSync(file, `name: ${cfg}\ntraffic: { trace: clients.csv }\nbalancer: { from: ${cfg}.cfg }\nbackends: [{ name: s1 }, { name: s2 }, { name: s3 }, { name: s4 }]\n`);
  return file;
};

describe('cookie persistence from an haproxy.cfg', { timeout: 120_000 }, () => {
  it('pins each client to one server; without the cookie line round robin spreads them; two threads run it whole', async () => {
    const run = async (cfg: string, threads: number) => {
      const r = await runCli(['run', scenario(cfg), '--threads', String(threads), '--format', 'json', '--no-tui']);
      expect(r.code, r.stderr).toBe(0);
      return { report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
    };
    const sticky = await run('sticky', 1);
    const shares = (r: Report) => r.backends.map((b) => b.requests).sort((a, b) => a - b);
    // Four clients on four servers, one each: the heavy client's server takes half.
    expect(shares(sticky.report)).toEqual([500, 500, 500, 1500]);
    const plain = (await run('plain', 1)).report;
    expect(shares(plain)).toEqual([750, 750, 750, 750]);
    // The report says the clients were pinned, and for how long a pin lasts (null: the run).
    expect([sticky.report.persistence, plain.persistence]).toEqual([{ maxIdle: null, maxLife: null }, undefined]);
    const split = await run('sticky', 2);
    expect(split.stderr).toMatch(/not split in time: session persistence keeps every client's server/);
    expect(JSON.stringify(split.report)).toBe(JSON.stringify(sticky.report));
  });

  it('lbsim diff of the config without the cookie line against the one with it names the persistence, and the shares it moves', async () => {
    const r = await runCli(['diff', join(dir, 'plain.cfg'), join(dir, 'sticky.cfg'), '--traffic', join(dir, 'clients.csv'), '--replications', '2', '--threads', '1']);
    expect(r.stdout).toMatch(/lbsim diff: .*plain\.cfg \(haproxy\/roundrobin\) → .*sticky\.cfg \(haproxy\/roundrobin with persistence\)/);
    const j = await runCli(['diff', join(dir, 'plain.cfg'), join(dir, 'sticky.cfg'), '--traffic', join(dir, 'clients.csv'), '--replications', '2', '--threads', '1', '--format', 'json']);
    const out = JSON.parse(j.stdout) as { before: { persistence?: boolean }; after: { persistence?: boolean }; backends: { shareBefore: number; shareAfter: number }[] };
    expect([out.before.persistence, out.after.persistence]).toEqual([undefined, true]);
    expect(out.backends.map((b) => b.shareAfter).sort()).toEqual([0.166667, 0.166667, 0.166667, 0.5]);
    // With a base scenario for the models (--scenario), the configs still decide the persistence, not the base.
    const base = join(dir, 'base.yaml');
    writeFileSync(base, 'name: base\ntraffic: { trace: clients.csv }\nbalancer: { algorithm: round-robin, persistence: { max_idle: 1s } }\nbackends: [{ name: s1, concurrency: 4 }]\n');
    const b = await runCli(['diff', join(dir, 'plain.cfg'), join(dir, 'sticky.cfg'), '--scenario', base, '--replications', '2', '--threads', '1', '--format', 'json']);
    const withBase = JSON.parse(b.stdout) as typeof out;
    expect([withBase.before.persistence, withBase.after.persistence]).toEqual([undefined, true]);
    expect(withBase.backends.map((x) => x.shareAfter).sort()).toEqual([0.166667, 0.166667, 0.166667, 0.5]);
    expect(withBase.backends.map((x) => x.shareBefore)).toEqual([0.25, 0.25, 0.25, 0.25]);
    const v = await runCli(['validate', join(dir, 'sticky.cfg')]);
    expect(v.stdout).toMatch(/^checked haproxy app: haproxy\/roundrobin with persistence, 4 servers\n/);
  });
});
