/**
 * Client keys (src/traffic/readers/keys.ts, client keys version 2): a dotted-quad IPv4
 * client keys to its 32-bit value, as nginx ip_hash, HAProxy `balance source` and nginx
 * `hash $remote_addr` need it; anything else is hashed (FNV-1a) as before.
 */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.ts';
import { runScenario } from '../../src/simulate.ts';
import { TraceReader } from '../../src/traffic/lbt/reader.ts';
import { importCachePath, type TraceTrafficSpec } from '../../src/traffic/prepare.ts';
import { importLog } from '../../src/traffic/readers/import.ts';
import { clientIdKeyOf, clientKeyOf, ipv4KeyOf, keyOf, routeKeyOf, targetKeys } from '../../src/traffic/readers/keys.ts';
import fc from 'fast-check';
import { RequestChunk } from '../../src/traffic/source.ts';
import { LINE_WRITERS, headerOf } from './log-writers.ts';

const dir = mkdtempSync(join(tmpdir(), 'lbsim-keys-'));
const ip = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const whole = (f: (t: string, s: number, e: number) => number) => (t: string) => f(t, 0, t.length);

describe('client keys', () => {
  it('an IPv4 address, with or without a port, keys to its 32-bit value', () => {
    for (const f of [whole(clientKeyOf), whole(clientIdKeyOf), whole(ipv4KeyOf)]) {
      expect(f('10.1.2.3')).toBe(0x0a010203);
      expect(f('10.1.2.3:40000')).toBe(0x0a010203);
      expect(f('255.255.255.255:1')).toBe(0xffffffff);
      expect(f('0.0.0.0')).toBe(0);
      expect(f('203.0.113.9')).toBe(ip(203, 0, 113, 9));
    }
    // Inside a longer text, as the readers call it.
    expect(clientKeyOf('x 192.168.7.1:5 y', 2, 15)).toBe(ip(192, 168, 7, 1));
  });

  it('IPv6, names, IDs and near-addresses are hashed as before (an address:port up to its last colon)', () => {
    for (const s of ['2001:db8::1', '::1', 'host.example.com', 'user-42', '256.1.1.1', '1.2.3', '1.2.3.4.5', '1234.1.1.1', '1..2.3', '1.2.3.4x', '']) {
      expect(ipv4KeyOf(s, 0, s.length)).toBe(-1);
      expect(clientIdKeyOf(s)).toBe(keyOf(s));
    }
    expect(clientKeyOf('[2001:db8::1]:443', 0, 17)).toBe(keyOf('[2001:db8::1]'));
    expect(clientKeyOf('host.example.com:80', 0, 19)).toBe(keyOf('host.example.com'));
    // A port that is not digits, or no port after the colon: not an address:port, so hashed.
    expect(clientKeyOf('1.2.3.4:80x', 0, 11)).toBe(keyOf('1.2.3.4'));
    expect(clientKeyOf('1.2.3.4:', 0, 8)).toBe(keyOf('1.2.3.4'));
  });

  for (const format of ['nginx', 'haproxy', 'alb', 'envoy', 'csv', 'jsonl'] as const) {
    it(`${format}: an IPv4 client keys to its address, an IPv6 one to its hash`, async () => {
      const write = LINE_WRITERS[format];
      const at = Date.UTC(2024, 3, 15, 10);
      const lines = ['10.1.2.3', '2001:db8::7'].map((clientIp, i) => write({ arrivalEpochMs: at + i * 10, workMs: 5, queueMs: 0, clientIp, path: '/a', status: 200 }));
      const log = join(dir, `two.${format}`);
      writeFileSync(log, `${[headerOf(format), ...lines].filter((l) => l !== undefined).join('\n')}\n`);
      await importLog(log, `${log}.lbt`, { format, threads: 1 });
      const r = new TraceReader(`${log}.lbt`);
      const c = new RequestChunk();
      r.fill(c);
      r.close();
      expect([c.client[0], c.client[1]]).toEqual([0x0a010203, keyOf('2001:db8::7')]);
    });
  }

  it('nginx ip_hash on clients from two /24s uses at most two servers', async () => {
    const rows = ['timestamp,duration_ms,client_ip,path,status'];
    for (let i = 0; i < 400; i++) rows.push(`${1713175200 + i / 100},5,10.1.${1 + (i % 2)}.${(i * 37) % 250},/a,200`);
    writeFileSync(join(dir, 'subnets.csv'), `${rows.join('\n')}\n`);
    writeFileSync(join(dir, 'iphash.yaml'), 'name: iphash\ntraffic: { trace: subnets.csv }\nbalancer: { algorithm: nginx/ip_hash }\nbackends: [{ name: a }, { name: b }, { name: c }]\n');
    const report = await runScenario(await loadScenario(join(dir, 'iphash.yaml')));
    const used = report.backends.filter((b) => b.requests > 0);
    expect(report.backends.reduce((s, b) => s + b.requests, 0)).toBe(400);
    expect(used.length).toBeLessThanOrEqual(2);
  });

  it('an import cached before client keys version 2 is not reused (its cache key changed)', () => {
    const log = join(dir, 'cache.csv');
    writeFileSync(log, 'timestamp,duration_ms,client_ip\n1713175200,5,10.1.1.1\n');
    const spec = { source: log, format: 'csv', import: { onError: 'abort' } } as unknown as TraceTrafficSpec;
    const st = statSync(log);
    // The key as lbsim computed it before: path, size, mtime, format and options only.
    const old = createHash('sha256').update(JSON.stringify([log, st.size, st.mtimeMs, 'csv', { onError: 'abort' }])).digest('hex').slice(0, 24);
    expect(importCachePath(spec)).not.toContain(old);
  });
});

