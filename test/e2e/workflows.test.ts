/**
 * The workflow commands through the real binary: compare, diff, capacity, validate, and
 * the 2024-04-15 incident. Exit codes are asserted everywhere: CI pipelines read them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/types.ts';
import type { CapacityResult } from '../../src/workflows/capacity.ts';
import type { Comparison } from '../../src/workflows/compare.ts';
import type { DiffResult } from '../../src/workflows/diff.ts';
import { mmcResponseQuantile } from '../../src/workflows/queueing.ts';
import type { Validation } from '../../src/workflows/validate.ts';
import { hasStackTrace, runCli as spawnCli } from '../helpers/cli.ts';

/** The machine is shared by several test suites: allow wall time well beyond the CPU time. */
const runCli = (args: readonly string[]) => spawnCli(args, { timeoutMs: 280_000 });
const SLOW = 300_000;

/** Parses a command's JSON output; on failure the error shows what the command said on stderr. */
function json<T>(res: { code: number | null; stdout: string; stderr: string }): T {
  try {
    return JSON.parse(res.stdout) as T;
  } catch {
    throw new Error(`expected JSON on stdout (exit ${res.code}); stderr:\n${res.stderr}`);
  }
}

const INCIDENT = 'scenarios/incident-2024-04-15';
const dir = mkdtempSync(join(tmpdir(), 'lbsim-workflows-'));

function scenarioFile(name: string, yaml: string): string {
  const f = join(dir, name);
  writeFileSync(f, yaml);
  return f;
}

/** A small, low-utilization fleet (little queueing): a slower backend shows up almost 1:1 in p99. */
function gateScenario(opts: { seed: number; speed: number; name: string }): string {
  return scenarioFile(
    `${opts.name}.yaml`,
    `name: ${opts.name}
seed: ${opts.seed}
duration: 40s
warmup: 2s
timeout: 2s
traffic:
  synthetic:
    rate: 600/s
    service: { distribution: lognormal, mean: 10ms, cv: 1 }
balancer: { algorithm: least-connections }
backends:
  - { name: web, count: 4, concurrency: 4, queue: 100, speed: ${opts.speed} }
report: { interval: 5s }
slo: { p99: 100ms, errors: 0.5% }
`,
  );
}

/** Failed share of the requests arriving in [from, to) (ms), from a report's time series. */
function failedShareBetween(r: Report, from: number, to: number): number {
  const ts = r.timeseries;
  let arrivals = 0;
  let failed = 0;
  ts.start.forEach((s, i) => {
    if (s >= from && s < to) {
      arrivals += ts.arrivals[i]!;
      failed += ts.rejected[i]! + ts.timedOut[i]!;
    }
  });
  return failed / arrivals;
}

const H = 3_600_000;

