/**
 * Config import on realistic files in test/fixtures/configs/ (haproxy.cfg passes
 * `haproxy -c` of HAProxy 2.6.12; nginx.conf passes `nginx -t` of nginx 1.22.1 once its
 * nginx Plus `sticky` line is removed). Every directive the importer does not model must
 * come back as a warning naming its file and line (or YAML path), never silently dropped.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import { balancerNames, classifyFile, detectFile, importBalancerConfig, importBalancerText, selectBalancer } from '../../src/config-import/index.ts';
import { resolveBalancerSection } from '../../src/config-import/scenario.ts';
import { OUTLIER_DEFAULTS } from '../../src/engine/server-health.ts';
import { isLbsimError } from '../../src/errors.ts';

const dir = join(import.meta.dirname, '..', 'fixtures', 'configs');
const fixture = (name: string) => join(dir, name);
const has = (warnings: string[], re: RegExp) => expect(warnings.some((w) => re.test(w)), `no warning matching ${re} in:\n${warnings.join('\n')}`).toBe(true);

describe('haproxy.cfg', () => {
  const app = importBalancerConfig(fixture('haproxy.cfg'), { backend: 'app' });
  it('reads algorithm, servers, weights and per-server knobs, with defaults applied', () => {
    expect(app.kind).toBe('haproxy');
    expect(app.algorithm).toBe('haproxy/leastconn');
    expect(BUILTIN_BALANCERS.has(app.algorithm)).toBe(true);
    expect(app.servers.map((s) => [s.name, s.weight, s.maxconn ?? null, s.backup ?? false])).toEqual([
      ['web1', 100, 200, false],
      ['web2', 100, 200, false],
      ['web3', 50, 100, false],
      ['spare', 100, null, true],
    ]);
    // default-server inter 3s rise 2 fall 3 slowstart 60s applies to every server
    expect(app.servers[0]!.check).toEqual({ interMs: 3000, rise: 2, fall: 3 });
    expect(app.servers[0]!.slowStartMs).toBe(60_000);
    expect(app.settings).toMatchObject({ queueTimeoutMs: 10_000, retries: 3, redispatch: true, healthCheck: { httpchk: 'GET /healthz' } });
  });
  it('warns, with file and line, about what it does not model', () => {
    has(app.warnings, /haproxy\.cfg:30: 'http-check expect status 200' not understood/);
    // Cookie persistence is simulated (balancer.persistence), the backup server without a cookie value too (it pins no one).
    expect(app.warnings.filter((w) => /cookie/.test(w))).toEqual([]);
    expect(app.settings.persistence).toEqual({ withoutCookie: ['spare'] });
    // maxconn, timeout queue, retries and redispatch are simulated now (the proxy layer): no warning.
    expect(app.warnings.filter((w) => /maxconn|queueTimeoutMs|retries|redispatch/.test(w))).toEqual([]);
    // backup, slowstart and check inter rise fall are simulated now: no warning names them
    expect(app.warnings.filter((w) => /slowstart|check inter|backup|allbackups/.test(w))).toEqual([]);
  });
  it('reads hashing options and disabled servers', () => {
    const api = importBalancerConfig(fixture('haproxy.cfg'), { backend: 'api' });
    expect(api.algorithm).toBe('haproxy/uri');
    expect(api.options).toEqual({ hash_type: 'consistent', hash_function: 'sdbm', avalanche: true, hash_balance_factor: 150 });
    expect(api.servers.find((s) => s.name === 'api2')!.down).toBe(true);
    expect(api.warnings.filter((w) => /hash-balance-factor/.test(w))).toEqual([]);
    has(api.warnings, /server api3: 'agent-check' not understood/);
    has(api.warnings, /server api3: 'agent-port 9999' not understood/);
    has(api.warnings, /server api2 is disabled: imported with weight 0/);
  });
  it('names the backends it found when the one asked for is missing', () => {
    expect(() => importBalancerConfig(fixture('haproxy.cfg'), { backend: 'nope' })).toThrow(/no backend or listen section named 'nope'; found app, api, stats/);
  });
  it("says that balance hdr(name) hashes the path (no header in lbsim's traces), and why url_param / rdp-cookie run as round robin", () => {
    const h = importBalancerText('backend b\n  balance hdr(host) use_domain_only\n  hash-type consistent\n  server s1 1.1.1.1:80\n', 'h.cfg');
    expect([h.algorithm, h.options]).toEqual(['haproxy/hdr', { hash_type: 'consistent' }]);
    has(h.warnings, /^h\.cfg:2: balance hdr\(host\): lbsim's traces hold no host header; haproxy\/hdr hashes the route key \(the path\) instead/);
    has(h.warnings, /^h\.cfg:2: balance arguments 'use_domain_only' not modelled; ignored/);
    const u = importBalancerText('backend b\n  balance url_param userid\n  server s1 1.1.1.1:80\n', 'u.cfg');
    has(u.warnings, /u\.cfg:2: 'balance url_param userid' is not modelled; using haproxy\/roundrobin .*HAProxy uses round robin for a request without the parameter/);
    const r = importBalancerText('backend b\n  balance rdp-cookie(mstshash)\n  server s1 1.1.1.1:80\n', 'r.cfg');
    has(r.warnings, /r\.cfg:2: 'balance rdp-cookie\(mstshash\)' is not modelled; using haproxy\/roundrobin .*no RDP cookie/);
  });
  it('balance uri whole hashes the path with its query string (whole: true); other uri arguments are warnings', () => {
    const w = importBalancerText('backend b\n  balance uri whole\n  server s1 1.1.1.1:80\n', 'w.cfg');
    expect([w.algorithm, w.options, w.warnings]).toEqual(['haproxy/uri', { whole: true }, []]);
    const d = importBalancerText('backend b\n  balance uri depth 2 whole\n  server s1 1.1.1.1:80\n', 'd.cfg');
    expect([d.algorithm, d.options]).toEqual(['haproxy/uri', { whole: true }]);
    has(d.warnings, /^d\.cfg:2: balance arguments 'depth 2' not modelled; ignored/);
    const p = importBalancerText('backend b\n  balance uri\n  server s1 1.1.1.1:80\n', 'p.cfg');
    expect([p.options, p.warnings]).toEqual([{}, []]);
  });
  it('cookie persistence: cookie NAME ... maxidle/maxlife (seconds unless a unit is given) with server cookie values', () => {
    const cfg = (cookie: string, servers = '  server s1 1.1.1.1:80 cookie a\n  server s2 1.1.1.2:80 cookie b\n') => importBalancerText(`backend b\n  balance roundrobin\n  ${cookie}\n${servers}`, 'c.cfg');
    const on = cfg('cookie SERVERID insert indirect nocache domain .example.com maxidle 30m maxlife 8h');
    expect([on.settings.persistence, on.servers.map((s) => s.cookie), on.warnings]).toEqual([{ maxIdleMs: 1_800_000, maxLifeMs: 28_800_000 }, ['a', 'b'], []]);
    expect(cfg('cookie SRV insert maxidle 3600').settings.persistence).toEqual({ maxIdleMs: 3_600_000 });
    expect(cfg('cookie SRV prefix').settings.persistence).toEqual({});
    const some = cfg('cookie SRV insert', '  server s1 1.1.1.1:80 cookie a\n  server s2 1.1.1.2:80\n');
    // s2 sets no cookie: a client it serves keeps the cookie it had (persistence.withoutCookie), no warning.
    expect([some.settings.persistence, some.warnings]).toEqual([{ withoutCookie: ['s2'] }, []]);
    const none = cfg('cookie SRV insert', '  server s1 1.1.1.1:80\n');
    expect(none.settings.persistence).toBeUndefined();
    has(none.warnings, /^c\.cfg:3: cookie SRV: no server has a cookie value, so HAProxy pins no client to a server; persistence not simulated/);
    expect(() => cfg('cookie')).toThrow(/^c\.cfg:3: 'cookie' expects <cookie_name> as argument \(HAProxy 2\.6 refuses to start\)/);
    expect(() => cfg('cookie SRV insert maxidle soon')).toThrow(/^c\.cfg:3: cookie SRV: maxidle 'soon': expected a time/);
  });
  it('option persist (from defaults too, `no option persist` undoing it) keeps pinned clients on a down server', () => {
    const servers = '  server s1 1.1.1.1:80 cookie a\n  server s2 1.1.1.2:80 cookie b\n';
    const cfg = (defaults: string, backend: string) => importBalancerText(`defaults\n${defaults}backend b\n  balance roundrobin\n  cookie SRV insert\n${backend}${servers}`, 'p.cfg');
    expect(cfg('', '  option persist\n').settings.persistence).toEqual({ persist: true });
    expect(cfg('  option persist\n', '').settings.persistence).toEqual({ persist: true });
    expect(cfg('  option persist\n', '  no option persist\n').settings.persistence).toEqual({});
    expect(cfg('', '').settings.persistence).toEqual({});
    const alone = importBalancerText('backend b\n  option persist\n  server s1 1.1.1.1:80\n', 'q.cfg');
    expect(alone.settings.persistence).toBeUndefined();
    has(alone.warnings, /^q\.cfg:2: option persist: no cookie or stick-table persistence here, so it changes nothing$/);
  });
  it('stick on src with the section\'s stick-table: persistence by the client address, expire as max_idle, size as table_size', () => {
    const cfg = (lines: string) => importBalancerText(`backend b\n  mode tcp\n  balance leastconn\n${lines}  server s1 1.1.1.1:80\n  server s2 1.1.1.2:80\n`, 't.cfg');
    const on = cfg('  stick-table type ip size 200k expire 30m\n  stick on src\n');
    expect([on.settings.persistence, on.warnings]).toEqual([{ maxIdleMs: 1_800_000, tableSize: 204_800 }, []]);
    expect(cfg('  stick-table type ip size 200k\n  stick on src\n').settings.persistence).toEqual({ tableSize: 204_800 });
    // parse_size_err: k, m, g are powers of 2^10, either case; anything else is fatal.
    for (const [size, n] of [['1000', 1000], ['2m', 2_097_152], ['1G', 1_073_741_824]] as const) expect(cfg(`  stick-table type ip size ${size}\n  stick on src\n`).settings.persistence, size).toEqual({ tableSize: n });
    for (const size of ['1.5k', '10kb', 'lots', '5g']) expect(() => cfg(`  stick-table type ip size ${size}\n  stick on src\n`), size).toThrow(new RegExp(`^t\\.cfg:4: stick-table: size '${size.replace('.', '\\.')}': expected a number of entries`));
    const other = cfg('  stick on src table shared\n');
    expect(other.settings.persistence).toEqual({});
    has(other.warnings, /^t\.cfg:4: stick on src table shared: a table of another section/);
    const hdr = cfg('  stick-table type string len 32 size 10k\n  stick on hdr(x-user)\n');
    expect(hdr.settings.persistence).toBeUndefined();
    has(hdr.warnings, /^t\.cfg:5: stick on hdr\(x-user\): not modelled \(only stick on src/);
    expect(() => cfg('  stick-table type ip size 1k expire soon\n  stick on src\n')).toThrow(/^t\.cfg:4: stick-table: expire 'soon': expected a time/);
    expect(() => cfg('  stick on src\n')).toThrow(/^t\.cfg:4: stick on src: Proxy 'b': unable to find stick-table 'b' \(HAProxy 2\.6 refuses to start\)/);
    // A cookie assigns the server first: the cookie's limits win.
    const both = importBalancerText('backend b\n  cookie S insert maxidle 60\n  stick-table type ip size 1k expire 30m\n  stick on src\n  server s1 1.1.1.1:80 cookie a\n', 'b.cfg');
    expect(both.settings.persistence).toEqual({ maxIdleMs: 60_000 });
  });
  it('maps balance random(3) and unknown algorithms with a warning', () => {
    const r = importBalancerText('backend b\n  balance random(3)\n  server s1 1.1.1.1:80\n', 'x.cfg');
    expect([r.algorithm, r.options]).toEqual(['haproxy/random', { draws: 3 }]);
    const u = importBalancerText('defaults\n  balance url_param userid\nbackend b\n  server s1 1.1.1.1:80\n', 'y.cfg');
    expect(u.algorithm).toBe('haproxy/roundrobin');
    has(u.warnings, /y\.cfg:2: 'balance url_param userid' is not modelled; using haproxy\/roundrobin/);
  });
});

describe('what the proxy itself refuses to start with is an error, not a warning', () => {
  const cfg = (body: string) => () => importBalancerText(`defaults\n  mode http\nbackend b\n${body}`, 'h.cfg');
  it('HAProxy: an unknown balance algorithm names FILE:LINE and lists the known ones', () => {
    expect(cfg('  balance leestconn\n  server s1 1.1.1.1:80\n')).toThrow(/^h\.cfg:4: balance leestconn: unknown algorithm \(HAProxy 2\.6 refuses to start\); expected one of roundrobin, static-rr, leastconn, first, source, uri, url_param, hdr\(<name>\), random/);
    // Valid in HAProxy but not modelled: still a warning (see above); balance hash of an expression lbsim's traffic does not carry too.
    expect(cfg('  balance hash req.cook(SID)\n  server s1 1.1.1.1:80\n')().warnings.some((w) => /'balance hash req\.cook\(SID\)' is not modelled; using haproxy\/roundrobin/.test(w))).toBe(true);
    // balance hash path / url / req.hdr(N) hash the bytes balance uri / uri whole / hdr(N) hash (haproxy 2.6.12 chose alike).
    const expr = (e: string) => {
      const r = cfg(`  balance hash ${e}\n  hash-type consistent\n  server s1 1.1.1.1:80\n`)();
      return [r.algorithm, r.options, r.warnings.length];
    };
    expect(expr('path')).toEqual(['haproxy/uri', { hash_type: 'consistent' }, 0]);
    expect(expr('url')).toEqual(['haproxy/uri', { whole: true, hash_type: 'consistent' }, 0]);
    expect(expr('req.hdr(x-user)')).toEqual(['haproxy/hdr', { hash_type: 'consistent' }, 1]);
    expect(expr('src')).toEqual(['haproxy/source', { hash_type: 'consistent' }, 1]);
  });
  it('HAProxy: hash-balance-factor 1..100 or without a number; above 100 becomes the option of consistent hashing and random, from defaults too', () => {
    expect(cfg('  hash-balance-factor 100\n  server s1 1.1.1.1:80\n')).toThrow(/^h\.cfg:4: 'hash-balance-factor' must be 0 or greater than 100, got 100 \(HAProxy 2\.6 refuses to start\)/);
    expect(cfg('  hash-balance-factor\n  server s1 1.1.1.1:80\n')).toThrow(/^h\.cfg:4: 'hash-balance-factor' expects an integer argument/);
    const uri = cfg('  balance uri\n  hash-type consistent\n  hash-balance-factor 150\n  server s1 1.1.1.1:80\n')();
    expect(uri.options).toMatchObject({ hash_type: 'consistent', hash_balance_factor: 150 });
    expect(cfg('  balance random(3)\n  hash-balance-factor 125\n  server s1 1.1.1.1:80\n')().options).toEqual({ draws: 3, hash_balance_factor: 125 });
    const inherited = importBalancerText('defaults\n  mode http\n  hash-balance-factor 200\nbackend b\n  balance source\n  hash-type consistent\n  server s1 1.1.1.1:80\n', 'h.cfg');
    expect(inherited.options.hash_balance_factor).toBe(200);
    const mapBased = cfg('  balance uri\n  hash-balance-factor 150\n  server s1 1.1.1.1:80\n')();
    expect(mapBased.options.hash_balance_factor).toBeUndefined();
    expect(mapBased.warnings).toContain('h.cfg:5: hash-balance-factor has no effect on haproxy/uri with map-based hashing (HAProxy applies it to hash-type consistent and balance random); ignored');
    expect(cfg('  balance leastconn\n  hash-balance-factor 150\n  server s1 1.1.1.1:80\n')().warnings).toContainEqual(expect.stringMatching(/hash-balance-factor has no effect on haproxy\/leastconn \(/));
    expect(cfg('  balance uri\n  hash-type consistent\n  hash-balance-factor 0\n  server s1 1.1.1.1:80\n')().options.hash_balance_factor).toBeUndefined();
  });
  it('HAProxy: a server weight outside 0..256 (SRV_UWGHT_MAX)', () => {
    expect(cfg('  server s1 1.1.1.1:80 weight 300\n')).toThrow(/^h\.cfg:4: server s1: weight 300 is not within 0 and 256/);
    expect(cfg('  server s1 1.1.1.1:80 weight -1\n')).toThrow(/weight -1 is not within 0 and 256/);
    expect(cfg('  server s1 1.1.1.1:80 weight 256\n  server s2 1.1.1.2:80 weight 0\n')().servers.map((x) => x.weight)).toEqual([256, 0]);
    // A word that is not a number is read as HAProxy's atol() reads it: 0 (weight 0 takes no traffic; maxconn 0 = no limit), with a warning.
    const nan = cfg('  server s1 1.1.1.1:80 weight abc maxconn xyz\n')();
    expect(nan.servers.map((x) => [x.weight, x.maxconn])).toEqual([[0, 0]]);
    expect(nan.warnings).toEqual(expect.arrayContaining([
      "h.cfg:4: server s1: weight 'abc' is not a whole number; HAProxy reads it as 0 (atol), and so does lbsim",
      "h.cfg:4: server s1: maxconn 'xyz' is not a whole number; HAProxy reads it as 0 (atol), and so does lbsim",
    ]));
    expect(cfg('  server s1 1.1.1.1:80 weight 7x\n')().servers[0]!.weight).toBe(7);
    // A bad weight in default-server is the default-server line's, not the server's.
    expect(cfg('  default-server weight 300\n  server s1 1.1.1.1:80\n')).toThrow(/^h\.cfg:4: default-server: weight 300 is not within 0 and 256/);
    const defaultAbc = cfg('  default-server weight abc\n  server s1 1.1.1.1:80\n  server s2 1.1.1.2:80 weight 2\n')();
    expect(defaultAbc.servers.map((x) => x.weight)).toEqual([0, 2]);
    expect(defaultAbc.warnings.filter((x) => /weight 'abc'/.test(x))).toEqual(["h.cfg:4: default-server: weight 'abc' is not a whole number; HAProxy reads it as 0 (atol), and so does lbsim"]);
  });
  it('HAProxy: times it cannot read, rise/fall not above 0, two servers of one name; retries it reads with atol()', () => {
    expect(cfg('  server w3 1.1.1.3:80 inter fast check\n')).toThrow(/^h\.cfg:4: server w3: inter 'fast': expected a time such as 2s or 500ms \(HAProxy 2\.6 refuses to start\)/);
    expect(cfg('  default-server inter fast\n  server w3 1.1.1.3:80 check\n')).toThrow(/^h\.cfg:4: default-server: inter 'fast'/);
    expect(cfg('  server w3 1.1.1.3:80 slowstart soon\n')).toThrow(/h\.cfg:4: server w3: slowstart 'soon': expected a time/);
    expect(cfg('  server w3 1.1.1.3:80 check rise 0\n')).toThrow(/h\.cfg:4: server w3: 'rise' has to be > 0 \(got '0'\)/);
    expect(cfg('  server w3 1.1.1.3:80 check fall none\n')).toThrow(/h\.cfg:4: server w3: 'fall' has to be > 0 \(got 'none'\)/);
    expect(cfg('  server w3 1.1.1.3:80 weight\n')).toThrow(/h\.cfg:4: server w3: 'weight' expects an argument/);
    expect(cfg('  timeout queue 5x\n  server w1 1.1.1.1:80\n')).toThrow(/^h\.cfg:4: timeout queue '5x': expected a time such as 30s or 500ms \(HAProxy 2\.6 refuses to start\)/);
    expect(cfg('  server w1 1.1.1.1:80\n  server w2 1.1.1.2:80\n  server w1 1.1.1.3:80\n')).toThrow(
      /^h\.cfg:6: backend 'b', another server named 'w1' was already defined at line 4, please use distinct names \(HAProxy 2\.6 refuses to start\)$/,
    );
    // cfgparse-listen.c: retries is atol()'d (only an empty argument is fatal): 'three' is 0 retries, with a note.
    const three = cfg('  retries three\n  server w1 1.1.1.1:80\n')();
    expect(three.settings.retries).toBe(0);
    expect(three.warnings).toContain("h.cfg:4: retries 'three' is not a whole number of retries; HAProxy 2.6 reads it as 0 (atol), lbsim as 0");
    expect(cfg('  retries\n  server w1 1.1.1.1:80\n')).toThrow(/^h\.cfg:4: 'retries' expects an integer argument/);
  });
  it("HAProxy: each server keeps its own line (validate reports it there, not at another server's with the same address)", async () => {
    const { validateProxyText } = await import('../../src/workflows/validate-proxy.ts');
    const text = 'backend api\n    balance roundrobin\n    server w3 10.0.0.3:80 check\n    server w4 10.0.0.3:80 disabled\n';
    expect(importBalancerText(text, 'hw.cfg').servers.map((x) => [x.name, x.line])).toEqual([['w3', 3], ['w4', 4]]);
    expect(validateProxyText(text, 'hw.cfg', {}).findings.map((f) => [f.field, f.line])).toEqual([['w4.down', 4]]);
  });
  it('nginx: weight=0 (or not a positive whole number) is an invalid parameter', () => {
    const conf = (w: string) => () => importBalancerText(`http {\n  upstream u {\n    server a:1 ${w};\n  }\n}\n`, 'n.conf');
    expect(conf('weight=0')).toThrow(/^n\.conf:3: server a:1: invalid parameter "weight=0" \(nginx 1\.22 requires a weight of at least 1/);
    expect(conf('weight=1.5')).toThrow(/invalid parameter "weight=1\.5"/);
    expect(conf('weight=7')().servers[0]!.weight).toBe(7);
    // Every value nginx cannot read is the same "invalid parameter" (ngx_atoi / ngx_parse_time → NGX_ERROR).
    expect(conf('max_conns=lots')).toThrow(/n\.conf:3: server a:1: invalid parameter "max_conns=lots"/);
    expect(conf('max_fails=-1')).toThrow(/invalid parameter "max_fails=-1"/);
    expect(conf('fail_timeout=soon')).toThrow(/invalid parameter "fail_timeout=soon" \(nginx 1\.22 requires a time for fail_timeout/);
  });
  it('Envoy: load_balancing_weight below 1 (LbEndpoint: uint32 gte 1), or a locality summing past 2^32 − 1', () => {
    const cluster = (weights: number[]) => () =>
      importBalancerText(
        `name: api\nload_assignment:\n  cluster_name: api\n  endpoints:\n    - lb_endpoints:\n${weights.map((w, i) => `        - endpoint: { address: { socket_address: { address: 10.0.0.${i + 1}, port_value: 80 } } }\n          load_balancing_weight: ${w}\n`).join('')}`,
        'c.yaml',
      );
    expect(cluster([1, 0])).toThrow(/^c\.yaml:9: clusters\[api\]\.load_assignment\.endpoints\[0\]\.lb_endpoints\[1\]\.load_balancing_weight: 0 is invalid: Envoy 1\.28 requires a whole number >= 1/);
    expect(cluster([4_000_000_000, 400_000_000])).toThrow(/sum to 4400000000, more than Envoy allows in a locality/);
    expect(cluster([200, 3])().servers.map((x) => x.weight)).toEqual([200, 3]);
  });
});

describe('nginx.conf', () => {
  const app = importBalancerConfig(fixture('nginx.conf'), { upstream: 'app' });
  it('reads method, servers and parameters', () => {
    expect(app.kind).toBe('nginx');
    expect(app.algorithm).toBe('nginx/least_conn');
    expect(app.servers.map((s) => [s.name, s.weight, s.maxconn ?? null, s.backup ?? false])).toEqual([
      ['10.0.1.11:8080', 5, 200, false],
      ['10.0.1.12:8080', 5, 200, false],
      ['10.0.1.13:8080', 2, null, false],
      ['10.0.1.20:8080', 1, null, true],
    ]);
    expect(app.servers[0]).toMatchObject({ maxFails: 3, failTimeoutMs: 30_000 });
    expect(app.settings).toMatchObject({ nextUpstreamTries: 2, nextUpstream: ['error', 'timeout', 'http_502'] });
  });
  it('warns about what it does not model', () => {
    has(app.warnings, /nginx\.conf:14: 'keepalive 32' not understood/);
    has(app.warnings, /upstream 'app' has no 'zone': each nginx worker balances on its own counters/);
    has(app.warnings, /nginx\.conf:34: proxy_next_upstream http_502: not modelled/);
    expect(app.warnings.filter((w) => /max_conns|proxy_next_upstream_tries/.test(w))).toEqual([]);
  });
  it('reads hash ... consistent, down servers and Plus-only directives', () => {
    const cache = importBalancerConfig(fixture('nginx.conf'), { upstream: 'cache' });
    expect([cache.algorithm, cache.options]).toEqual(['nginx/hash', { consistent: true, key: 'request_uri' }]);
    expect(cache.settings.sharedZone).toBe(true);
    expect(cache.servers[2]!.down).toBe(true);
    has(cache.warnings, /nginx\.conf:27: sticky cookie is nginx Plus \(the open-source nginx 1\.22 refuses it\): simulated as session persistence/);
    expect(cache.settings.persistence).toEqual({ maxLifeMs: 3_600_000 });
  });
  it('reports a syntax error with its line', () => {
    expect(() => importBalancerText('http {\n upstream a {\n server x:1\n}\n', 'bad.conf')).toThrow(/bad\.conf:3: 'server' is not terminated by ';'/);
  });
});

describe('Envoy bootstrap (listeners, routes, typed load_balancing_policy)', () => {
  it('a typed Maglev cluster behind a cookie hash_policy: hash_key client, its bound, the passed-over policy named', () => {
    const shop = importBalancerConfig(fixture('envoy-bootstrap.yaml'), { cluster: 'shop' });
    expect([shop.algorithm, shop.options]).toEqual(['envoy/maglev', { table_size: 65537, hash_balance_factor: 150, hash_key: 'client' }]);
    has(shop.warnings, /envoy-bootstrap\.yaml:32: clusters\[shop\]\.load_balancing_policy: passed over client_side_weighted_round_robin/);
    has(shop.warnings, /envoy-bootstrap\.yaml:24: virtual host 'web', route 'cart', hash_policy\[0\]: cookie session: modelled as the client key/);
    expect(shop.warnings).toHaveLength(2);
  });
  it('a ring hash cluster whose route has no hash_policy: hash_key random, said at the route', () => {
    const statics = importBalancerConfig(fixture('envoy-bootstrap.yaml'), { cluster: 'static' });
    expect([statics.algorithm, statics.options]).toEqual(['envoy/ring_hash', { hash_key: 'random' }]);
    expect(statics.warnings).toEqual([expect.stringMatching(/^.*envoy-bootstrap\.yaml:27: virtual host 'web', route 'static' sends to this cluster with no hash_policy/)]);
  });
});

describe('Envoy cluster YAML', () => {
  const app = importBalancerConfig(fixture('envoy-cluster.yaml'), { cluster: 'app' });
  it('reads policy, its options, endpoints and weights', () => {
    expect(app.kind).toBe('envoy');
    expect(app.algorithm).toBe('envoy/least_request');
    // locality_weighted_lb_config: on, though no group has a locality weight (Envoy then balances as without it).
    expect(app.options).toEqual({ choice_count: 3, active_request_bias: 0.8, healthy_panic_threshold: 40, locality_weighted_lb: true });
    expect(app.servers.map((s) => [s.name, s.weight, s.down ?? false])).toEqual([
      ['10.0.1.11:8080', 3, false],
      ['10.0.1.12:8080', 3, false],
      ['10.0.1.13:8080', 1, true],
    ]);
    expect(app.settings.circuitBreakers).toEqual({ max_connections: 1000, max_pending_requests: 100, max_requests: 1000, max_retries: 3 });
    // max_retries is Envoy's limit on retries in flight, not a number of retries (that is the route's).
    expect(app.settings.retries).toBeUndefined();
  });
  it('reads health_checks, outlier_detection and slow_start_config as lbsim runs them', () => {
    expect(app.settings.activeCheck).toEqual({ interMs: 5000, rise: 2, fall: 3 });
    expect(app.settings.slowStart).toEqual({ windowMs: 30_000, aggression: 1, minWeightPercent: 10 });
    // Envoy's defaults except what the file sets
    expect(app.settings.outlier).toEqual({ ...OUTLIER_DEFAULTS, maxEjectionPercent: 50 });
  });
  it('warns by path about what it does not model', () => {
    has(app.warnings, /clusters\[app\]\.upstream_bind_config: not understood/);
    expect(app.warnings.filter((w) => /locality/.test(w))).toEqual([]);
    expect(app.warnings.filter((w) => /slow_start_config|outlier_detection|health_checks/.test(w))).toEqual([]);
    has(app.warnings, /health_status: DRAINING: imported with weight 0/);
  });
  it('asks which cluster when there are several', () => {
    expect(() => importBalancerConfig(fixture('envoy-cluster.yaml'))).toThrow(/2 clusters \(app, sessions\); choose one with balancer\.cluster/);
    const s = importBalancerConfig(fixture('envoy-cluster.yaml'), { cluster: 'sessions' });
    expect([s.algorithm, s.options]).toEqual(['envoy/maglev', { table_size: 5003 }]);
  });
  it('refuses a selector of another proxy', () => {
    let err: unknown;
    try {
      importBalancerConfig(fixture('envoy-cluster.yaml'), { backend: 'app' });
    } catch (e) {
      err = e;
    }
    expect(isLbsimError(err)).toBe(true);
    expect((err as Error).message).toMatch(/^balancer\.backend: .* is an Envoy configuration; select with balancer\.cluster/);
  });
});

describe('balancer.from in a scenario', () => {
  const backends = () => ['web1', 'web2', 'web3', 'spare'].map((name) => ({ name, weight: 1 }));
  it('takes algorithm, options and weights from the file; scenario keys add options', () => {
    const b = backends();
    const r = resolveBalancerSection({ from: 'haproxy.cfg', backend: 'app', instances: 4 }, b, dir, 's.yaml');
    expect(r.algorithm).toBe('haproxy/leastconn');
    // backups, checks and slow start are server-health knobs, for any algorithm, not options
    expect(r.options).toEqual({ instances: 4 });
    expect(b.map((x) => x.weight)).toEqual([100, 100, 50, 100]);
    const check = { interMs: 3000, rise: 2, fall: 3 };
    const slowStart = { proxy: 'haproxy', periodMs: 60_000 };
    expect(Object.fromEntries(r.importedKnobs!.servers)).toEqual({
      web1: { check, slowStart },
      web2: { check, slowStart },
      web3: { check, slowStart },
      spare: { backup: true, check, slowStart },
    });
    expect(r.importedKnobs!.allBackups).toBeUndefined();
  });
  it('maps nginx backups (all of them serve) and max_fails / fail_timeout (on by default)', () => {
    const b = ['10.0.1.11:8080', '10.0.1.12:8080', '10.0.1.13:8080', '10.0.1.20:8080'].map((name) => ({ name, weight: 1 }));
    const r = resolveBalancerSection({ from: 'nginx.conf', upstream: 'app' }, b, dir, 's.yaml');
    expect(r.algorithm).toBe('nginx/least_conn');
    expect(b.map((x) => x.weight)).toEqual([5, 5, 2, 1]);
    expect(r.importedKnobs!.allBackups).toBe(true);
    expect([...r.importedKnobs!.servers.values()]).toEqual([
      { passive: { maxFails: 3, failTimeoutMs: 30_000 } },
      { passive: { maxFails: 1, failTimeoutMs: 10_000 } },
      { passive: { maxFails: 1, failTimeoutMs: 10_000 } },
      { backup: true, passive: { maxFails: 1, failTimeoutMs: 10_000 } },
    ]);
    expect(r.imported?.warnings.filter((w) => /backup|max_fails|fail_timeout/.test(w))).toEqual([]);
  });
  it('maps an Envoy cluster\'s health checks, outlier detection and slow start to every endpoint', () => {
    const b = ['10.0.1.11:8080', '10.0.1.12:8080', '10.0.1.13:8080'].map((name) => ({ name, weight: 1 }));
    const r = resolveBalancerSection({ from: 'envoy-cluster.yaml', cluster: 'app' }, b, dir, 's.yaml');
    expect(b.map((x) => x.weight)).toEqual([3, 3, 0]);
    const knobs = { check: { interMs: 5000, rise: 2, fall: 3 }, slowStart: { proxy: 'envoy', windowMs: 30_000, aggression: 1, minWeightPercent: 10 } };
    expect([...r.importedKnobs!.servers.values()]).toEqual([knobs, knobs, knobs]);
    expect(r.importedKnobs!.outlier).toMatchObject({ consecutive5xx: 5, maxEjectionPercent: 50 });
  });
  it('requires the backends to be the servers of the config, naming both lists', () => {
    expect(() => resolveBalancerSection({ from: 'haproxy.cfg', backend: 'app' }, [{ name: 'web1', weight: 1 }, { name: 'web9', weight: 1 }], dir, 's.yaml')).toThrow(
      /s\.yaml: backends: must name the servers of haproxy\.cfg 'app' \(web1, web2, web3, spare\); not in the config: web9; no backend for: web2, web3, spare/,
    );
  });
  it('refuses algorithm and from together', () => {
    expect(() => resolveBalancerSection({ from: 'haproxy.cfg', algorithm: 'random' }, backends(), dir, 's.yaml')).toThrow(/balancer\.algorithm: give either algorithm or from/);
  });
  it('maps maxconn, maxqueue, timeout queue, retries and redispatch to the proxy layer (HAProxy, with its defaults)', () => {
    const b: { name: string; weight: number; maxconn?: number }[] = backends();
    const r = resolveBalancerSection({ from: 'haproxy.cfg', backend: 'app' }, b, dir, 's.yaml');
    expect(b.map((x) => x.maxconn ?? null)).toEqual([200, 200, 100, null]);
    // timeout connect 5s also sets the turn-around before a retry: MIN(1 s, 5 s); timeout server 30s is the per-try timeout.
    expect(r.proxy).toEqual({ retries: 3, redispatch: 'last', retry_on: ['refused'], timeout_queue: 10_000, timeout_connect: 5000, per_try_timeout: 30_000 });
    // A scenario's own maxconn wins; maxqueue 0 is HAProxy's "no limit"; without timeout queue, timeout connect is used; retries default to 3.
    const text = 'defaults\n  timeout connect 3s\nbackend b\n  server s1 1.1.1.1:80 maxconn 10 maxqueue 0\n  server s2 1.1.1.2:80 maxconn 10 maxqueue 5\n';
    const tmp = mkdtempSync(join(tmpdir(), 'lbsim-import-'));
    writeFileSync(join(tmp, 'h.cfg'), text);
    const own: { name: string; weight: number; maxconn?: number; maxqueue?: number }[] = [{ name: 's1', weight: 1, maxconn: 4 }, { name: 's2', weight: 1 }];
    const r2 = resolveBalancerSection({ from: 'h.cfg' }, own, tmp, 's.yaml');
    expect(own).toEqual([{ name: 's1', weight: 1, maxconn: 4 }, { name: 's2', weight: 1, maxconn: 10, maxqueue: 5 }]);
    expect(r2.proxy).toEqual({ retries: 3, redispatch: 'never', retry_on: ['refused'], timeout_queue: 3000, timeout_connect: 3000 });
    // option redispatch <interval>: the interval as HAProxy's atol() reads it (a word that is no number warns, and reads as 0).
    for (const [arg, expected, warns] of [['2', 2, false], ['-2', -2, false], ['x', 0, true]] as const) {
      writeFileSync(join(tmp, 'r.cfg'), `backend b\n  retries 3\n  option redispatch ${arg}\n  server s1 1.1.1.1:80\n`);
      const imported = importBalancerConfig(join(tmp, 'r.cfg'), { backend: 'b' });
      expect(imported.settings.redispatch, arg).toBe(expected);
      expect(imported.warnings.some((w) => /r\.cfg:3: option redispatch 'x' is not a whole number; HAProxy reads it as 0/.test(w)), arg).toBe(warns);
      const own3 = [{ name: 's1', weight: 1 }];
      expect(resolveBalancerSection({ from: 'r.cfg' }, own3, tmp, 's.yaml').proxy).toMatchObject({ redispatch: expected });
    }
  });
  it('maps timeout server (inherited from defaults as HAProxy does) to per_try_timeout, retried only under retry-on response-timeout', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'lbsim-import-'));
    const proxyOf = (text: string) => {
      writeFileSync(join(tmp, 't.cfg'), text);
      return resolveBalancerSection({ from: 't.cfg' }, [{ name: 's1', weight: 1 }], tmp, 's.yaml').proxy;
    };
    const defaults = 'defaults\n  timeout connect 5s\n  timeout server 100ms\n';
    // HAProxy 2.6's default retry-on is conn-failure: a response timeout is a 504, not retried.
    expect(proxyOf(`${defaults}backend b\n  server s1 1.1.1.1:80\n`)).toMatchObject({ per_try_timeout: 100, retry_on: ['refused'], retries: 3 });
    expect(proxyOf(`${defaults}backend b\n  timeout server 2s\n  server s1 1.1.1.1:80\n`)).toMatchObject({ per_try_timeout: 2000 });
    // 0 is no timeout (TICK_ETERNITY), as when it is not set.
    expect(proxyOf(`${defaults}backend b\n  timeout server 0\n  server s1 1.1.1.1:80\n`)!.per_try_timeout).toBeUndefined();
    expect(proxyOf(`${defaults}backend b\n  retry-on response-timeout conn-failure\n  server s1 1.1.1.1:80\n`)).toMatchObject({ per_try_timeout: 100, retry_on: ['timeout', 'refused'] });
    expect(proxyOf(`${defaults}backend b\n  retry-on all-retryable-errors\n  server s1 1.1.1.1:80\n`)).toMatchObject({ retry_on: ['refused', 'timeout', '503'] });
    expect(proxyOf(`${defaults}  retries 2\nbackend b\n  retry-on none\n  server s1 1.1.1.1:80\n`)).toMatchObject({ retries: 0 });
    const junk = importBalancerText(`${defaults}backend b\n  retry-on 502 conn-failure\n  server s1 1.1.1.1:80\n`, 'j.cfg');
    expect(junk.settings.retryOn).toEqual(['refused']);
    has(junk.warnings, /j\.cfg:5: retry-on 502: lbsim's backends never give .* a 404, 408, 425, 500, 501, 502 or 504, so nothing is retried for those/);
    expect(() => importBalancerText('backend b\n  retry-on conn-failures\n  server s1 1.1.1.1:80\n', 'u.cfg')).toThrow(/^u\.cfg:2: retry-on: unknown keyword 'conn-failures' \(HAProxy 2\.6 refuses to start\); expected none or any of conn-failure, empty-response, junk-response, response-timeout/);
    expect(() => importBalancerText('backend b\n  retry-on none 503\n  server s1 1.1.1.1:80\n', 'u.cfg')).toThrow(/u\.cfg:2: retry-on: 'none' can only be used alone/);
    expect(() => importBalancerText('defaults\n  timeout server 1o0ms\nbackend b\n  server s1 1.1.1.1:80\n', 'u.cfg')).toThrow(/^u\.cfg:2: timeout server '1o0ms': expected a time/);
  });
  it("adds a backend's default-server to the defaults' one, keyword by keyword (HAProxy copies it, then parses the backend's on top)", () => {
    const imp = importBalancerText(
      'defaults\n  default-server inter 3s fall 3 rise 2 check\nbackend b\n  default-server maxconn 100 maxqueue 50 slowstart 30s\n  default-server fall 5\n  server s1 1.1.1.1:80 weight 100\n  server s2 1.1.1.2:80 no-check\n',
      'd.cfg',
    );
    expect(imp.servers.map((x) => [x.name, x.check ?? null, x.maxconn, x.maxqueue, x.slowStartMs])).toEqual([
      ['s1', { interMs: 3000, rise: 2, fall: 5 }, 100, 50, 30_000],
      ['s2', null, 100, 50, 30_000],
    ]);
    // A later defaults section starts afresh.
    const fresh = importBalancerText('defaults\n  default-server check\ndefaults\n  mode http\nbackend b\n  server s1 1.1.1.1:80\n', 'f.cfg');
    expect(fresh.servers[0]!.check).toBeUndefined();
  });
  it('maps max_conns and proxy_next_upstream (nginx): no proxy queue, tries − 1 retries to the next peer', () => {
    const b: { name: string; weight: number; maxconn?: number }[] = ['10.0.1.11:8080', '10.0.1.12:8080', '10.0.1.13:8080', '10.0.1.20:8080'].map((name) => ({ name, weight: 1 }));
    const r = resolveBalancerSection({ from: 'nginx.conf', upstream: 'app' }, b, dir, 's.yaml');
    expect(b.map((x) => x.maxconn ?? null)).toEqual([200, 200, null, null]);
    expect(r.proxy).toEqual({ proxy_queue: false, retries: 1, redispatch: 'always', retry_on: ['refused', 'timeout'] });
    const off = importBalancerText('http { upstream u { server a:1; server b:1; } server { location / { proxy_next_upstream off; } } }', 'o.conf');
    expect(off.settings.nextUpstream).toEqual(['off']);
  });
  it('maps the circuit breakers (Envoy), with Envoy defaults for the fields left out', () => {
    const b = ['10.0.1.11:8080', '10.0.1.12:8080', '10.0.1.13:8080'].map((name) => ({ name, weight: 1 }));
    const r = resolveBalancerSection({ from: 'envoy-cluster.yaml', cluster: 'app' }, b, dir, 's.yaml');
    expect(r.proxy).toEqual({ max_requests: 1000, max_pending_requests: 100, max_retries: 3 });
    const budget = importBalancerText(
      'name: c\ncircuit_breakers: { thresholds: [{ max_requests: 50, retry_budget: { budget_percent: { value: 25 }, min_retry_concurrency: 2 } }] }\nload_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: a, port_value: 1 } } } }] }] }\n',
      'c.yaml',
    );
    expect(budget.settings.retryBudget).toEqual({ budgetPercent: 25, minRetryConcurrency: 2 });
  });
  it('without from, passes the section through', () => {
    expect(resolveBalancerSection({ algorithm: 'random', x: 1 }, [], dir, 's.yaml')).toEqual({ algorithm: 'random', options: { x: 1 } });
  });
});

describe('scenario loader: balancer.from', () => {
  it('loads a scenario whose balancer comes from haproxy.cfg, and runs it', async () => {
    const { parseScenario } = await import('../../src/scenario/load.ts');
    const { simulateSync } = await import('../../src/simulate.ts');
    const { loadBalancerModule } = await import('../../src/balancers/registry.ts');
    const text = [
      'name: imported',
      'duration: 20s',
      // Many clients: the file's cookie persistence pins each one to a server.
      'traffic: { synthetic: { rate: 200/s, service: { distribution: exponential, mean: 5ms }, clients: { count: 500 } } }',
      'balancer: { from: haproxy.cfg, backend: app }',
      'backends:',
      '  - { name: web1, concurrency: 2 }',
      '  - { name: web2, concurrency: 2 }',
      '  - { name: web3, concurrency: 1 }',
      '  - { name: spare, concurrency: 2 }',
    ].join('\n');
    const s = parseScenario(text, { file: 's.yaml', baseDir: dir });
    expect(s.balancer.algorithm).toBe('haproxy/leastconn');
    expect(s.backends.map((b) => b.weight)).toEqual([100, 100, 50, 100]);
    expect(s.balancer.imported?.warnings.some((w) => /cookie/.test(w))).toBe(false);
    expect(s.persistence).toEqual({ maxIdleMs: Number.POSITIVE_INFINITY, maxLifeMs: Number.POSITIVE_INFINITY, withoutCookie: ['spare'], persist: false, tableSize: Number.POSITIVE_INFINITY });
    const report = simulateSync(s, await loadBalancerModule(s.balancer.algorithm, s.baseDir));
    expect(report.algorithm).toBe('haproxy/leastconn');
    // spare is a backup: no traffic while the three active servers are up
    const spare = report.backends.find((b) => b.name === 'spare')!;
    expect(spare.requests).toBe(0);
    expect(s.backends.map((b) => [b.backup ?? false, b.check, b.slowStart])).toEqual([
      [false, { interMs: 3000, rise: 2, fall: 3 }, { proxy: 'haproxy', periodMs: 60_000 }],
      [false, { interMs: 3000, rise: 2, fall: 3 }, { proxy: 'haproxy', periodMs: 60_000 }],
      [false, { interMs: 3000, rise: 2, fall: 3 }, { proxy: 'haproxy', periodMs: 60_000 }],
      [true, { interMs: 3000, rise: 2, fall: 3 }, { proxy: 'haproxy', periodMs: 60_000 }],
    ]);
    expect(report.requests.total).toBeGreaterThan(3000);
    // The proxy layer from the file: maxconn per server, timeout queue, retries with redispatch.
    expect(s.backends.map((b) => b.maxconn ?? null)).toEqual([200, 200, 100, null]);
    expect(s.proxy).toMatchObject({ timeoutQueueMs: 10_000, retries: 3, redispatch: 'last', retryOn: ['refused'] });
    expect(report.backends.map((b) => b.maxconn)).toEqual([200, 200, 100, null]);
    // The scenario's own keys win over the file's.
    const own = parseScenario(text.replace('backend: app }', 'backend: app, retries: 0, timeout_queue: 2s }').replace('{ name: web3, concurrency: 1 }', '{ name: web3, concurrency: 1, maxconn: 1 }'), { file: 's.yaml', baseDir: dir });
    expect(own.proxy).toMatchObject({ timeoutQueueMs: 2000, retries: 0 });
    expect(own.backends[2]!.maxconn).toBe(1);
    const tight = simulateSync(own, await loadBalancerModule(own.balancer.algorithm, own.baseDir));
    expect(tight.backends[2]!.maxInFlight).toBe(1);
  });
  it('refuses a section with neither algorithm nor from', async () => {
    const { parseScenario } = await import('../../src/scenario/load.ts');
    const text = 'duration: 1s\ntraffic: { synthetic: { rate: 1/s, service: { distribution: constant, mean: 1ms } } }\nbalancer: { instances: 2 }\nbackends: [{ name: a }]\n';
    expect(() => parseScenario(text, { file: 's.yaml' })).toThrow(/s\.yaml:3: balancer\.algorithm: expected exactly one of `algorithm` or `from`/);
  });
});

describe('file detection and choosing a balancer (for commands taking config files directly)', () => {
  const read = (name: string) => readFileSync(fixture(name), 'utf8');
  const scenarioYaml = 'name: s\ntraffic: { synthetic: { rate: 1/s, service: { distribution: constant, mean: 1ms } } }\nbalancer: { algorithm: round-robin }\nbackends: [{ name: a }]\n';

  it('tells the kind by content, whatever the extension', () => {
    expect(detectFile('x.yaml', read('haproxy.cfg'))).toBe('haproxy');
    expect(detectFile('x.cfg', read('nginx.conf'))).toBe('nginx');
    expect(detectFile('x.conf', read('envoy-cluster.yaml'))).toBe('envoy');
    expect(detectFile('x.txt', JSON.stringify([{ name: 'c', load_assignment: {} }]))).toBe('envoy');
    // A scenario has a name too, which alone would read as one Envoy cluster.
    expect(detectFile('s.yaml', scenarioYaml)).toBe('scenario');
    expect(detectFile('s.json', JSON.stringify({ backends: [], traffic: {} }))).toBe('scenario');
    // Commented-out sections do not count.
    expect(detectFile('x.yaml', '# upstream old {\n# backend old\nname: c\nload_assignment: {}\n')).toBe('envoy');
  });

  it('needs positive evidence of a format: a name, a text report or an empty file is none (the extension does not make one)', () => {
    expect(detectFile('empty.cfg', '')).toBeUndefined();
    expect(detectFile('empty.conf', '')).toBeUndefined();
    expect(detectFile('empty.yaml', '')).toBeUndefined();
    expect(detectFile('n.yaml', 'name: x\n')).toBeUndefined();
    expect(detectFile('list.yaml', '- name: x\n')).toBeUndefined();
    // lbsim's own text report has a `backend` column header, but no section with server lines.
    expect(detectFile('mis.txt', 'x · round-robin\n\nbackend      share      util\napi-1        7.69%     11.3%\n')).toBeUndefined();
    expect(detectFile('x.cfg', 'backend api\n  balance roundrobin\n')).toBeUndefined();
    expect(detectFile('x.yaml', 'name: c\nlb_policy: ROUND_ROBIN\n')).toBe('envoy');
    expect(detectFile('x.yaml', 'clusters: []\n')).toBe('envoy');
    // A scenario with parts missing is a scenario (its schema errors say what is missing), and so is broken YAML in a .yaml file.
    expect(detectFile('s.yaml', 'duration: 10s\nbalancer: { algorithm: random }\n')).toBe('scenario');
    expect(detectFile('s.yaml', 'traffic: { synthetic: [\n  x: 1\n')).toBe('scenario');
    expect(detectFile('s.txt', 'traffic: { synthetic: [\n  x: 1\n')).toBeUndefined();
    expect(() => classifyFile('n.yaml', 'name: x\n')).toThrow(/^n\.yaml: not a file lbsim reads: expected a scenario .*, an HAProxy configuration \(a backend or listen section with server lines\)/);
  });

  it('lists the balancers a file defines: HAProxy backend/listen sections with servers, nginx upstreams, Envoy clusters', () => {
    expect(balancerNames(read('haproxy.cfg'), 'haproxy')).toEqual(['app', 'api']); // `listen stats` has no server
    expect(balancerNames(read('nginx.conf'), 'nginx')).toEqual(['app', 'cache']);
    expect(balancerNames(read('envoy-cluster.yaml'), 'envoy')).toEqual(['app', 'sessions']);
  });

  it('selects the only one, the named one, or refuses with the names (USAGE, exit 2)', () => {
    expect(selectBalancer('backend b\n server s 1.1.1.1:80\nlisten stats\n bind :8404\n', 'one.cfg', 'haproxy', undefined)).toEqual({ backend: 'b' });
    expect(selectBalancer(read('nginx.conf'), 'n.conf', 'nginx', 'cache')).toEqual({ upstream: 'cache' });
    let err: unknown;
    try {
      selectBalancer(read('envoy-cluster.yaml'), 'e.yaml', 'envoy', undefined);
    } catch (e) {
      err = e;
    }
    expect(isLbsimError(err) && err.code).toBe('USAGE');
    expect((err as Error).message).toBe('e.yaml: 2 clusters (app, sessions); choose one with --backend NAME');
  });
});
