/**
 * Bundles the CLI and its worker threads into dist/bundle/, which bin/lbsim.js runs.
 *
 * Why: loading ~150 compiled modules one by one cost every `lbsim` process about 0.1 s of
 * CPU before it did anything (resolving, reading and linking each file), and every worker
 * thread of a pool paid a share of it again before it could take a task. One file per
 * entry point, plus shared chunks, loads in a fraction of that (benchmarks/RESULTS.md).
 *
 * tsc still compiles dist/src (type checking, declarations, and the modules the benchmarks
 * import); this runs after it (`npm run build`).
 *
 * Layout: every entry point and chunk sits flat in dist/bundle/, so a worker is
 * `./<name>.js` beside whichever chunk starts a pool (workerScript in
 * src/parallel/pool.ts, told by the LBSIM_BUNDLE constant defined here).
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bundle`;

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: {
    lbsim: 'src/cli/main.ts',
    'sim-worker': 'workers/sim-worker.ts',
    'import-worker': 'workers/import-worker.ts',
  },
  outdir,
  bundle: true,
  // Dynamic imports (the terminal UI, the cluster client) stay separate chunks, loaded only when used.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  define: { LBSIM_BUNDLE: 'true' },
  external: [
    // Loaded only by the terminal UI; ink loads yoga's WebAssembly with a top-level await.
    'ink',
    'react',
    // Starts its own worker script from its package folder.
    'piscina',
    // Loaded only by `--cluster` and `lbsim worker`.
    'bullmq',
    'ioredis',
  ],
  // Bundled CommonJS packages (yaml, commander) require node's built-ins; an ES module has
  // no `require` of its own, so each output file gets one.
  banner: { js: "import { createRequire as lbsimCreateRequire } from 'node:module';\nconst require = lbsimCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
