/**
 * Import and replay speed (issue 3).
 *
 * For each format, a 1 M-row log is generated once under /tmp/lbsim-bench-import/
 * (reused by later runs), then:
 *   - raw:      the same file read line by line with nothing parsed (forEachLine, no-op):
 *               the baseline every reader is compared with, measured in the same run;
 *   - serial:   the whole import (parse, reorder buffer, work estimate, .lbt writer) in
 *               one thread (`threads: 1`);
 *   - parallel: the same import with the file's ranges parsed by worker threads
 *               (the machine's cores, at least 2), byte-identical output;
 *   - CSV also: fast-csv alone on the same file (the reference the fast path must beat).
 * Each import also reports rows per CPU second of the process (all its threads): on a
 * machine shared with other work that figure moves less than wall-clock rows/s.
 * `--formats alb,jsonl` limits the formats measured; `--rows 1000000,5000000` measures
 * logs of those sizes (generated once each) instead of 1 M rows; the default column says
 * what importLog chooses without --threads, and the bar applies to that choice.
 * Replay, from the 5 M-row nginx trace (`--replay-rows N` for another size; `--only-replay`
 * skips the import part), after one untimed warm-up run (the JIT's, paid once per process):
 *   - reader: TraceReader.fill alone, requests/s;
 *   - feed:   the time the trace source spends in fill() *during* a replay (the requests it
 *             delivers into the engine per second of its own time): the issue's bar;
 *   - whole:  the replay end to end (round-robin over 40 backends at ρ ≈ 0.6, every
 *             metric of the report), vs synthetic traffic of the same model (baseline).
 * Memory (`--memory N`): imports an N-row nginx log and replays it, each in a child
 * process, and reports peak RSS (process.resourceUsage().maxRSS).
 *
 * Bars: CSV ≥ 500 k rows/s, log formats ≥ 1 M rows/s, replay feeds ≥ 5 M requests/s into
 * the engine, RSS < 400 MB for a 20 M-row log. Prints medians of 3 runs.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseFile } from 'fast-csv';
import { Purpose, streamKey, uniform } from '../src/random/counter-rng.ts';
import { TraceReader } from '../src/traffic/lbt/reader.ts';
import * as importFromSources from '../src/traffic/readers/import.ts';
import { forEachLine } from '../src/traffic/readers/lines.ts';
import type { LogFormat } from '../src/traffic/readers/types.ts';
import { RequestChunk, type TrafficSource } from '../src/traffic/source.ts';
import { parseScenario } from '../src/scenario/load.ts';
import { createSimulation, createTraffic, simulateSync } from '../src/simulate.ts';
import { loadBalancerModule } from '../src/balancers/registry.ts';
import { LINE_WRITERS, headerOf, type LogRequest } from '../test/traffic/log-writers.ts';

/**
 * The import as `lbsim import` runs it: from dist/ when built (`npm run bench` builds
 * first), so its worker threads start from compiled JS, without tsx's loader (which
 * would add its compile time to every parallel import measured, and slows the workers'
 * parsing: src/parallel/worker-script.ts).
 */
const built = new URL('../dist/src/traffic/readers/import.js', import.meta.url);
const { defaultImportThreads, importLog } = (existsSync(built) ? await import(built.href) : importFromSources) as typeof importFromSources;

const DIR = '/tmp/lbsim-bench-import';
const ROWS = 1_000_000;
const RATE = 4000; // requests per second in the generated logs
const FORMATS: LogFormat[] = ['csv', 'nginx', 'haproxy', 'alb', 'envoy', 'jsonl'];

