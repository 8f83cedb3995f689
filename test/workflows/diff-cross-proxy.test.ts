/**
 * diff across proxies: nginx names a server by its address, HAProxy by its server name;
 * the per-backend rows line them up by the address both configs give (review finding 9),
 * and `--backend OLD,NEW` selects differently named sections on each side.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backendsOf } from '../../src/cli/inputs.ts';
import { isLbsimError } from '../../src/errors.ts';
import { TraceWriter } from '../../src/traffic/lbt/writer.ts';
import { diff } from '../../src/workflows/diff.ts';
import { formatDiffText } from '../../src/workflows/diff-format.ts';
import { proxyScenario } from '../../src/workflows/proxy-scenario.ts';

const dir = mkdtempSync(join(tmpdir(), 'lbsim-diff-cross-'));
const trace = join(dir, 't.lbt');
{
  const w = new TraceWriter(trace);
  for (let i = 0; i < 600; i++) w.push(i * 5, 2, i, i % 7, 0);
  w.finish();
}
const NGINX = 'http {\n  upstream api {\n    server 10.0.0.1:8080;\n    server 10.0.0.2:8080;\n    server 10.0.0.3:8080;\n  }\n}\n';
const HAPROXY = 'defaults\n  mode http\nbackend be_api\n  balance roundrobin\n  server api1 10.0.0.1:8080\n  server api2 10.0.0.2:8080\n  server api4 10.0.0.4:8080\n';
writeFileSync(join(dir, 'n.conf'), NGINX);
writeFileSync(join(dir, 'h.cfg'), HAPROXY);

describe('diff nginx.conf haproxy.cfg', () => {
  it('lines servers up by address: one row per machine, named by both sides', async () => {
    const before = await proxyScenario(join(dir, 'n.conf'), NGINX, { backend: 'api', traffic: trace });
    const after = await proxyScenario(join(dir, 'h.cfg'), HAPROXY, { backend: 'be_api', traffic: trace });
    const d = await diff(before, after, { replications: 2, threads: 1 });
    expect(d.backends.map((b) => [b.name, b.nameAfter ?? null, b.shareBefore !== null, b.shareAfter !== null])).toEqual([
      ['10.0.0.1:8080', 'api1', true, true],
      ['10.0.0.2:8080', 'api2', true, true],
      ['10.0.0.3:8080', null, true, false],
      ['api4', null, false, true],
    ]);
    expect(formatDiffText(d)).toMatch(/^10\.0\.0\.1:8080 = api1 /m);
  }, 60_000);

  it('an nginx server without a port is port 80, as nginx reads it; host names match in any case', async () => {
    const nginx = 'upstream api {\n  server 10.0.0.1;\n  server API-2.internal:8080;\n  server [2001:db8::5];\n}\n';
    const haproxy = 'backend be_api\n  balance roundrobin\n  server one 10.0.0.1:80\n  server two api-2.internal:8080\n  server five [2001:db8::5]:80\n';
    writeFileSync(join(dir, 'p.conf'), nginx);
    writeFileSync(join(dir, 'p.cfg'), haproxy);
    const before = await proxyScenario(join(dir, 'p.conf'), nginx, { backend: 'api', traffic: trace });
    const after = await proxyScenario(join(dir, 'p.cfg'), haproxy, { backend: 'be_api', traffic: trace });
    const d = await diff(before, after, { replications: 2, threads: 1 });
    expect(d.backends.map((b) => [b.name, b.nameAfter ?? null])).toEqual(before.backends.map((b, i) => [b.name, ['one', 'two', 'five'][i]]));
  }, 60_000);

  it('--backend OLD,NEW names each side\'s section; one name is both sides\'; anything else is a usage error', () => {
    expect(backendsOf('api,be_api')).toEqual(['api', 'be_api']);
    expect(backendsOf('api')).toEqual(['api', 'api']);
    expect(backendsOf(undefined)).toEqual([undefined, undefined]);
    for (const bad of ['a,b,c', 'a,', ',b']) {
      const e = (() => {
        try {
          backendsOf(bad);
        } catch (x) {
          return x;
        }
        return undefined;
      })();
      expect(isLbsimError(e) && e.code).toBe('USAGE');
    }
  });
});
