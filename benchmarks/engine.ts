/**
 * benchmarks/engine: how fast the simulation core is, against a floor measured in the
 * same process, and how much memory a long run takes.
 *
 * 1. Speed. The round-robin / exponential model of issue 2 — 16 single-slot FCFS
 *    backends, Poisson arrivals, exponential service, ρ = 0.9, ≥ 5 M requests — run
 *    twice over:
 *    - "full": the real thing, `simulateSync` (synthetic traffic source, the Simulation
 *      with its event heap and balancer interface, HDR histograms, 1 s time series,
 *      and the report built at the end);
 *    - "bare": a hand-written minimal loop of the same model below (one pending arrival,
 *      a typed-array binary heap of completions, per-server FCFS rings, a latency sum),
 *      drawing its numbers from the same counter-based generator, so the ratio is the
 *      price of everything lbsim adds, not of the random numbers.
 *    Runs alternate (bare, full, bare, full, ...) and the median of 3 of each is kept.
 *    Bar: full ≥ 3 M requests/s and bare / full ≤ 2.
 * 2. Memory. A child process simulates 50 M synthetic requests of the same model through
 *    the real CLI path (`runScenario`, text report) and prints its peak RSS
 *    (`process.resourceUsage().maxRSS`) on exit. Bar: < 300 MB.
 *
 *   npm run bench -- engine            # both
 *   npx tsx benchmarks/engine.ts speed # only the speed part
 *   npx tsx benchmarks/engine.ts rss   # only the memory part
 *
 * Exits 1 when a bar is missed.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BUILTIN_BALANCERS } from '../src/balancers/registry.ts';
import { Purpose, streamKey, uniform } from '../src/random/counter-rng.ts';
import { poissonVariate } from '../src/random/poisson.ts';
import { parseScenario } from '../src/scenario/load.ts';
import { runScenario, simulateSync } from '../src/simulate.ts';

const BACKENDS = 16;
const RHO = 0.9;
const SERVICE_MS = 1;
/** Total arrival rate, per second: ρ · backends / mean service. */
const RATE = (RHO * BACKENDS * 1000) / SERVICE_MS;
/** 360 s at 14 400/s ≈ 5.18 M requests. */
const SPEED_DURATION_S = 360;
/** 3 480 s at 14 400/s ≈ 50.1 M requests. */
const RSS_DURATION_S = 3480;
const RUNS = 3;
const BAR_REQUESTS_PER_S = 3e6;
const BAR_RATIO = 2;
const BAR_RSS_MB = 300;

function scenarioText(durationS: number): string {
  return JSON.stringify({
    name: 'bench-rr-exp',
    seed: 1,
    duration: `${durationS}s`,
    traffic: { synthetic: { rate: RATE, service: { distribution: 'exponential', mean: SERVICE_MS } } },
    balancer: { algorithm: 'round-robin' },
    backends: [{ name: 'web', count: BACKENDS }],
    report: { interval: '1s' },
  });
}

/** The full model: returns requests simulated and the mean latency (ms). */
function runFull(durationS: number): { requests: number; mean: number } {
  const scenario = parseScenario(scenarioText(durationS), { file: 'bench-rr-exp.json' });
  const report = simulateSync(scenario, BUILTIN_BALANCERS.get('round-robin')!);
  return { requests: report.requests.total, mean: report.latency.mean };
}

/**
 * The floor: the same model as a minimal loop. Arrivals are generated in 1 s blocks
 * exactly as the synthetic source does (same stream keys, same arithmetic), so both loops
 * simulate the same requests and their mean latencies agree.
 */