/** `rows` realistic requests: Poisson arrivals at RATE/s, lognormal-ish work, 50 k clients, 200 routes; 1% 5xx, 0.5% without upstream. */
export async function writeLog(file: string, format: LogFormat, rows: number, startEpochMs = Date.UTC(2024, 3, 15)): Promise<void> {
  const out = createWriteStream(file, { highWaterMark: 1 << 20 });
  const k = [1, 2, 3, 4, 5, 6].map((s) => streamKey(2024, Purpose.Replay, 100 + s));
  const u = (s: number, i: number) => uniform(k[s]!.k1, k[s]!.k2, i);
  const h = headerOf(format);
  let buf = h ? `${h}\n` : '';
  let t = startEpochMs;
  const write = LINE_WRITERS[format];
  for (let i = 0; i < rows; i++) {
    t += (-Math.log(u(0, i)) * 1000) / RATE;
    const work = Math.exp(1.5 + 0.8 * Math.sqrt(-2 * Math.log(u(1, i))) * Math.cos(2 * Math.PI * u(2, i)));
    const r: LogRequest = {
      arrivalEpochMs: t,
      workMs: work,
      queueMs: Math.floor(u(3, i) * 3),
      clientIp: `10.${(i * 7919) % 200}.${Math.floor(u(4, i) * 250)}.${Math.floor(u(5, i) * 250)}`,
      path: `/api/v1/resource${Math.floor(u(4, i) * u(5, i) * 200)}`,
      status: u(3, i) < 0.01 ? 503 : 200,
      noUpstream: u(5, i) < 0.005,
    };
    buf += `${write(r)}\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((res) => out.once('drain', () => res()));
      buf = '';
    }
  }
  out.end(buf);
  await new Promise<void>((res) => out.on('finish', () => res()));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(fn: () => Promise<unknown> | unknown, runs = 3): Promise<number> {
  return (await timeCpu(fn, runs)).wall;
}

/** Median wall seconds and median CPU seconds of the whole process (every thread) over `runs` runs. */
async function timeCpu(fn: () => Promise<unknown> | unknown, runs = 3): Promise<{ wall: number; cpu: number }> {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    walls.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1e6);
  }
  return { wall: median(walls), cpu: median(cpus) };
}

/** timeCpu of two functions whose runs alternate (a, b, a, b, ...), so that a change in the machine's load falls on both. */
async function alternating(a: () => Promise<unknown>, b: () => Promise<unknown>, runs = 3): Promise<[{ wall: number; cpu: number }, { wall: number; cpu: number }]> {
  const ta = { wall: [] as number[], cpu: [] as number[] };
  const tb = { wall: [] as number[], cpu: [] as number[] };
  for (let r = 0; r < runs; r++) {
    for (const [fn, t] of [[a, ta], [b, tb]] as const) {
      const one = await timeCpu(fn, 1);
      t.wall.push(one.wall);
      t.cpu.push(one.cpu);
    }
  }
  return [
    { wall: median(ta.wall), cpu: median(ta.cpu) },
    { wall: median(tb.wall), cpu: median(tb.cpu) },
  ];
}

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

function fastCsvAlone(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    parseFile(file, { headers: true })
      .on('data', () => n++)
      .on('error', reject)
      .on('end', () => resolve(n));
  });
}

const M = (x: number) => `${(x / 1e6).toFixed(2)} M`;

/** Threads of the parallel column: the machine's cores, at least 2 (a parallel import of 1 thread is the serial one). */
const PARALLEL_THREADS = Math.max(2, availableParallelism());

async function importBench(formats: readonly LogFormat[], sizes: readonly number[]): Promise<boolean> {
  mkdirSync(DIR, { recursive: true });
  let ok = true;
  console.log(`import: ${sizes.map(M).join(', ')} rows per format; median of 3; raw = the same file read line by line, nothing parsed; serial = --threads 1; parallel = --threads ${PARALLEL_THREADS}; default = what importLog chooses`);
  console.log(`load average at start: ${load()}`);
  console.log('format   | rows   | MB    | raw rows/s | serial rows/s (per CPU s) | parallel rows/s (per CPU s) | serial/raw | parallel/serial | default  | bar    | verdict');
  for (const rows of sizes) {
    for (const format of formats) {
      const log = `${DIR}/bench-${rows}.${format}`;
      if (!existsSync(log)) await writeLog(log, format, rows);
      const mb = statSync(log).size / 1e6;
      const raw = await time(() => forEachLine(log, () => {}));
      // The replay bench reads the 1 M-row nginx trace.
      const out = `${DIR}/bench-${rows === ROWS ? '' : `${rows}-`}${format}`;
      const [serial, parallel] = await alternating(
        () => importLog(log, `${out}.lbt`, { format, threads: 1 }),
        () => importLog(log, `${out}-parallel.lbt`, { format, threads: PARALLEL_THREADS }),
      );
      const chosen = defaultImportThreads(statSync(log).size, false);
      // The issue's bar is for the import as lbsim runs it by default.
      const bar = format === 'csv' ? 500_000 : 1_000_000;
      const byDefault = rows / (chosen > 1 ? parallel.wall : serial.wall);
      ok &&= byDefault >= bar;
      const rates = (t: { wall: number; cpu: number }) => `${M(rows / t.wall)} (${M(rows / t.cpu)})`.padStart(25);
      console.log(
        `${format.padEnd(8)} | ${M(rows).padStart(6)} | ${mb.toFixed(0).padStart(5)} | ${M(rows / raw).padStart(10)} | ${rates(serial)} | ${rates(parallel).padStart(27)} | ${(raw / serial.wall).toFixed(2).padStart(10)} | ${(serial.wall / parallel.wall).toFixed(2).padStart(15)} | ${(chosen > 1 ? `${chosen} thr.` : 'serial').padStart(8)} | ${M(bar).padStart(6)} | ${byDefault >= bar ? 'met' : 'MISSED'}`,
      );
      if (format === 'csv' && rows === ROWS) {
        const fc = await time(() => fastCsvAlone(log), 1);
        console.log(`  fast-csv alone on the same file: ${M(rows / fc)} rows/s (lbsim serial import is ${(fc / serial.wall).toFixed(2)}x it)`);
      }
    }
  }
  console.log(`load average at end: ${load()}`);
  return ok;
}

/** A trace source whose fill() time is summed: the replay's feed into the engine, measured inside a real run. */
class TimedSource implements TrafficSource {
  ms = 0;
  constructor(private readonly inner: TrafficSource) {}
  get endTime(): number {
    return this.inner.endTime;
  }
  fill(chunk: RequestChunk): void {
    const t0 = performance.now();
    this.inner.fill(chunk);
    this.ms += performance.now() - t0;
  }
  close(): void {
    this.inner.close?.();
  }
}

async function replayBench(rows: number): Promise<boolean> {
  const trace = `${DIR}/bench-${rows === ROWS ? '' : `${rows}-`}nginx.lbt`;
  if (!existsSync(trace)) await importBench(['nginx'], [rows]);
  const chunk = new RequestChunk(16_384);
  const readAll = () => {
    const r = new TraceReader(trace);
    let n = 0;
    for (;;) {
      r.fill(chunk);
      if (chunk.count === 0) break;
      n += chunk.count;
    }
    r.close();
    return n;
  };
  const n = readAll();
  const reader = await time(readAll);
  // ρ ≈ 0.6: 4000/s × mean work e^(1.5 + 0.8²/2) ≈ 6.2 ms over 40 single-slot backends.
  const backends = 'backends: [{ name: web, count: 40 }]\n';
  const replay = parseScenario(`name: replay\ntraffic: { trace: ${trace} }\nbalancer: { algorithm: round-robin }\n${backends}`);
  const synthetic = parseScenario(`name: synthetic\nduration: ${Math.round(replay.durationMs)}ms\ntraffic: { synthetic: { rate: ${RATE}/s, service: { distribution: lognormal, mean: 6.2ms, cv: 0.95 } } }\nbalancer: { algorithm: round-robin }\n${backends}`);
  const rr = await loadBalancerModule('round-robin', process.cwd());
  let feedMs = 0;
  const replayOnce = () => {
    const source = new TimedSource(createTraffic(replay, replay.seed));
    const sim = createSimulation(replay, rr, replay.seed, { startMs: 0, endMs: Number.POSITIVE_INFINITY, firstRequest: 0, traffic: source, trafficEndMs: source.endTime });
    sim.run();
    const total = sim.recorder.totals.total;
    sim.recorder.totals.destroy();
    feedMs = source.ms;
    return total;
  };
  // One run of each first, not timed: the JIT's warm-up is a fixed cost that a 20 M-request replay pays once.
  replayOnce();
  simulateSync(synthetic, rr);
  const [eng, syn] = await alternating(async () => replayOnce(), async () => simulateSync(synthetic, rr));
  const feedPerS = n / (feedMs / 1000);
  console.log(`\nreplay of ${M(n)} requests from .lbt (after one untimed warm-up run; median of 3, wall (per CPU s)):`);
  console.log(`  reader alone:                 ${M(n / reader)} requests/s`);
  console.log(`  feed into the engine:         ${M(feedPerS)} requests/s (time inside the trace source's fill() during a replay)`);
  console.log(`  whole replay (feed + engine): ${M(n / eng.wall)} (${M(n / eng.cpu)}) requests/s (round-robin, 40 backends, every metric of the report)`);
  console.log(`  synthetic + engine (baseline, same model): ${M(n / syn.wall)} (${M(n / syn.cpu)}) requests/s; replay runs at ${(syn.wall / eng.wall).toFixed(2)}x the synthetic speed`);
  const bar = 5_000_000;
  console.log(`  bar ≥ ${M(bar)} requests/s fed into the engine: ${feedPerS >= bar ? 'met' : 'MISSED'}; the whole replay is ${n / eng.wall >= bar ? 'above' : 'below'} it (the engine's own bar, issue 2, is 3 M/s)`);
  return feedPerS >= bar;
}

/** Child process: import or replay one file, print peak RSS. */
async function memoryChild(mode: string, file: string): Promise<void> {
  if (mode === 'import') await importLog(file, `${file}.lbt`, { format: 'nginx' });
  else {
    const s = parseScenario(`name: m\ntraffic: { trace: ${file}.lbt }\nbalancer: { algorithm: round-robin }\nbackends: [{ name: web, count: 40 }]\n`);
    simulateSync(s, await loadBalancerModule('round-robin', process.cwd()));
  }
  process.stdout.write(`${process.resourceUsage().maxRSS}\n`);
}

async function memoryBench(rows: number): Promise<boolean> {
  mkdirSync(DIR, { recursive: true });
  const log = `${DIR}/memory-${rows}.nginx`;
  if (!existsSync(log)) await writeLog(log, 'nginx', rows);
  const self = fileURLToPath(import.meta.url);
  let ok = true;
  console.log(`\nmemory: ${M(rows)}-row nginx log (${(statSync(log).size / 1e9).toFixed(2)} GB)`);
  for (const mode of ['import', 'replay']) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--memory-child', mode, log], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const mb = Number(r.stdout.trim()) / 1024;
    ok &&= mb < 400;
    console.log(`  ${mode === 'import' ? `import (${defaultImportThreads(statSync(log).size, false)} thread(s), the default)` : mode}: peak RSS ${mb.toFixed(0)} MB, ${((performance.now() - t0) / 1000).toFixed(1)} s wall (bar < 400 MB: ${mb < 400 ? 'met' : 'MISSED'})`);
  }
  return ok;
}

const argv = process.argv.slice(2);
if (argv[0] === '--memory-child') await memoryChild(argv[1]!, argv[2]!);
else {
  const memRows = argv.includes('--memory') ? Number(argv[argv.indexOf('--memory') + 1] ?? 20_000_000) : 0;
  const onlyMemory = argv.includes('--only-memory');
  const sizes = argv.includes('--rows') ? (argv[argv.indexOf('--rows') + 1] ?? '').split(',').map(Number).filter((n) => n > 0) : [ROWS];
  const formats = argv.includes('--formats') ? (argv[argv.indexOf('--formats') + 1] ?? '').split(',').filter((f): f is LogFormat => (FORMATS as string[]).includes(f)) : FORMATS;
  let ok = true;
  if (!onlyMemory) {
    if (!argv.includes('--only-replay')) ok = (await importBench(formats, sizes)) && ok;
    ok = (await replayBench(argv.includes('--replay-rows') ? Number(argv[argv.indexOf('--replay-rows') + 1]) : 5_000_000)) && ok;
  }
  if (memRows > 0) ok = (await memoryBench(memRows)) && ok;
  console.log(ok ? '\nall bars met' : '\nsome bars missed (see above)');
  process.exitCode = ok ? 0 : 1;
}
