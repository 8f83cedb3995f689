/**
 * A worker thread starts by loading its module graph, and a time-split run waits for
 * that before its second window can begin (~30 ms of it were the log import pipeline and
 * the report builder, which a worker never uses). This keeps them out.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Files reached from `entry` through runtime imports (`import type` and type-only exports are erased, so skipped). */
function runtimeGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else packages.add(spec.replace(/^node:/, ''));
    }
  };
  visit(resolve(root, entry));
  return { files, packages };
}

describe('the simulation worker', () => {
  const { files, packages } = runtimeGraph('workers/sim-worker.ts');
  const rel = [...files].map((f) => f.slice(root.length + 1));

  it('loads the engine, balancers, metrics and trace replay', () => {
    for (const f of ['src/engine/simulation.ts', 'src/balancers/registry.ts', 'src/metrics/recorder.ts', 'src/traffic/lbt/reader.ts', 'src/traffic/synthetic.ts']) expect(rel).toContain(f);
  });

  it('does not load log import, report building, scenario parsing or the thread pool', () => {
    expect(rel.filter((f) => /^src\/(traffic\/readers|report|scenario|cli|ui)\//.test(f) || f === 'src/traffic/prepare.ts')).toEqual([]);
    expect([...packages].filter((p) => /^(piscina|@fast-csv|fast-csv|yaml|zod|ink|react|commander)/.test(p))).toEqual([]);
  });
});