function runBare(durationS: number): { requests: number; mean: number } {
  const endMs = durationS * 1000;
  const ratePerMs = RATE / 1000;
  // Completion heap: at most one pending completion per server.
  const heapT = new Float64Array(BACKENDS);
  const heapS = new Int32Array(BACKENDS);
  let heapN = 0;
  // Per-server FCFS line: arrival time and work of each waiting request (power-of-two rings).
  let ringCap = 1024;
  let ringArrival = new Float64Array(BACKENDS * ringCap);
  let ringWork = new Float64Array(BACKENDS * ringCap);
  const head = new Int32Array(BACKENDS);
  const waiting = new Int32Array(BACKENDS);
  const busy = new Uint8Array(BACKENDS);
  const startedArrival = new Float64Array(BACKENDS);

  const push = (t: number, s: number) => {
    let i = heapN++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heapT[p]! <= t) break;
      heapT[i] = heapT[p]!;
      heapS[i] = heapS[p]!;
      i = p;
    }
    heapT[i] = t;
    heapS[i] = s;
  };
  const pop = () => {
    const n = --heapN;
    const t = heapT[n]!;
    const s = heapS[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && heapT[c + 1]! < heapT[c]!) c++;
      if (t <= heapT[c]!) break;
      heapT[i] = heapT[c]!;
      heapS[i] = heapS[c]!;
      i = c;
    }
    heapT[i] = t;
    heapS[i] = s;
  };
  const grow = () => {
    const cap = ringCap * 2;
    const a = new Float64Array(BACKENDS * cap);
    const w = new Float64Array(BACKENDS * cap);
    for (let s = 0; s < BACKENDS; s++) {
      for (let k = 0; k < waiting[s]!; k++) {
        const from = s * ringCap + ((head[s]! + k) & (ringCap - 1));
        a[s * cap + k] = ringArrival[from]!;
        w[s * cap + k] = ringWork[from]!;
      }
      head[s] = 0;
    }
    ringCap = cap;
    ringArrival = a;
    ringWork = w;
  };

  let requests = 0;
  let latencySum = 0;
  let rr = 0;
  // Arrivals as src/traffic/synthetic.ts draws them: each 1 s block's count first (a
  // Poisson draw), then that many arrivals from normalised exponential spacings; k is the
  // arrival's index in its block, the counter of its work draw.
  let block = -1;
  let count = 0;
  let k = 0;
  let times = new Float64Array(1024);
  let work = streamKey(1, Purpose.Work, 0);
  const f64 = new Float64Array(1);
  const i64 = new BigInt64Array(f64.buffer);
  const openNextBlock = (): boolean => {
    for (;;) {
      block++;
      const start = block * 1000;
      if (start >= endMs) return false;
      const end = Math.min(start + 1000, endMs);
      const c = streamKey(1, Purpose.ArrivalCount, block);
      count = poissonVariate(ratePerMs * (end - start), c.k1, c.k2);
      k = 0;
      if (count === 0) continue;
      if (times.length < count + 1) times = new Float64Array(2 * count);
      const gap = streamKey(1, Purpose.ArrivalGap, block);
      let sum = 0;
      for (let j = 0; j <= count; j++) {
        sum -= Math.log(uniform(gap.k1, gap.k2, j));
        times[j] = sum;
      }
      // The block's last instant: the largest double below its end.
      f64[0] = end;
      i64[0]! -= 1n;
      const last = f64[0]!;
      let prev = Math.min(start, last);
      for (let j = 0; j < count; j++) {
        const at = Math.max(prev, Math.min(last, start + (times[j]! / sum) * (end - start)));
        times[j] = at;
        prev = at;
      }
      work = streamKey(1, Purpose.Work, block);
      return true;
    }
  };
  const nextArrival = (): number => (k < count || openNextBlock() ? times[k]! : Number.POSITIVE_INFINITY);
  let arrival = nextArrival();
  for (;;) {
    if (heapN > 0 && heapT[0]! <= arrival) {
      const now = heapT[0]!;
      const s = heapS[0]!;
      pop();
      latencySum += now - startedArrival[s]!;
      if (waiting[s]! > 0) {
        const at = s * ringCap + head[s]!;
        startedArrival[s] = ringArrival[at]!;
        push(now + ringWork[at]!, s);
        head[s] = (head[s]! + 1) & (ringCap - 1);
        waiting[s]!--;
      } else {
        busy[s] = 0;
      }
    } else if (arrival !== Number.POSITIVE_INFINITY) {
      const w = -SERVICE_MS * Math.log(uniform(work.k1, work.k2, k));
      k++;
      requests++;
      const s = rr;
      rr = rr + 1 === BACKENDS ? 0 : rr + 1;
      if (busy[s] === 0) {
        busy[s] = 1;
        startedArrival[s] = arrival;
        push(arrival + w, s);
      } else {
        if (waiting[s] === ringCap) grow();
        const at = s * ringCap + ((head[s]! + waiting[s]!) & (ringCap - 1));
        ringArrival[at] = arrival;
        ringWork[at] = w;
        waiting[s]!++;
      }
      arrival = nextArrival();
    } else {
      break;
    }
  }
  return { requests, mean: latencySum / requests };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const fmtM = (x: number): string => `${(x / 1e6).toFixed(2)} M`;

