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
 * src/parallel/worker-script.ts, told by the LBSIM_BUNDLE constant defined here).
 */
import { build, type Plugin } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bundle`;

/**
 * hdr-histogram-js keeps its WebAssembly deflated in base64 and inflates it with pako (JS)
 * when it loads: ~11 ms of every process's and every worker thread's start, in cold code
 * (adler32 and inflate). The bundle carries the inflated bytes, which Buffer decodes from
 * base64 natively. The library's expressions are replaced as text; should the pinned
 * version's text differ, the build fails here instead of shipping something else.
 */
const hdrWasmInflated: Plugin = {
  name: 'hdr-wasm-inflated',
  setup(b) {
    b.onLoad({ filter: /[\\/]hdr-histogram-js[\\/]dist[\\/]wasm[\\/]index\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const { BINARY } = createRequire(args.path)('./generated-wasm.js') as { BINARY: string };
      const wasm = inflateSync(Buffer.from(BINARY, 'base64')).toString('base64');
      const edits: [string, string][] = [
        ['pako.inflate(base64.toByteArray(generated_wasm_1.BINARY))', `Buffer.from(${JSON.stringify(wasm)}, 'base64')`],
        ['const generated_wasm_1 = require("./generated-wasm");', ''],
        ['const base64 = require("base64-js");', ''],
        ['const pako = require("pako");', ''],
      ];
      let contents = source;
      for (const [from, to] of edits) {
        if (!contents.includes(from)) throw new Error(`${args.path}: expected \`${from}\` (hdr-histogram-js changed: update the hdr-wasm-inflated plugin in scripts/bundle.ts)`);
        contents = contents.replaceAll(from, to);
      }
      return { contents, loader: 'js' };
    });
  },
};

/**
 * zod's index of locales re-exports its error messages in ~40 languages (366 kB of the
 * CLI's 1.3 MB bundle, all parsed at every start); lbsim's messages are English only. The
 * bundle's index keeps English (which zod installs as its default), so `z.locales` holds
 * `en` alone. Should a zod version move the index, the build fails here.
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => {
      if (!readFileSync(args.path, 'utf8').includes('export { default as en } from "./en.js";')) {
        throw new Error(`${args.path}: expected an \`en\` export (zod changed: update the zod-english-only plugin in scripts/bundle.ts)`);
      }
      return { contents: 'export { default as en } from "./en.js";\n', loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: {
    lbsim: 'src/cli/entry.ts',
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
  plugins: [hdrWasmInflated, zodEnglishOnly],
  legalComments: 'none',
  logLevel: 'warning',
});
