/**
 * `npm run bench`: runs each benchmark file in its own child process, one after another,
 * so benchmarks neither share a JIT profile nor compete for the two cores.
 *
 *   npm run bench                 # every benchmark in BENCHMARKS
 *   npm run bench -- engine       # only the named ones (file name without .ts)
 *
 * Adding a benchmark: put `benchmarks/<name>.ts` next to this file and add one line to
 * BENCHMARKS. Each file prints its own figures (requests/s, ratios to a baseline it
 * measures in the same process) and exits non-zero when it misses its bar.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCHMARKS: readonly string[] = [
  'engine', // simulation core vs a bare typed-array loop; RSS of a 50 M-request run
  'import', // log import rows/s per format vs raw line reading; .lbt replay requests/s (`tsx benchmarks/import.ts --memory 20000000` adds the 20 M-row RSS check)
  'parallel', // time-split replay of a 20 M-request trace and an 8-replication sweep: 2 threads vs 1
  'cluster', // BullMQ on a local redis-server: overhead per job, a 64-cell sweep on 1 and 2 workers vs the thread pool
  'ui', // a run with the live terminal view vs without (in process, CPU); the real binary in a pseudo-terminal, live vs --no-tui
];

const here = dirname(fileURLToPath(import.meta.url));
const asked = process.argv.slice(2).map((a) => a.replace(/\.ts$/, '').replace(/^benchmarks\//, ''));
const names = asked.length > 0 ? asked : BENCHMARKS;
let failed = 0;
for (const name of names) {
  const file = join(here, `${name}.ts`);
  if (!existsSync(file)) {
    process.stderr.write(`bench: no such benchmark ${file}\n`);
    failed++;
    continue;
  }
  process.stdout.write(`\n== ${name} ==\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`bench: ${name} exited with ${r.status ?? r.signal}\n`);
    failed++;
  }
}
process.exitCode = failed > 0 ? 1 : 0;