/** Seconds of CPU this process spent (user + system) in `f`, and its wall seconds. */
function timed<T>(f: () => T): { result: T; cpuS: number; wallS: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = f();
  const c = process.cpuUsage(c0);
  return { result, cpuS: (c.user + c.system) / 1e6, wallS: (performance.now() - t0) / 1000 };
}

/**
 * Speeds are requests per second of *CPU time* of this process: on an idle machine the
 * same as wall time (one thread), and unlike wall time not diluted when other processes
 * share the cores. Wall-clock speeds are printed beside them.
 */
function speed(): boolean {
  const bare: number[] = [];
  const full: number[] = [];
  const bareWall: number[] = [];
  const fullWall: number[] = [];
  let checked = false;
  for (let i = 0; i < RUNS; i++) {
    const tb = timed(() => runBare(SPEED_DURATION_S));
    const b = tb.result;
    bare.push(b.requests / tb.cpuS);
    bareWall.push(b.requests / tb.wallS);
    const tf = timed(() => runFull(SPEED_DURATION_S));
    const f = tf.result;
    full.push(f.requests / tf.cpuS);
    fullWall.push(f.requests / tf.wallS);
    process.stdout.write(
      `  run ${i + 1}: bare ${fmtM(bare[i]!)} req/s, full ${fmtM(full[i]!)} req/s of CPU time ` +
        `(wall: ${fmtM(bareWall[i]!)}, ${fmtM(fullWall[i]!)}) (${fmtM(f.requests)} requests)\n`,
    );
    if (!checked) {
      // Both loops must simulate the same requests; the engine's mean is rounded to the µs.
      checked = true;
      if (b.requests !== f.requests || Math.abs(b.mean - f.mean) > 0.002) {
        process.stdout.write(`  MISMATCH: bare ${b.requests} requests mean ${b.mean.toFixed(4)} ms, full ${f.requests} mean ${f.mean} ms\n`);
        return false;
      }
      process.stdout.write(`  same model: ${f.requests} requests, mean latency ${f.mean} ms in both\n`);
    }
  }
  const fb = median(bare);
  const ff = median(full);
  const ratio = fb / ff;
  const ok = ff >= BAR_REQUESTS_PER_S && ratio <= BAR_RATIO;
  process.stdout.write(
    `engine speed (median of ${RUNS}, per CPU second): full ${fmtM(ff)} requests/s · bare loop ${fmtM(fb)} requests/s · bare/full ${ratio.toFixed(2)}× ` +
      `(bar: full ≥ ${fmtM(BAR_REQUESTS_PER_S)}/s and ≤ ${BAR_RATIO}×) ${ok ? 'PASS' : 'MISS'}\n` +
      `  wall clock (median): full ${fmtM(median(fullWall))}/s, bare ${fmtM(median(bareWall))}/s; load average ${loadavg()[0]!.toFixed(1)}\n`,
  );
  return ok;
}

function rss(): boolean {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'rss-child', String(RSS_DURATION_S)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const wall = (performance.now() - t0) / 1000;
  const m = /requests=(\d+) maxRssKb=(\d+)/.exec(r.stdout ?? '');
  if (r.status !== 0 || !m) {
    process.stdout.write(`  memory child failed (${r.status ?? r.signal}): ${r.stdout}\n`);
    return false;
  }
  const requests = Number(m[1]);
  const mb = Number(m[2]) / 1024;
  const ok = mb < BAR_RSS_MB;
  process.stdout.write(`engine memory: ${fmtM(requests)} requests in ${wall.toFixed(1)} s, peak RSS ${mb.toFixed(0)} MB (bar: < ${BAR_RSS_MB} MB) ${ok ? 'PASS' : 'MISS'}\n`);
  return ok;
}

/** Child: one long run through runScenario (as `lbsim run` does), then its peak RSS. */
async function rssChild(durationS: number): Promise<void> {
  const scenario = parseScenario(scenarioText(durationS), { file: 'bench-rr-exp.json' });
  const report = await runScenario(scenario);
  process.stdout.write(`requests=${report.requests.total} maxRssKb=${process.resourceUsage().maxRSS}\n`);
}

const mode = process.argv[2];
if (mode === 'rss-child') {
  await rssChild(Number(process.argv[3]));
} else {
  const ok = [mode === undefined || mode === 'speed' ? speed() : true, mode === undefined || mode === 'rss' ? rss() : true];
  process.exitCode = ok.every(Boolean) ? 0 : 1;
}
