/**
 * nginx.conf import beyond the fixture (import.test.ts): `include` followed as nginx
 * follows it, the hash keys lbsim can and cannot model, the same address twice, `down`
 * peers kept in the hash's total weight, and what nginx 1.22 refuses or only warns about.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFile, importBalancerConfig, importBalancerText, selectBalancer } from '../../src/config-import/index.ts';
import { resolveBalancerSection } from '../../src/config-import/scenario.ts';
import { formatValidation } from '../../src/workflows/validate.ts';
import { validateProxyText } from '../../src/workflows/validate-proxy.ts';

/** A fresh folder with these files (paths relative to it). */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lbsim-nginx-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
const upstream = (body: string) => `upstream u {\n  zone u 64k;\n${body}}\n`;
const matching = (warnings: string[], re: RegExp) => warnings.filter((w) => re.test(w));

describe('hash keys: mapped when lbsim has the key, warned about when not', () => {
  const imp = (key: string) => importBalancerText(upstream(`  hash ${key};\n  server a:1;\n  server b:1;\n`), 'h.conf');
  it('$request_uri and $uri$is_args$args (with or without consistent): the path with its query string, key: request_uri, no warning', () => {
    for (const key of ['$request_uri', '$uri$is_args$args']) {
      for (const consistent of ['', ' consistent']) {
        const r = imp(`${key}${consistent}`);
        expect([r.options, r.warnings]).toEqual([{ key: 'request_uri', ...(consistent ? { consistent: true } : {}) }, []]);
      }
    }
  });
  it('$uri and $remote_addr are the keys lbsim carries: no warning', () => {
    expect([imp('$uri').options, imp('$uri').warnings]).toEqual([{ key: 'route' }, []]);
    expect([imp('$remote_addr').options, imp('$remote_addr').warnings]).toEqual([{ key: 'client' }, []]);
    // The address a proxy in front passes on (one address in the header): the same key.
    for (const k of ['$http_x_forwarded_for', '$http_x_real_ip', '$realip_remote_addr']) expect([imp(k).options, imp(k).warnings]).toEqual([{ key: 'client' }, []]);
  });
  it('any other key runs as the nearest one, with a warning naming it', () => {
    const bin = imp('$binary_remote_addr');
    expect(bin.options.key).toBe('client');
    expect(matching(bin.warnings, /h\.conf:3: hash \$binary_remote_addr: modelled as \$remote_addr/)).toHaveLength(1);
    for (const key of ['$cookie_sessionid', '$http_x_user_id']) {
      const r = imp(`${key} consistent`);
      expect(r.options).toEqual({ key: 'client', consistent: true });
      expect(matching(r.warnings, /modelled as the client key: each client's requests share a server/), key).toHaveLength(1);
    }
    for (const [key, as] of [['$scheme$proxy_host$request_uri', 'request_uri'], ['$uri?$args', 'request_uri'], ['$host', 'route'], ['$cookie_session$uri', 'route'], ['$arg_id', 'route'], ['$remote_addr$uri', 'client'], ['$remote_addr$request_uri', 'client']] as const) {
      const r = imp(key);
      expect(r.options.key, key).toBe(as);
      const esc = (x: string) => x.replace(/[$.*+?^{}()|[\]\\]/g, '\\$&');
      const named = { route: '$uri', request_uri: '$request_uri', client: '$remote_addr' }[as];
      expect(matching(r.warnings, new RegExp(`h\\.conf:3: hash ${esc(key)}: not a key lbsim's traffic carries.*simulated as 'hash ${esc(named)}'`)), key).toHaveLength(1);
    }
  });
});

describe('nginx Plus sticky', () => {
  const imp = (line: string) => importBalancerText(upstream(`  ${line};\n  server a:1;\n  server b:1;\n`), 's.conf');
  it('sticky cookie: session persistence, expires= as the longest a pin lasts (max or none: the run)', () => {
    expect(imp('sticky cookie srv_id expires=1h domain=.example.com path=/').settings.persistence).toEqual({ maxLifeMs: 3_600_000 });
    expect(imp('sticky cookie srv_id').settings.persistence).toEqual({});
    expect(imp('sticky cookie srv_id expires=max').settings.persistence).toEqual({});
    expect(matching(imp('sticky cookie srv_id expires=soon').warnings, /expires=soon is not a time; the pin lasts the run/)).toHaveLength(1);
  });
  it('sticky route: not modelled, a warning', () => {
    const r = imp('sticky route $route_cookie $route_uri');
    expect(r.settings.persistence).toBeUndefined();
    expect(matching(r.warnings, /^s\.conf:3: 'sticky route \$route_cookie \$route_uri' not modelled/)).toHaveLength(1);
  });
  it('sticky learn: persistence by client, max_idle its timeout (10m by default, as nginx)', () => {
    const learn = 'sticky learn create=$upstream_cookie_sid lookup=$cookie_sid zone=client_sessions:1m';
    expect(imp(`${learn} timeout=1h`).settings.persistence).toEqual({ maxIdleMs: 3_600_000 });
    const dflt = imp(learn);
    expect(dflt.settings.persistence).toEqual({ maxIdleMs: 600_000 });
    expect(matching(dflt.warnings, /^s\.conf:3: sticky learn is nginx Plus: simulated as session persistence by client, max_idle the timeout/)).toHaveLength(1);
    expect(matching(imp(`${learn} timeout=later`).warnings, /timeout=later is not a time; nginx's default 10m is used/)).toHaveLength(1);
  });
});

describe('include, as nginx follows it', () => {
  it('inside an upstream and at http level, relative to the main file\'s folder; lines of an included file are its own', () => {
    const dir = folder({
      'nginx.conf': 'http {\n  include conf.d/*.conf;\n  upstream api {\n    zone api 64k;\n    server 10.0.0.1:8080;\n    include servers/api.inc;\n  }\n}\n',
      // A relative include in an included file is relative to the main file's folder too.
      'conf.d/b.conf': 'upstream other {\n  server 10.0.9.1:80;\n  include servers/other.inc;\n}\n',
      'conf.d/a.conf': 'proxy_next_upstream_tries 3;\n',
      'conf.d/.hidden.conf': 'this is not nginx',
      'conf.d/readme.txt': 'nor this',
      'servers/api.inc': 'server 10.0.0.7:8080;\n\nserver 10.0.0.8:8080 keepalive_mystery;\n',
      'servers/other.inc': 'server 10.0.9.2:80;\n',
    });
    const main = join(dir, 'nginx.conf');
    const api = importBalancerConfig(main, { upstream: 'api' });
    expect(api.servers.map((s) => s.name)).toEqual(['10.0.0.1:8080', '10.0.0.7:8080', '10.0.0.8:8080']);
    expect(api.settings.nextUpstreamTries).toBe(3);
    expect(api.warnings).toContain(`${join(dir, 'servers/api.inc')}:3: server 10.0.0.8:8080: 'keepalive_mystery' not understood by the importer; ignored`);
    expect(importBalancerConfig(main, { upstream: 'other' }).servers.map((s) => s.name)).toEqual(['10.0.9.1:80', '10.0.9.2:80']);
    // Choosing an upstream sees those in included files (a.conf before b.conf, as glob sorts).
    expect(() => selectBalancer('http { include conf.d/*.conf; upstream api { server a:1; } }', main, 'nginx', undefined)).toThrow(/2 upstreams \(other, api\)/);
  });
  it('a main file whose upstreams are all in included files is still read as nginx (by its http/events blocks)', () => {
    expect(detectFile('nginx.conf', 'events {}\nhttp {\n  include conf.d/*.conf;\n}\n')).toBe('nginx');
    expect(detectFile('x.conf', 'http { include up.conf; }')).toBe('nginx');
    expect(detectFile('notes.txt', 'just some text about http')).toBeUndefined();
  });
  it('an include that cannot be followed is an error at the include\'s FILE:LINE; a glob matching nothing is a note', () => {
    const dir = folder({ 'nginx.conf': '', 'loop.conf': 'include nginx.conf;\n', 'bad.inc': 'server a:1\n}\n' });
    const at = (text: string) => () => importBalancerText(text, join(dir, 'nginx.conf'));
    expect(at(upstream('  server a:1;\n  include missing.conf;\n'))).toThrow(new RegExp(`^${join(dir, 'nginx.conf')}:4: include missing\\.conf: ${join(dir, 'missing.conf')}: no such file \\(nginx refuses to start`));
    expect(at(`http {\n  include loop.conf;\n${upstream('  server a:1;\n')}}\n`)).toThrow(/loop\.conf:1: include nginx\.conf: .*includes itself \(nginx\.conf → loop\.conf → nginx\.conf\)/);
    expect(at(upstream('  include bad.inc;\n'))).toThrow(new RegExp(`^${join(dir, 'bad.inc')}:1: 'server' is not terminated by ';'`));
    expect(at(upstream('  include */x.conf;\n'))).toThrow(/nginx\.conf:3: include \*\/x\.conf: the importer follows a '\*' in the file name only/);
    const none = at(upstream('  server a:1;\n  include conf.d/*.conf;\n'))();
    expect(matching(none.warnings, /nginx\.conf:4: include conf\.d\/\*\.conf matches no file here/)).toHaveLength(1);
  });
});

describe('the same server twice, and what nginx refuses or only warns about', () => {
  it('the same address twice is two peers with names of their own, usable as a scenario\'s backends', () => {
    const dir = folder({ 'dup.conf': upstream('  server 10.0.0.1:8080;\n  server 10.0.0.2:8080;\n  server 10.0.0.1:8080 weight=3;\n  server 10.0.0.1:8080;\n') });
    const r = importBalancerConfig(join(dir, 'dup.conf'));
    expect(r.servers.map((s) => [s.name, s.address, s.weight])).toEqual([
      ['10.0.0.1:8080', '10.0.0.1:8080', 1],
      ['10.0.0.2:8080', '10.0.0.2:8080', 1],
      ['10.0.0.1:8080#2', '10.0.0.1:8080', 3],
      ['10.0.0.1:8080#3', '10.0.0.1:8080', 1],
    ]);
    expect(matching(r.warnings, /dup\.conf:5: server 10\.0\.0\.1:8080 is listed again: another peer, as in nginx, named 10\.0\.0\.1:8080#2/)).toHaveLength(1);
    const b = r.servers.map((s) => ({ name: s.name, weight: 1 }));
    resolveBalancerSection({ from: 'dup.conf' }, b, dir, 's.yaml');
    expect(b.map((x) => x.weight)).toEqual([1, 1, 3, 1]);
  });
  it('a second balancing method: nginx only warns and uses the last one (its options only)', () => {
    const r = importBalancerText(upstream('  hash $uri consistent;\n  least_conn;\n  server a:1;\n'), 'm.conf');
    expect([r.algorithm, r.options]).toEqual(['nginx/least_conn', {}]);
    expect(matching(r.warnings, /^m\.conf:4: 'least_conn' redefines the balancing method 'hash' \(m\.conf:3\): nginx 1\.22 only warns \("load balancing method redefined"\) and uses the last one/)).toHaveLength(1);
    expect(r.warnings.some((w) => /refuse/.test(w))).toBe(false);
  });
  it('backup after hash, ip_hash or random: nginx refuses ("does not support parameter backup"), an error at the server\'s line', () => {
    for (const method of ['hash $request_uri consistent', 'ip_hash', 'random two']) {
      const name = method.split(' ')[0]!;
      expect(() => importBalancerText(upstream(`  ${method};\n  server a:1;\n  server b:1 backup;\n`), 'b.conf'), method).toThrow(
        new RegExp(`^b\\.conf:5: server b:1: balancing method '${name}' \\(b\\.conf:3\\) does not support parameter "backup" \\(nginx 1\\.22 refuses to start\\)`),
      );
    }
    expect(importBalancerText(upstream('  least_conn;\n  server a:1;\n  server b:1 backup;\n'), 'b.conf').servers[1]!.backup).toBe(true);
  });
});

describe('down peers: configured, out of service for the whole run', () => {
  it('keep their weight (the hash total), get an outage covering the run and no passive checks', () => {
    const dir = folder({ 'd.conf': upstream('  ip_hash;\n  server a:1 down weight=2;\n  server b:1;\n') });
    const b: { name: string; weight: number; outages?: { from: number; to: number }[] }[] = [{ name: 'a:1', weight: 1 }, { name: 'b:1', weight: 1 }];
    const r = resolveBalancerSection({ from: 'd.conf' }, b, dir, 's.yaml');
    expect(b).toEqual([{ name: 'a:1', weight: 2, outages: [{ from: 0, to: Number.POSITIVE_INFINITY }] }, { name: 'b:1', weight: 1 }]);
    expect(r.importedKnobs!.servers.get('a:1')).toEqual({});
    expect(r.importedKnobs!.servers.get('b:1')).toEqual({ passive: { maxFails: 1, failTimeoutMs: 10_000 } });
    const all = folder({ 'd.conf': upstream('  server a:1 down;\n') });
    expect(() => resolveBalancerSection({ from: 'd.conf' }, [{ name: 'a:1', weight: 1 }], all, 's.yaml')).toThrow(/every server of 'u' is down/);
  });
  /** Requests per backend of a run through `conf`, synthetic traffic from `keys` clients (of one /24) on `keys` routes. */
  async function run(conf: string, names: string[], keys: number): Promise<number[]> {
    const { parseScenario } = await import('../../src/scenario/load.ts');
    const { simulateSync } = await import('../../src/simulate.ts');
    const { loadBalancerModule } = await import('../../src/balancers/registry.ts');
    const dir = folder({ 'n.conf': conf });
    const text = [
      'duration: 5s',
      `traffic: { synthetic: { rate: 100/s, service: { distribution: constant, mean: 1ms }, clients: { count: ${keys}, skew: 0 }, routes: { count: ${keys}, skew: 0 } } }`,
      'balancer: { from: n.conf }',
      `backends: [${names.map((n) => `{ name: "${n}", concurrency: 4 }`).join(', ')}]`,
    ].join('\n');
    const s = parseScenario(text, { file: 's.yaml', baseDir: dir });
    return simulateSync(s, await loadBalancerModule(s.balancer.algorithm, s.baseDir)).backends.map((x) => x.requests);
  }
  const names = ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080', '10.0.0.4:8080'];
  for (const method of ['ip_hash', 'hash $remote_addr', 'hash $uri', 'hash $uri consistent']) {
    it(`${method}: a client of another peer keeps its peer when one is down`, async () => {
      const conf = (down: number) => upstream(`  ${method};\n${names.map((n, i) => `  server ${n}${i === down ? ' down' : ''};\n`).join('')}`);
      // One key: all its requests go to one peer, and stay there whichever other peer is down.
      const one = await run(conf(-1), names, 1);
      const p = one.findIndex((n) => n > 0);
      for (let d = 0; d < names.length; d++) {
        if (d !== p) expect((await run(conf(d), names, 1))[p], `${method}, ${names[d]} down`).toBe(one[p]);
      }
      const up = await run(conf(-1), names, 200);
      // Many keys: mark down, one at a time, each peer: the others' requests stay where
      // they were (more, never fewer), and the down peer gets none.
      let moved = 0;
      for (let d = 0; d < names.length; d++) {
        const down = await run(conf(d), names, 200);
        expect(down[d], `${method}, ${names[d]} down`).toBe(0);
        down.forEach((n, b) => {
          if (b !== d) expect(n, `${method}, ${names[d]} down: ${names[b]}`).toBeGreaterThanOrEqual(up[b]!);
        });
        moved += up[d]!;
      }
      expect(moved).toBeGreaterThan(0);
    });
  }
});

describe('validate names each nginx server at its own line', () => {
  it('a repeated address: the second peer at its own line, not the first one\'s', () => {
    const text = upstream('  server 10.0.0.1:8080 weight=0;\n  server 10.0.0.2:8080;\n  server 10.0.0.1:8080 down;\n').replace('weight=0', 'down');
    expect(validateProxyText(text, 'dup.conf', {}).findings.map((f) => [f.field, f.line])).toEqual([
      ['10.0.0.1:8080.down', 3],
      ['10.0.0.1:8080#2.down', 5],
    ]);
  });
  it('a server from an included file at that file\'s line, after the main file\'s', () => {
    const dir = folder({ 'servers/api.inc': '# the api pool\nserver 10.0.0.7:8080 down;\nserver 10.0.0.8:8080 weight=100;\n' });
    const main = join(dir, 'nginx.conf');
    const text = upstream('  server 10.0.0.1:8080 backup;\n  include servers/api.inc;\n  server 10.0.0.2:8080;\n  server 10.0.0.3:8080;\n');
    const v = validateProxyText(text, main, {});
    const inc = join(dir, 'servers/api.inc');
    expect(v.findings.map((f) => [f.file, f.line, f.field])).toEqual([
      [undefined, 3, '10.0.0.1:8080.backup'],
      [inc, 2, '10.0.0.7:8080.down'],
      [inc, 3, '10.0.0.8:8080.weight'],
    ]);
    expect(formatValidation(v).split('\n').slice(0, 3)).toEqual([
      `${main}:3: 10.0.0.1:8080.backup: warning: 10.0.0.1:8080 is a backup: it takes no traffic while the others are up`,
      `${inc}:2: 10.0.0.7:8080.down: warning: 10.0.0.7:8080 is marked down: it takes no traffic while the others are up`,
      `${inc}:3: 10.0.0.8:8080.weight: warning: 10.0.0.8:8080 gets 98% of the traffic (weight 100, the others' median is 1): 100× its peers — a typo?`,
    ]);
  });
});