describe('the 2024-04-15 incident', { timeout: SLOW }, () => {
  it('misconfigured: p99 climbs from 10:00, api-4 alone overloads, about three quarters fail 10:00–12:00; corrected is clean', async () => {
    const [bad, good] = await Promise.all([runCli(['run', `${INCIDENT}/misconfigured.yaml`, '--format', 'json']), runCli(['run', `${INCIDENT}/corrected.yaml`, '--format', 'json'])]);
    expect(bad.code).toBe(0);
    expect(good.code).toBe(0);
    const r = json<Report>(bad);
    const c = json<Report>(good);
    expect(r.start).toBe('2024-04-15T08:00:00.000Z');
    // 10:00–12:00 is 2h–4h after 08:00.
    const window = failedShareBetween(r, 2 * H, 4 * H);
    expect(window).toBeGreaterThan(0.68);
    expect(window).toBeLessThan(0.8);
    expect(failedShareBetween(r, 0, 1.75 * H)).toBeLessThan(0.001); // before 09:45 all is well
    // Response times: interval p99 from 10:05 on sits at the 2 s timeout; at 09:00 it was well under.
    const p99At = (t: number) => r.timeseries.p99[r.timeseries.start.indexOf(t)]!;
    expect(p99At(1 * H)).toBeLessThan(1500);
    for (const t of [2 * H + 5 * 60_000, 3 * H, 3.9 * H]) expect(p99At(t)).toBeGreaterThan(1800);
    // Only api-4 overloads, from before 10:00 through the window.
    expect([...new Set(r.overload.map((o) => o.backend))]).toEqual(['api-4']);
    expect(Math.min(...r.overload.map((o) => o.from))).toBeGreaterThan(1.75 * H);
    expect(Math.max(...r.overload.map((o) => o.to))).toBeGreaterThanOrEqual(4 * H);
    expect(r.backends.find((b) => b.name === 'api-4')!.share).toBeCloseTo(100 / 130, 3);
    // The fix: the same traffic, clean.
    expect(failedShareBetween(c, 2 * H, 4 * H)).toBeLessThan(0.001);
    expect(c.overload).toEqual([]);
    expect(c.latency.p99).toBeLessThan(1000);
  });

  it('validate flags the typo before any run and passes the fix', async () => {
    const bad = await runCli(['validate', `${INCIDENT}/misconfigured.yaml`]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/misconfigured\.yaml:\d+: backends\[1\]\.weight: warning: api-4 gets 77% of the traffic .*a typo\?/);
    expect(bad.stdout).toMatch(/misconfigured\.yaml:\d+: backends\[1\]\.weight: error: api-4 gets 77% .* overloaded/);
    const good = await runCli(['validate', `${INCIDENT}/corrected.yaml`]);
    expect(good.stdout).toContain('corrected.yaml: ok');
    expect(good.code).toBe(0);
  });

  it('diff flags the bad config (exit 1) and passes the fix (exit 0)', async () => {
    const [worse, fix] = await Promise.all([
      runCli(['diff', `${INCIDENT}/corrected.yaml`, `${INCIDENT}/misconfigured.yaml`, '--replications', '2', '--format', 'json']),
      runCli(['diff', `${INCIDENT}/misconfigured.yaml`, `${INCIDENT}/corrected.yaml`, '--replications', '2', '--format', 'markdown']),
    ]);
    expect(worse.code).toBe(1);
    const d = json<DiffResult>(worse);
    expect(d.verdict.pass).toBe(false);
    expect(d.slo.find((s) => s.field === 'errors')!.met).toBe(false);
    expect(d.metrics.find((m) => m.metric === 'errors')!.direction).toBe('worse');
    expect(d.overload.gained.map((o) => o.backend)).toContain('api-4');
    expect(fix.code).toBe(0);
    expect(fix.stdout).toContain('### ✅ lbsim diff: pass');
    expect(fix.stdout).toMatch(/\| p99 \| 1\.\d\ds \| 5\d\d\.\dms \|/);
  });
});