describe('route and uri keys', () => {
  it('targetKeys gives the path key up to the first ? (routeKeyOf) and the whole target\'s key (keyOf), inside a longer text too', () => {
    const part = fc.string({ unit: fc.constantFrom('a', '/', '?', '=', '&', ' ', 'é', '%', '1') , maxLength: 24 });
    fc.assert(
      fc.property(part, part, part, (before, target, after) => {
        const text = before + target + after;
        const out = { route: -1, uri: -1 };
        targetKeys(text, before.length, before.length + target.length, out);
        expect(out).toEqual({ route: routeKeyOf(target), uri: keyOf(target) });
      }),
      { numRuns: 2000, seed: 11 },
    );
    const out = { route: 0, uri: 0 };
    targetKeys('/search?q=a', 0, 11, out);
    expect(out).toEqual({ route: keyOf('/search'), uri: keyOf('/search?q=a') });
    targetKeys('/plain', 0, 6, out);
    expect(out).toEqual({ route: keyOf('/plain'), uri: keyOf('/plain') });
  });

  for (const format of ['nginx', 'haproxy', 'alb', 'envoy', 'csv', 'jsonl'] as const) {
    it(`${format}: the trace keeps the path's key and the whole target's, and a replay gives either as the route key`, async () => {
      const write = LINE_WRITERS[format];
      const at = Date.UTC(2024, 3, 15, 10);
      const paths = ['/search?q=lb', '/static/app.js'];
      const lines = paths.map((path, i) => write({ arrivalEpochMs: at + i * 10, workMs: 5, queueMs: 0, clientIp: '10.0.0.1', path, status: 200 }));
      // The target as the line holds it: writers add their own query (nginx ?q=, ALB ?id=) and ALB a scheme and host.
      const targets = lines.map((l, i) => (format === 'csv' || format === 'jsonl' ? paths[i]! : /GET (?:https:\/\/)?(\S+) HTTP/.exec(l)![1]!));
      expect(targets[0]).toContain('?');
      const log = join(dir, `targets.${format}`);
      writeFileSync(log, `${[headerOf(format), ...lines].filter((l) => l !== undefined).join('\n')}\n`);
      for (const threads of [1, 2]) {
        await importLog(log, `${log}.lbt`, { format, threads });
        const routes = (routeKey?: 'path' | 'uri') => {
          const r = new TraceReader(`${log}.lbt`, routeKey === undefined ? {} : { routeKey });
          const c = new RequestChunk();
          r.fill(c);
          r.close();
          return [c.route[0], c.route[1]];
        };
        expect(routes()).toEqual(targets.map((t) => keyOf(t.split('?')[0]!)));
        expect(routes('path')).toEqual(routes());
        expect(routes('uri')).toEqual(targets.map((t) => keyOf(t)));
      }
    });
  }
});
