/**
 * Where piscina finds a worker, and with which node options (src/parallel/worker-script.ts).
 * The compiled modules (dist/src) are what a program importing lbsim runs, the benchmarks
 * among them, under tsx: their workers must not inherit its loader, under which a worker's
 * simulation took ~40% more CPU.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workerScript } from '../../src/parallel/worker-script.ts';

describe('workerScript', () => {
  it('from the sources: the TypeScript worker, with tsx loaded beside the parent’s options', () => {
    const w = workerScript('sim-worker');
    expect(w.filename).toMatch(/\/workers\/sim-worker\.ts$/);
    expect(existsSync(fileURLToPath(w.filename))).toBe(true);
    expect(w.execArgv?.slice(-2)).toEqual(['--import', 'tsx']);
  });

  it('compiled (dist/src): the JS worker, started without the parent’s node options', async () => {
    const { workerScript: compiled } = (await import(new URL('../../dist/src/parallel/worker-script.js', import.meta.url).href)) as { workerScript: typeof workerScript };
    for (const name of ['sim-worker', 'import-worker']) {
      const w = compiled(name);
      expect(w.filename).toMatch(new RegExp(`/dist/workers/${name}\\.js$`));
      expect(existsSync(fileURLToPath(w.filename))).toBe(true);
      expect(w.execArgv).toEqual([]);
    }
  });
});
