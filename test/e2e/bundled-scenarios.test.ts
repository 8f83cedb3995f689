/**
 * Every scenario the repository ships still loads and validates as its README says,
 * through the real binary: the clean ones with no finding, the ones that show a problem
 * (the incident's misconfiguration, the overloaded proxy and retry-storm demonstrations)
 * with exactly their errors. A scenario added without an entry here must validate clean.
 * scenarios/week/ replays a trace the user imports first (README, "Recorded traffic"): left out.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, REPO_ROOT, runCli } from '../helpers/cli.ts';

/** Scenarios that validate with findings on purpose: [errors, warnings]. */
const WITH_FINDINGS: Record<string, [number, number]> = {
  'scenarios/compare-algorithms.yaml': [0, 9],
  'scenarios/four-backends.yaml': [0, 5],
  'scenarios/incident-2024-04-15/misconfigured.yaml': [1, 1],
  'scenarios/instances-unbalance.yaml': [0, 1],
  'scenarios/proxy-queue.yaml': [3, 0],
  'scenarios/retry-storm.yaml': [5, 0],
  // The heavy client pinned to one server (0.91 busy): the point of the scenario.
  'scenarios/sticky/maxqueue-redispatch.yaml': [0, 1],
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? yamlFiles(path) : name.endsWith('.yaml') ? [path] : [];
    })
    .sort();
}

const files = yamlFiles(join(REPO_ROOT, 'scenarios'))
  .map((f) => relative(REPO_ROOT, f))
  .filter((f) => !f.startsWith('scenarios/week/'));

describe('bundled scenarios validate as documented', () => {
  it('finds the scenarios', () => {
    expect(files.length).toBeGreaterThanOrEqual(14);
    for (const f of Object.keys(WITH_FINDINGS)) expect(files).toContain(f);
  });

  for (const file of files) {
    it(file, async () => {
      const r = await runCli(['validate', file], { cwd: REPO_ROOT });
      expect(hasStackTrace(r.stderr)).toBe(false);
      const [errors, warnings] = WITH_FINDINGS[file] ?? [0, 0];
      expect(r.code, r.stdout + r.stderr).toBe(errors > 0 ? 1 : 0);
      const summary = r.stdout.trim().split('\n').at(-1);
      expect(summary).toBe(errors + warnings === 0 ? `${file}: ok` : `${file}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
    });
  }
});