describe('lbsim diff does not cry wolf', { timeout: SLOW }, () => {
  it('the same config on independent seeds passes, for several seed pairs', async () => {
    const before = gateScenario({ seed: 1, speed: 1, name: 'same-before' });
    const results = await Promise.all(
      [101, 202, 303].map(async (afterSeed) => {
        const after = gateScenario({ seed: afterSeed, speed: 1, name: `same-after-${afterSeed}` });
        return runCli(['diff', before, after, '--independent', '--format', 'json']);
      }),
    );
    for (const res of results) {
      const d = json<DiffResult>(res);
      expect(d.paired).toBe(false);
      expect(d.verdict.reasons).toEqual([]);
      expect(res.code).toBe(0);
      // The seeds really differ: the estimates are not identical.
      expect(d.metrics.find((m) => m.metric === 'p99')!.change.delta).not.toBe(0);
    }
  });

  it('a real but small change (+5% p99) stays under the threshold and passes', async () => {
    const res = await runCli(['diff', gateScenario({ seed: 1, speed: 1, name: 'small-before' }), gateScenario({ seed: 1, speed: 1 / 1.05, name: 'small-after' }), '--format', 'json']);
    const d = json<DiffResult>(res);
    const p99 = d.metrics.find((m) => m.metric === 'p99')!;
    expect(p99.change.relative).toBeGreaterThan(0.03);
    expect(p99.change.relative).toBeLessThan(0.08);
    expect(p99.change.relLow).toBeGreaterThan(0); // significant, yet not material
    expect(res.code).toBe(0);
  });

  it('a change that raises p99 by 20% fails, paired and on independent seeds', async () => {
    const before = gateScenario({ seed: 1, speed: 1, name: 'slow-before' });
    const after = gateScenario({ seed: 77, speed: 1 / 1.2, name: 'slow-after' });
    const [paired, independent] = await Promise.all([runCli(['diff', before, after, '--format', 'json']), runCli(['diff', before, after, '--independent', '--format', 'json'])]);
    for (const res of [paired, independent]) {
      expect(res.code).toBe(1);
      const d = json<DiffResult>(res);
      const p99 = d.metrics.find((m) => m.metric === 'p99')!;
      expect(p99.change.relative).toBeGreaterThan(0.17);
      expect(p99.change.relative).toBeLessThan(0.26);
      expect(p99.direction).toBe('worse');
      expect(d.slo.every((s) => s.met)).toBe(true); // it fails as a regression, not on the SLO
    }
    expect((json<DiffResult>(paired)).paired).toBe(true);
  });

  it('--traffic replays one recorded log through both configs', async () => {
    const res = await runCli(['diff', 'scenarios/config-change/before.yaml', 'scenarios/config-change/after.yaml', '--traffic', 'test/fixtures/nginx.log', '--replications', '2', '--format', 'json']);
    expect(res.stderr).not.toMatch(/internal error/);
    expect(res.code).toBe(0);
    const d = json<DiffResult>(res);
    expect(d.paired).toBe(true);
    expect(d.before.algorithm).toBe('round-robin');
    expect(d.after.algorithm).toBe('least-connections');
    const bad = await runCli(['diff', 'scenarios/config-change/before.yaml', 'scenarios/config-change/after.yaml', '--traffic', join(dir, 'no-such.log')]);
    expect(bad.code).toBe(2);
    expect(hasStackTrace(bad.stderr)).toBe(false);
  });

  it('text output names the verdict; bad input exits 2 without a stack', async () => {
    const ok = await runCli(['diff', 'scenarios/config-change/before.yaml', 'scenarios/config-change/after.yaml', '--replications', '3']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('PASS: AFTER meets its SLO');
    const missing = await runCli(['diff', 'scenarios/config-change/before.yaml', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml: no such file');
    expect(hasStackTrace(missing.stderr)).toBe(false);
    const badFlag = await runCli(['diff', 'scenarios/config-change/before.yaml', 'scenarios/config-change/after.yaml', '--replications', '0']);
    expect(badFlag.code).toBe(2);
  });
});

describe('lbsim compare', { timeout: SLOW }, () => {
  it('ranks algorithms on common random numbers with confidence intervals', async () => {
    const res = await runCli(['compare', 'scenarios/compare-algorithms.yaml', '--algorithms', 'round-robin,least-connections,power-of-two', '--replications', '3', '--format', 'json']);
    expect(res.code).toBe(0);
    const c = json<Comparison>(res);
    expect(c.seeds).toEqual([7, 8, 9]);
    expect(c.alternatives.map((a) => a.label)).toEqual(['round-robin', 'least-connections', 'power-of-two']);
    expect(c.alternatives[c.best]!.label).toBe('least-connections');
    for (const a of c.alternatives) {
      expect(a.runs).toHaveLength(3);
      expect(a.estimates.p99.halfWidth).toBeGreaterThan(0);
      expect(a.estimates.p99.halfWidth).toBeLessThan(a.estimates.p99.mean);
    }
    // Paired against the best, round-robin's p99 is significantly worse.
    expect(c.alternatives[0]!.p99VsBest!.relLow).toBeGreaterThan(0.5);
    // Common random numbers: replication r offers every algorithm the same requests; replications differ.
    for (let r = 0; r < 3; r++) expect(new Set(c.alternatives.map((a) => a.runs[r]!.requests)).size).toBe(1);
    expect(new Set(c.alternatives[0]!.runs.map((x) => x.requests)).size).toBe(3);
  });

  it('gives the same comparison on 1 thread (in this process) as on 2 worker threads; --threads 0 is bad input', async () => {
    const args = ['compare', 'scenarios/config-change/before.yaml', '--algorithms', 'round-robin,power-of-two', '--replications', '2', '--format', 'json'];
    const [one, two] = await Promise.all([runCli([...args, '--threads', '1']), runCli([...args, '--threads', '2'])]);
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(json<Comparison>(one).alternatives).toHaveLength(2);
    expect(two.stdout).toBe(one.stdout);
    const zero = await runCli([...args, '--threads', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--threads');
    expect(hasStackTrace(zero.stderr)).toBe(false);
  });

  it('compares scenario files in a terminal table, and rejects bad input with exit 2', async () => {
    const res = await runCli(['compare', 'scenarios/config-change/before.yaml', 'scenarios/config-change/after.yaml', '--replications', '2']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/scenarios\/config-change\/after\.yaml \(best\)/);
    expect(res.stdout).toContain('Mean ± 95% CI');
    const one = await runCli(['compare', 'scenarios/compare-algorithms.yaml']);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('nothing to compare');
    const unknown = await runCli(['compare', 'scenarios/compare-algorithms.yaml', '--algorithms', 'round-robin,fastest']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown algorithm 'fastest'");
    expect(hasStackTrace(unknown.stderr)).toBe(false);
  });
});

describe('one replication: no interval, so no significance', { timeout: SLOW }, () => {
  it('diff --replications 1 shows the changes untested and gates on the SLO alone; without an SLO it refuses (exit 2)', async () => {
    const before = gateScenario({ seed: 1, speed: 1, name: 'one-before' });
    const after = gateScenario({ seed: 1, speed: 1 / 1.2, name: 'one-after' }); // p99 +20%: WORSE with 2+ replications
    const [j, t] = await Promise.all([runCli(['diff', before, after, '--replications', '1', '--format', 'json']), runCli(['diff', before, after, '--replications', '1'])]);
    expect(j.code).toBe(0);
    const d = json<DiffResult>(j);
    expect(d.verdict).toEqual({ pass: true, reasons: [], regressionTested: false, exact: false });
    for (const m of d.metrics) {
      expect(m.direction).toBe('untested');
      expect([m.change.tested, m.change.low, m.change.relLow, m.change.relHigh]).toEqual([false, null, null, null]);
    }
    expect(d.metrics.find((m) => m.metric === 'p99')!.change.relative).toBeGreaterThan(0.1);
    expect(t.stdout).toMatch(/p99 .* \+\d+\.\d% \(untested\)/);
    expect(t.stdout).not.toMatch(/WORSE|95% CI excludes/);
    expect(t.stdout).toContain('PASS: AFTER meets its SLO; not tested for regression');
    const noSlo = scenarioFile('one-no-slo.yaml', 'duration: 10s\ntraffic: { synthetic: { rate: 10/s, service: { distribution: constant, mean: 1ms } } }\nbalancer: { algorithm: random }\nbackends: [{ name: a }]\n');
    const refused = await runCli(['diff', noSlo, noSlo, '--replications', '1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^lbsim: --replications 1: .*sets none; use --replications 2 or more\n$/);
  });

  it('compare --replications 1 marks p99 vs best untested, never significant, and gives no interval', async () => {
    const [t, j] = await Promise.all(
      ['text', 'json'].map((format) => runCli(['compare', 'scenarios/config-change/before.yaml', '--algorithms', 'round-robin,least-connections', '--replications', '1', '--format', format])),
    );
    expect(t!.code).toBe(0);
    expect(t!.stdout).toMatch(/round-robin +.*\+\d+\.\d% \(untested\)/);
    expect(t!.stdout).toContain('no confidence interval');
    expect(t!.stdout).not.toContain('±');
    const c = json<Comparison>(j!);
    expect(c.alternatives[0]!.p99VsBest!.tested).toBe(false);
    expect(c.alternatives[0]!.estimates.p99).toMatchObject({ n: 1, halfWidth: null, low: null, high: null });
  });
});

describe('compare: what it claims about the traffic and its intervals', { timeout: SLOW }, () => {
  const fleet = (name: string, seed: number, rate: number, count: number) =>
    scenarioFile(`${name}.yaml`, `name: ${name}\nseed: ${seed}\nduration: 20s\ntraffic:\n  synthetic:\n    rate: ${rate}/s\n    service: { distribution: lognormal, mean: 10ms, cv: 1.5 }\nbalancer: { algorithm: round-robin }\nbackends:\n  - { name: web, count: ${count}, queue: 100 }\n`);

  it('files with different traffic: says so, not "the same traffic", and names the scenario seed it does not use', async () => {
    const res = await runCli(['compare', fleet('six', 3, 450, 6), fleet('four', 42, 300, 4), '--replications', '2', '--no-tui']);
    expect(res.code).toBe(0);
    expect(res.stdout).not.toContain('the same traffic');
    expect(res.stdout).toContain('The scenarios define different traffic');
    expect(res.stdout).toContain('seeds 3..4 for every alternative; seed 42 set in a scenario is not used');
    const same = json<Comparison>(await runCli(['compare', fleet('six-a', 3, 450, 6), fleet('six-b', 3, 450, 6), '--replications', '2', '--format', 'json']));
    expect([same.sameTraffic, same.unusedScenarioSeeds]).toEqual([true, []]);
  });

  it('intervals never leave what a column can be (latency, queue >= 0; errors in [0, 1]; imbalance >= 1), cut where ± would', async () => {
    // Two replications of a busy fleet: t(1) = 12.7 makes some ± intervals reach below 0.
    const res = await runCli(['compare', fleet('busy', 3, 520, 6), '--algorithms', 'round-robin,random', '--replications', '2', '--format', 'json']);
    expect(res.code).toBe(0);
    expect(res.stdout).not.toMatch(/\d\.\d{7,}/); // rounded at the output, as run's report
    const c = json<Comparison>(res);
    let cut = 0;
    for (const a of c.alternatives) {
      for (const [m, e] of Object.entries(a.estimates)) {
        const min = m === 'imbalance' ? 1 : 0;
        expect(e.low, `${a.label} ${m}`).toBeGreaterThanOrEqual(min);
        if (m === 'errors') expect(e.high).toBeLessThanOrEqual(1);
        expect(e.low).toBeLessThanOrEqual(e.mean);
        expect(e.high).toBeGreaterThanOrEqual(e.mean);
        if (e.mean - e.halfWidth < min) cut++;
      }
    }
    expect(cut).toBeGreaterThan(0); // the case this guards against did occur
    const text = await runCli(['compare', fleet('busy', 3, 520, 6), '--algorithms', 'round-robin,random', '--replications', '2', '--no-tui']);
    expect(text.stdout).toMatch(/\d \[0(\.0)?, [\d.]+\]/);
    expect(text.stdout).toContain('cut to the values the column can take');
  });
});

describe('diff: rows say how they aggregate runs; JSON is rounded', { timeout: SLOW }, () => {
  it('labels means of runs, per-run maxima over backends and peaks over runs', async () => {
    const [t, j] = await Promise.all([
      runCli(['diff', 'scenarios/config-change/before.yaml', 'scenarios/config-change/after.yaml', '--replications', '2']),
      runCli(['diff', 'scenarios/config-change/before.yaml', 'scenarios/config-change/after.yaml', '--replications', '2', '--format', 'json']),
    ]);
    expect(t.stdout).toContain('metric (mean of 2 runs)');
    expect(t.stdout).toMatch(/max queue \(largest backend\) /);
    expect(t.stdout).toMatch(/util\. \(busiest backend\) /);
    expect(t.stdout).toContain('peak queue before (any run)');
    expect(t.stdout).toContain('per backend: share and util. are means of the 2 runs, peak queue the largest in any run');
    expect(j.stdout).not.toMatch(/\d\.\d{7,}/);
    const d = json<DiffResult>(j);
    expect(d.metrics.find((m) => m.metric === 'maxUtilization')!.change.before).toBe(Math.round(d.metrics.find((m) => m.metric === 'maxUtilization')!.change.before * 1e6) / 1e6);
  });
});

describe('lbsim capacity', { timeout: SLOW }, () => {
  it('finds the Erlang C answer on an M/M/c scenario: one backend, c slots, one FCFS queue', async () => {
    // λ = 500/s, exponential work of mean 20 ms (a = 10 Erlangs), SLO p99 ≤ 110 ms.
    const lambda = 500;
    const mu = 1000 / 20;
    const slo = 110;
    let theory = Math.ceil(lambda / mu);
    while (mmcResponseQuantile(theory, lambda, mu, 0.99) * 1000 > slo) theory++;
    expect(theory).toBe(12); // p99 at 11 slots: 125 ms; at 12: 99.5 ms
    const f = scenarioFile(
      'mmc.yaml',
      `name: mmc
seed: 1
duration: 200s
warmup: 10s
traffic:
  synthetic:
    rate: ${lambda}/s
    service: { distribution: exponential, mean: 20ms }
balancer: { algorithm: round-robin }
backends:
  - { name: pool, concurrency: 1 }
slo: { p99: ${slo}ms }
`,
    );
    const res = await runCli(['capacity', f, '--vary', 'slots', '--format', 'json']);
    expect(res.code).toBe(0);
    const r = json<CapacityResult>(res);
    // Rounded at the output as compare's and diff's JSON: no float noise (0.7473812000000001).
    expect(res.stdout).not.toMatch(/\d\.\d{7,}/);
    expect(r.search.answer).toBe(theory);
    // The explored curve brackets it: theory − 1 fails, theory meets, and p99 there matches M/M/c within 3%.
    const at = (x: number) => r.search.curve.find((p) => p.x === x)!;
    expect(at(theory - 1).meets).toBe(false);
    expect(at(theory).p99).toBeGreaterThan(mmcResponseQuantile(theory, lambda, mu, 0.99) * 1000 * 0.97);
    expect(at(theory).p99).toBeLessThan(mmcResponseQuantile(theory, lambda, mu, 0.99) * 1000 * 1.03);
    expect(r.nPlusOne).toBeNull(); // a single backend has no N+1
  });

  it('plans backends for scaled traffic with N+1, and the traffic multiplier the fleet survives', async () => {
    const [backends, rate] = await Promise.all([
      runCli(['capacity', 'scenarios/capacity-planning.yaml', '--vary', 'backends', '--scale', '1.4', '--format', 'json']),
      runCli(['capacity', 'scenarios/capacity-planning.yaml', '--vary', 'rate', '--replications', '1']),
    ]);
    expect(backends.code).toBe(0);
    const r = json<CapacityResult>(backends);
    // 840/s × 40 ms = 33.6 slots busy: 9 backends of 4 slots (ρ 0.93) is the least that can keep up.
    expect(r.search.answer).toBeGreaterThanOrEqual(9);
    expect(r.search.answer).toBeLessThanOrEqual(10);
    expect(r.nPlusOne!.answer).toBe(r.search.answer! + 1);
    expect(r.search.curve.find((p) => p.x === r.search.answer! - 1)!.meets).toBe(false);
    expect(rate.code).toBe(0);
    expect(rate.stdout).toMatch(/all up: traffic ×1\.\d\d/);
    expect(rate.stdout).toMatch(/N\+1 \(busiest backend app-\d down\): traffic ×\d\.\d\d/);
  });

  it('exits 1 when nothing in range meets the SLO, 2 without an SLO', async () => {
    const none = await runCli(['capacity', 'scenarios/capacity-planning.yaml', '--vary', 'backends', '--max', '4', '--no-n-plus-one', '--replications', '1']);
    expect(none.code).toBe(1);
    // --max 4 is below the static bound (600/s × 40 ms / 4 slots: 6): nothing is run, and the answer says why.
    expect(none.stdout).toContain('all up: no fleet up to the limit (--max 4) meets the SLO: it takes at least 6 to keep up with the peak on paper');
    expect(none.stdout).toContain('explored (0 points');
    const f = scenarioFile('no-slo.yaml', 'duration: 10s\ntraffic: { synthetic: { rate: 10/s, service: { distribution: constant, mean: 1ms } } }\nbalancer: { algorithm: random }\nbackends: [{ name: a }]\n');
    const noSlo = await runCli(['capacity', f, '--vary', 'rate']);
    expect(noSlo.code).toBe(2);
    expect(noSlo.stderr).toContain('no SLO to plan for');
  });
});

describe('lbsim validate', { timeout: SLOW }, () => {
  it('names file, line and field; exit 0 clean, 1 errors, 1 warnings with --strict, 2 unreadable', async () => {
    const warnOnly = scenarioFile(
      'warn.yaml',
      `duration: 1m
timeout: 2s
traffic:
  synthetic:
    rate: 100/s
    service: { distribution: exponential, mean: 10ms }
balancer: { algorithm: round-robin }
backends:
  - { name: a, weight: 5 }
  - { name: b, weight: 1 }
`,
    );
    const w = await runCli(['validate', warnOnly]);
    expect(w.code).toBe(0);
    expect(w.stdout).toMatch(/warn\.yaml:7: balancer\.algorithm: warning: backends have different weights, but round-robin ignores weights/);
    expect((await runCli(['validate', warnOnly, '--strict'])).code).toBe(1);

    const zero = scenarioFile('zero.yaml', 'duration: 1m\ntraffic: { synthetic: { rate: 10/s, service: { distribution: constant, mean: 1ms } } }\nbalancer: { algorithm: weighted-round-robin }\nbackends:\n  - { name: a, weight: 0 }\n  - { name: b, weight: 0 }\n');
    const z = await runCli(['validate', zero, '--format', 'json']);
    expect(z.code).toBe(1);
    const zv = json<Validation>(z);
    expect(zv.findings.some((f) => f.severity === 'error' && /all weights are zero/.test(f.message))).toBe(true);

    const broken = scenarioFile('broken.yaml', 'duration: [1m\n');
    const b = await runCli(['validate', broken]);
    expect(b.code).toBe(2);
    expect(hasStackTrace(b.stderr)).toBe(false);
    expect((await runCli(['validate', join(dir, 'missing.yaml')])).code).toBe(2);
  });

  it('an option the algorithm does not take: run exits 2 at FILE:LINE, validate reports it as an error', async () => {
    const f = scenarioFile('algo-opt.yaml', 'duration: 5s\ntraffic: { synthetic: { rate: 10/s, service: { distribution: constant, mean: 1ms } } }\nbalancer:\n  algorithm: power-of-two\n  bar: x\nbackends: [{ name: a }, { name: b }]\n');
    const run = await runCli(['run', f]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(`lbsim: ${f}:5: balancer.bar: unknown option for power-of-two; it takes no options`);
    const v = await runCli(['validate', f]);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain(`${f}:5: balancer.bar: error: unknown option for power-of-two`);
  });

  it('checks an haproxy.cfg directly: the weight typo of 2024-04-15, at its line', async () => {
    const cfg = scenarioFile('typo.cfg', 'backend api\n    balance roundrobin\n    server api1 10.0.0.1:80 weight 10\n    server api2 10.0.0.2:80 weight 10\n    server api3 10.0.0.3:80 weight 10\n    server api4 10.0.0.4:80 weight 100\n');
    const lenient = await runCli(['validate', cfg]);
    expect(lenient.code).toBe(0); // a warning only
    expect(lenient.stdout).toMatch(/typo\.cfg:6: api4\.weight: warning: api4 gets 77% of the traffic .*10× its peers/);
    expect((await runCli(['validate', cfg, '--strict'])).code).toBe(1);
    const missing = await runCli(['validate', cfg, '--backend', 'nope']);
    expect(missing.code).toBe(2);
    expect(hasStackTrace(missing.stderr)).toBe(false);
  });
});

describe('diff across proxies', { timeout: SLOW }, () => {
  it('--backend OLD,NEW selects nginx upstream api and HAProxy backend be_api; rows line up by address', async () => {
    const nginx = scenarioFile('x.conf', 'http {\n  upstream api {\n    server 10.0.0.1:8080;\n    server 10.0.0.2:8080;\n  }\n  upstream other {\n    server 10.0.9.9:80;\n  }\n}\n');
    const haproxy = scenarioFile('x.cfg', 'defaults\n  mode http\nbackend be_api\n  balance roundrobin\n  server api1 10.0.0.1:8080\n  server api2 10.0.0.2:8080\nbackend be_other\n  server o 10.0.9.9:80\n');
    const log = join(import.meta.dirname, '..', 'fixtures', 'nginx.log');
    const res = await runCli(['diff', nginx, haproxy, '--backend', 'api,be_api', '--traffic', log, '--replications', '2', '--format', 'json']);
    expect(res.code, res.stderr).not.toBe(2);
    const d = json<DiffResult>(res);
    expect(d.backends.map((b) => [b.name, b.nameAfter])).toEqual([
      ['10.0.0.1:8080', 'api1'],
      ['10.0.0.2:8080', 'api2'],
    ]);
  });
});
