/**
 * Mistakes a user makes with files, through the real binary, for every command that reads
 * or writes one: a directory where a file belongs, a missing or truncated trace named by a
 * scenario, an --out path whose folder does not exist. Each gives exit 2, one line naming
 * the file (and the scenario's line and field when a scenario named it) and what was
 * expected, no stack trace, and no output file. Found by checking the README against the
 * binary; before the fixes, `trace info DIR` and `import DIR` crashed with exit 70 and a
 * stack, and an unwritable --out failed only after the whole run.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneUserError, hasStackTrace, REPO_ROOT, runCli } from '../helpers/cli.ts';

let dir: string;

const SYNTHETIC = `name: small
duration: 5s
traffic:
  synthetic:
    rate: 200/s
    service: { distribution: exponential, mean: 2ms }
balancer: { algorithm: round-robin }
backends:
  - { name: web, count: 2 }
`;

/** A replay scenario; `trace:` is on line 3. */
const replay = (trace: string) => `name: replay
timeout: 5s
traffic: { trace: ${trace} }
balancer: { algorithm: round-robin }
backends:
  - { name: web, count: 2 }
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lbsim-mistakes-'));
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'small.yaml'), SYNTHETIC);
  const imported = await runCli(['import', join(REPO_ROOT, 'test', 'fixtures', 'nginx.log'), '--format', 'nginx', '-o', join(dir, 'sub', 'small.lbt')]);
  if (imported.code !== 0) throw new Error(`test setup: import failed: ${imported.stderr}`);
  const lbt = await readFile(join(dir, 'sub', 'small.lbt'));
  await writeFile(join(dir, 'sub', 'truncated.lbt'), lbt.subarray(0, lbt.length - 40));
  await writeFile(join(dir, 'sub', 'replay.yaml'), replay('small.lbt'));
  await writeFile(join(dir, 'sub', 'missing.yaml'), replay('nothere.lbt'));
  await writeFile(join(dir, 'sub', 'truncated.yaml'), replay('truncated.lbt'));
  // A CSV whose row 3 has no usable timestamp, one whose header names no timestamp, and a scenario replaying the first.
  const csv = (await readFile(join(REPO_ROOT, 'test', 'fixtures', 'requests.csv'), 'utf8')).split('\n').slice(0, 20);
  await writeFile(join(dir, 'good.csv'), `${csv.join('\n')}\n`);
  await writeFile(join(dir, 'badrow.csv'), `${[...csv.slice(0, 3), 'notatime,1.0,203.0.113.1,/a,200,web-0', ...csv.slice(3)].join('\n')}\n`);
  await writeFile(join(dir, 'renamed.csv'), `${['when,took_ms', ...csv.slice(1).map((l) => l.split(',').slice(0, 2).join(','))].join('\n')}\n`);
  await writeFile(join(dir, 'rawbad.yaml'), replay('badrow.csv'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectUserError(args: string[], expected: RegExp): Promise<void> {
  expectOneUserError(await runCli(args, { cwd: dir }), expected);
}

describe('a directory where a file belongs', () => {
  it('trace info DIR', async () => {
    await expectUserError(['trace', 'info', 'sub'], /^lbsim: sub: is a directory, expected a \.lbt trace file$/);
  });

  it('import DIR (with and without --format)', async () => {
    await expectUserError(['import', 'sub', '--format', 'nginx', '-o', 'x.lbt'], /^lbsim: sub: is a directory, expected a file$/);
    await expectUserError(['import', 'sub', '-o', 'x.lbt'], /^lbsim: sub: is a directory, expected a file$/);
    expect(existsSync(join(dir, 'x.lbt'))).toBe(false);
  });

  it('run DIR and validate DIR', async () => {
    await expectUserError(['run', 'sub'], /^lbsim: sub: is a directory, expected a file$/);
    await expectUserError(['validate', 'sub'], /^lbsim: sub: is a directory, expected a file$/);
  });
});

describe('import of a missing log says so, whatever its name', () => {
  it('a name that does not tell the format', async () => {
    await expectUserError(['import', 'nope.txt', '-o', 'x.lbt'], /^lbsim: nope\.txt: no such file$/);
  });
});

describe('--out that cannot be written fails before any work', () => {
  it('run -o into a folder that does not exist: names the folder, runs nothing, writes nothing', async () => {
    await expectUserError(['run', 'small.yaml', '-o', 'nowhere/x.json'], /^lbsim: nowhere\/x\.json: cannot write: the folder .*nowhere does not exist$/);
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });

  it('run -o DIR', async () => {
    await expectUserError(['run', 'small.yaml', '-o', 'sub'], /^lbsim: sub: is a directory; --out expects a file name$/);
  });

  it('compare, diff, capacity and import check --out the same way', async () => {
    const bad = /cannot write: the folder .*nowhere does not exist$/;
    await expectUserError(['compare', 'small.yaml', '--algorithms', 'round-robin,random', '-o', 'nowhere/c.txt'], bad);
    await expectUserError(['diff', 'small.yaml', 'small.yaml', '-o', 'nowhere/d.txt'], bad);
    await expectUserError(['capacity', 'small.yaml', '--vary', 'backends', '--slo', 'p99=1s', '-o', 'nowhere/c.txt'], bad);
    await expectUserError(['import', join(REPO_ROOT, 'test', 'fixtures', 'nginx.log'), '--format', 'nginx', '-o', 'nowhere/x.lbt'], bad);
  });

  it('a writable --out still works and leaves only the file', async () => {
    const r = await runCli(['run', 'small.yaml', '--format', 'json', '-o', 'sub/out.json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(dir, 'sub', 'out.json'), 'utf8')).scenario).toBe('small');
    expect((await readdir(join(dir, 'sub'))).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('a trace named by a scenario: problems at the scenario line and field', () => {
  it('a missing trace: run and validate name SCENARIO:LINE: traffic.trace', async () => {
    await expectUserError(['run', 'sub/missing.yaml'], /^lbsim: sub\/missing\.yaml:3: traffic\.trace: .*nothere\.lbt: no such file$/);
    await expectUserError(['validate', 'sub/missing.yaml'], /^lbsim: sub\/missing\.yaml:3: traffic\.trace: .*nothere\.lbt: no such file$/);
  });

  it('a truncated trace', async () => {
    await expectUserError(['run', 'sub/truncated.yaml'], /^lbsim: sub\/truncated\.yaml:3: traffic\.trace: .*truncated\.lbt: not a usable \.lbt trace: .*truncated/);
  });

  it('validate resolves the trace relative to the scenario, as run does (not to the working directory)', async () => {
    const v = await runCli(['validate', 'sub/replay.yaml'], { cwd: dir });
    expect(v.stderr).toBe('');
    expect(v.code).toBe(0);
    expect(v.stdout).toBe('sub/replay.yaml: ok\n');
    const r = await runCli(['run', 'sub/replay.yaml'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/requests\s+12 /);
  });
});

describe('a proxy configuration where a scenario belongs', () => {
  it('run nginx.conf / haproxy.cfg says what the file is and where it goes, not YAML tokens', async () => {
    for (const [file, kind] of [['nginx.conf', 'an nginx'], ['haproxy.cfg', 'an HAProxy']] as const) {
      const path = join(REPO_ROOT, 'test', 'fixtures', 'configs', file);
      await expectUserError(['run', path], new RegExp(`^lbsim: .*${file.replace('.', '\\.')}: this is ${kind} configuration, not a scenario: import it in a scenario \\(balancer: \\{ from: `));
    }
  });
});

describe('flags: the message names the flag', () => {
  it('compare --algorithms with an unknown name', async () => {
    await expectUserError(['compare', 'small.yaml', '--algorithms', 'round-robin,round-robbin'], /^lbsim: --algorithms: unknown algorithm 'round-robbin'; expected one of round-robin, /);
  });

  it('compare --algorithms with one that has no Envoy priority levels, for a scenario that has them: before any run', async () => {
    await writeFile(join(dir, 'levels.yaml'), SYNTHETIC.replace('round-robin', 'envoy/round_robin').replace('count: 2 }', 'count: 2 }\n  - { name: standby, priority: 1 }'));
    await expectUserError(['compare', 'levels.yaml', '--algorithms', 'envoy/random,round-robin'], /^lbsim: --algorithms: round-robin: backends\.standby\.priority: priority level 1 needs an algorithm with priority levels/);
  });

  it('run --windows without --threads is not silently ignored', async () => {
    await expectUserError(['run', 'small.yaml', '--windows', '3'], /^lbsim: --windows K splits a run across threads: add --threads N/);
  });
});

describe('help shows defaults as the README gives them', () => {
  it('import --help: --reorder-window 5s, --threads serial unless the log is big and the machine has 2 cores', async () => {
    const r = await runCli(['import', '--help']);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--reorder-window <duration> how far out of time order a line may be and still be sorted \(default: 5s\)/);
    expect(help).toMatch(/--threads <n> .*\(default: serial; a plain log of 256 MB or more on 2 cores or more: one per core\)/);
  });
});

describe('--threads is bounded (thousands of threads exhausted memory: V8 fatal error, exit 133)', () => {
  const over = String(Math.max(64, availableParallelism()) + 1);
  it('every command that takes it refuses more than max(64, cores), naming the flag, the limit and the cores, before starting any thread', async () => {
    const small = ['small.yaml'];
    for (const args of [
      ['run', 'nothere.yaml', '--threads', over],
      ['run', ...small, `--threads=${over}`],
      ['compare', ...small, '--algorithms', 'round-robin,random', '--threads', over],
      ['diff', ...small, ...small, '--threads', over],
      ['capacity', ...small, '--vary', 'backends', '--threads', over],
      ['import', 'good.csv', '-o', 'x.lbt', '--threads', over],
      ['worker', '--threads', over],
    ]) {
      const r = await runCli(args, { cwd: dir });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`option '--threads <n>' argument '${over}' is invalid\\. expected at most ${Number(over) - 1} threads \\(this machine has ${availableParallelism()} cores?\\)`));
      expect(hasStackTrace(r.stderr)).toBe(false);
    }
    expect(existsSync(join(dir, 'x.lbt'))).toBe(false);
  });
});

describe('--out that is an input of the command is refused before any work', () => {
  const refused = (out: string) => new RegExp(`^lbsim: --out ${out.replace(/[./]/g, '\\$&')}: is (an input|the same file as .*, an input) of this command; writing the output there would replace it`);

  it('import good.csv -o good.csv leaves the CSV as it was', async () => {
    const before = await readFile(join(dir, 'good.csv'));
    await expectUserError(['import', 'good.csv', '-o', 'good.csv'], refused('good.csv'));
    expect(await readFile(join(dir, 'good.csv'))).toEqual(before);
  });

  it('run, compare, diff and capacity: the scenario, another spelling or a symlink of it, and the trace it names', async () => {
    await copyFile(join(dir, 'small.yaml'), join(dir, 'own.yaml'));
    await symlink('own.yaml', join(dir, 'link.yaml'));
    const before = await readFile(join(dir, 'own.yaml'), 'utf8');
    await expectUserError(['run', 'own.yaml', '-o', 'own.yaml'], refused('own.yaml'));
    await expectUserError(['run', 'own.yaml', '-o', 'sub/../own.yaml'], refused('sub/../own.yaml'));
    await expectUserError(['run', 'own.yaml', '-o', 'link.yaml'], refused('link.yaml'));
    await expectUserError(['compare', 'own.yaml', '--algorithms', 'round-robin,random', '-o', 'own.yaml'], refused('own.yaml'));
    await expectUserError(['diff', 'small.yaml', 'own.yaml', '-o', 'own.yaml'], refused('own.yaml'));
    await expectUserError(['capacity', 'own.yaml', '--vary', 'backends', '-o', 'own.yaml'], refused('own.yaml'));
    expect(await readFile(join(dir, 'own.yaml'), 'utf8')).toBe(before);
    const trace = await readFile(join(dir, 'sub', 'small.lbt'));
    await expectUserError(['run', 'sub/replay.yaml', '-o', 'sub/small.lbt'], refused('sub/small.lbt'));
    await expectUserError(['diff', 'small.yaml', 'small.yaml', '--traffic', 'sub/small.lbt', '-o', 'sub/small.lbt'], refused('sub/small.lbt'));
    expect(await readFile(join(dir, 'sub', 'small.lbt'))).toEqual(trace);
  });
});

describe('a malformed row: the way to skip it is the one this command has', () => {
  it('a scenario replaying a raw log: its traffic.onError key, not a flag run lacks', async () => {
    await expectUserError(['run', 'rawbad.yaml'], /^lbsim: rawbad\.yaml:3: traffic\.trace: .*badrow\.csv:4: timestamp: .*\(add onError: skip to the scenario's traffic to skip bad rows\)$/);
  });

  it('diff --traffic LOG: lbsim import --on-error skip, then the .lbt', async () => {
    await expectUserError(['diff', 'small.yaml', 'small.yaml', '--traffic', 'badrow.csv'], /^lbsim: --traffic: .*badrow\.csv:4: timestamp: .*\(to skip bad rows, import the log with `lbsim import badrow\.csv --on-error skip -o FILE\.lbt` and pass that\)$/);
  });

  it('lbsim import keeps its flag; a header it cannot map gets no skip hint (skipping rows would not mend it)', async () => {
    await expectUserError(['import', 'badrow.csv', '-o', 'x.lbt'], /:4: timestamp: .*\(use --on-error skip to skip bad rows\)$/);
    const line = expectOneUserError(await runCli(['import', 'renamed.csv', '-o', 'x.lbt'], { cwd: dir }), /^lbsim: renamed\.csv:1: header: no timestamp column found in the header \(when, took_ms\); name one with --columns timestamp=NAME \(in a scenario: traffic\.columns: \{ timestamp: NAME \}\)$/);
    expect(line).not.toMatch(/skip/);
  });
});

describe('a report.interval too small for the run is refused before it runs, naming the key and a size that fits', () => {
  it('1ms over an hour of 2 backends (the JSON report died in JSON.stringify with exit 70 after 16 s and 2.2 GB)', async () => {
    await writeFile(join(dir, 'tiny-interval.yaml'), SYNTHETIC.replace(/duration: [^\n]+/, 'duration: 1h').concat('report: { interval: 1ms }\n'));
    for (const threads of ['1', '2']) {
      await expectUserError(['run', 'tiny-interval.yaml', '--format', 'json', '-o', 'tiny.json', '--threads', threads], /^lbsim: .*tiny-interval\.yaml: report\.interval: 1\.00ms over a run of 1h00m is 3,600,000 intervals × \d+ backends?, [\d,]+ time-series cells \(intervals × \(1 \+ backends\)\), more than the 2,000,000 a report holds; use report\.interval: [\d.]+ms or more$/);
    }
  });
});

describe('diff --traffic: its problems name the flag, not a line of the config it is fed to', () => {
  it('a missing trace with proxy configs', async () => {
    const cfg = join(REPO_ROOT, 'test', 'fixtures', 'configs', 'haproxy.cfg');
    await expectUserError(['diff', cfg, cfg, '--backend', 'app', '--traffic', 'nothere.lbt'], /^lbsim: --traffic: .*nothere\.lbt: no such file$/);
  });
  it('a log whose name does not tell its format: import it with --format, not a scenario key diff has no flag for', async () => {
    await writeFile(join(dir, 'mystery.txt'), '');
    const line = expectOneUserError(await runCli(['diff', 'small.yaml', 'small.yaml', '--traffic', 'mystery.txt'], { cwd: dir }), /^lbsim: --traffic: .*mystery\.txt: cannot tell the format of '.*mystery\.txt' from its name; import it first with `lbsim import mystery\.txt --format nginx\|haproxy\|alb\|envoy\|csv\|jsonl -o FILE\.lbt` and pass that$/);
    expect(line).not.toMatch(/add format:/);
  });
});

describe('proxy configs: what the proxy rejects, and a base scenario that models none of the servers', () => {
  it('an Envoy lb_policy Envoy does not know (a typo) is exit 2 at FILE:LINE, in validate and diff alike', async () => {
    await writeFile(join(dir, 'typo.yaml'), 'clusters:\n- name: api\n  lb_policy: LEAST_REQUESTS\n  load_assignment:\n    endpoints:\n    - lb_endpoints:\n      - endpoint: { address: { socket_address: { address: 10.0.0.1, port_value: 80 } } }\n');
    const re = /^lbsim: typo\.yaml:3: clusters\[api\]\.lb_policy: "LEAST_REQUESTS" is not an Envoy lb_policy \(Envoy 1\.28 rejects the cluster\); expected one of ROUND_ROBIN, /;
    await expectUserError(['validate', 'typo.yaml'], re);
    await expectUserError(['diff', 'typo.yaml', 'typo.yaml', '--traffic', 'sub/small.lbt'], re);
  });
  it('diff --scenario BASE whose backends differ and match no server is exit 2 naming both sides', async () => {
    const cfg = join(REPO_ROOT, 'test', 'fixtures', 'configs', 'haproxy.cfg');
    await writeFile(join(dir, 'roles.yaml'), SYNTHETIC.replace(/backends:.*$/ms, 'backends:\n  - { name: web-1, concurrency: 1 }\n  - { name: web-2, concurrency: 16 }\n'));
    await expectUserError(['diff', cfg, cfg, '--backend', 'app', '--scenario', 'roles.yaml'], /^lbsim: roles\.yaml: none of its backends \(web-1, web-2\) is a server of .*haproxy\.cfg backend 'app' \(web1, web2, web3, spare\), and they differ/);
  });
});

describe('run --threads N of a balancer that cannot be split says it ran on one thread', () => {
  it('the summary agrees with the note before it', async () => {
    const balancer = join(REPO_ROOT, 'scenarios', 'custom-balancer', 'my-balancer.js');
    await writeFile(join(dir, 'custom.yaml'), SYNTHETIC.replace('algorithm: round-robin', `algorithm: ${balancer}`));
    const r = await runCli(['run', 'custom.yaml', '--threads', '2', '--format', 'json', '-o', 'custom.json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^not split in time: balancer .* on one thread$/m);
    expect(r.stderr).toMatch(/^simulated [\d,]+ requests in [\d.]+ s on 1 thread \(not split in time\)$/m);
  });
});
