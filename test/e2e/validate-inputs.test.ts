/**
 * `lbsim validate` on what it is given, through the real binary: it rejects what `run`
 * rejects before simulating, with run's message (a raw log's bad row, a YAML syntax error
 * as FILE:LINE:COL lines), and it takes a scenario or a proxy configuration only when the
 * content shows it is one. Before the fixes it said ok to a trace with a bad row, printed
 * one truncated YAML error, and took `name: x`, an empty file or lbsim's own text report
 * for an Envoy or HAProxy configuration with 0 servers, ok.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneUserError, REPO_ROOT, runCli } from '../helpers/cli.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lbsim-validate-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const validate = (file: string) => runCli(['validate', file], { cwd: dir });

describe('validate rejects what run rejects before simulating', () => {
  it('a raw log with a bad row, at the scenario line of traffic.trace', async () => {
    const csv = (await readFile(join(REPO_ROOT, 'test', 'fixtures', 'requests.csv'), 'utf8')).split('\n').slice(0, 4);
    await writeFile(join(dir, 'badrow.csv'), `${[...csv.slice(0, 2), 'notatime,1.0,203.0.113.1,/a,200,web-0', ...csv.slice(2)].join('\n')}\n`);
    await writeFile(join(dir, 'badrow.yaml'), 'name: r\ntimeout: 5s\ntraffic: { trace: badrow.csv }\nbalancer: { algorithm: round-robin }\nbackends:\n  - { name: web, count: 2 }\n');
    const run = await runCli(['run', 'badrow.yaml'], { cwd: dir });
    const line = expectOneUserError(run, /^lbsim: badrow\.yaml:3: traffic\.trace: .*badrow\.csv:3: timestamp: /);
    expect(expectOneUserError(await validate('badrow.yaml'), /badrow\.csv:3: timestamp/)).toBe(line);
  });

  it('a YAML syntax error: the FILE:LINE:COL lines run prints', async () => {
    const text = 'name: bad\nduration: 1m\ntraffic:\n  synthetic:\n   x: [\n    rate: 100/s\n    service: { distribution: exponential, mean: 10ms }\nbalancer: { algorithm: round-robin }\nbackends:\n  - { name: web, count: 2 }\n';
    await writeFile(join(dir, 'broken.yaml'), text);
    const run = await runCli(['run', 'broken.yaml'], { cwd: dir });
    const v = await validate('broken.yaml');
    expect(run.code).toBe(2);
    expect(v).toEqual(run);
    const lines = v.stderr.trimEnd().replace(/^lbsim: /, '').split('\n');
    expect(lines.length).toBeGreaterThan(1); // validate printed the first, cut at its colon
    for (const line of lines) expect(line).toMatch(/^broken\.yaml:\d+:\d+: \S/);
  });
});

describe('validate takes a scenario or a proxy configuration, and nothing else', () => {
  const expected = 'expected a scenario (backends plus traffic or balancer), an HAProxy configuration (a backend or listen section with server lines), an nginx one (upstream NAME { server ...; }) or an Envoy cluster (clusters:, or a cluster with load_assignment or lb_policy)';

  it("a file with only a name, lbsim's own text report, an empty file: exit 2, saying what was expected", async () => {
    await writeFile(join(dir, 'name-only.yaml'), 'name: x\n');
    await writeFile(join(dir, 'report.txt'), 'x · round-robin · seed 1 · 5s\n\nbackend      share      util\nweb-1        50.0%     11.3%\n');
    await writeFile(join(dir, 'empty.yaml'), '');
    expect(expectOneUserError(await validate('name-only.yaml'), /^lbsim: name-only\.yaml: not a file lbsim reads: /)).toBe(`lbsim: name-only.yaml: not a file lbsim reads: ${expected}`);
    expect(expectOneUserError(await validate('report.txt'), /^lbsim: report\.txt: not a file lbsim reads: /)).toBe(`lbsim: report.txt: not a file lbsim reads: ${expected}`);
    expect(expectOneUserError(await validate('empty.yaml'), /^lbsim: empty\.yaml: the file is empty: /)).toBe(`lbsim: empty.yaml: the file is empty: ${expected}`);
  });

  it('a scenario with parts missing is still checked as one (its schema errors, exit 1)', async () => {
    await writeFile(join(dir, 'half.yaml'), 'name: h\nduration: 10s\nbalancer: { algorithm: round-robin }\n');
    const r = await validate('half.yaml');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^half\.yaml:1: traffic: error: /m);
  });

  it('a configuration with no servers is an error (exit 1), not ok', async () => {
    await writeFile(join(dir, 'empty-upstream.conf'), 'http {\n  upstream app {\n  }\n}\n');
    const r = await validate('empty-upstream.conf');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^empty-upstream\.conf: app: error: app has no servers: every request would be rejected$/m);
  });
});
