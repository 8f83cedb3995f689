/** The live view, fed Progress objects from a real run, and the reusable progress bar. */
import { describe, expect, it } from 'vitest';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { type Progress, runScenario } from '../../src/simulate.ts';
import { LiveView, SplitLiveView, type SplitLiveViewProps, type SplitProgress } from '../../src/ui/live-view.tsx';
import { etaMs, ProgressBar } from '../../src/ui/progress-bar.tsx';
import { frameOf, renderAt, widestLine } from './helpers.tsx';
import { OVERLOADED_YAML } from './reports.ts';

/** Every progress report of a real overloaded run (progress reported after every slice). */
async function progressOfRun(): Promise<Progress[]> {
  const seen: Progress[] = [];
  // Overloaded all along, so rejections keep counting up between progress reports.
  const yaml = OVERLOADED_YAML.replace('duration: 2m', 'duration: 10m').replace(/profile: .*\n/, 'rate: 1500/s\n');
  expect(yaml).toContain('rate: 1500/s');
  const scenario = parseScenario(yaml);
  expect(BUILTIN_BALANCERS.has(scenario.balancer.algorithm)).toBe(true);
  await runScenario(scenario, { onProgress: (p) => seen.push(p), progressIntervalMs: 0 });
  return seen;
}

const BACKENDS = [
  { name: 'api-a', concurrency: 2, queue: 50 },
  { name: 'api-b', concurrency: 4, queue: 200 },
  { name: 'api-c', concurrency: 4, queue: 200 },
];

function view(progress: Progress | null, columns: number, rows = 24) {
  return <LiveView scenario="incident-mini" algorithm="weighted-round-robin" backends={BACKENDS} progress={progress} columns={columns} rows={rows} />;
}

describe('live view', () => {
  it('advances with the run: progress, counters, speed and ETA', async () => {
    const seen = await progressOfRun();
    expect(seen.length).toBeGreaterThan(3);
    const early = seen[1]!;
    const late = seen[seen.length - 2]!;
    const r = renderAt(view(early, 80), 80);
    const first = frameOf(r);
    expect(first).toContain(`${((early.now / early.end) * 100).toFixed(1)}%`);
    expect(first).toMatch(/M events\/s · \d+× real time/);
    expect(first).toMatch(/ETA \d/);
    r.rerender(view(late, 80));
    const second = frameOf(r);
    expect(second).toContain(`arrived ${late.arrived.toLocaleString('en-US')}`);
    expect(second).toContain(`rejected ${late.rejected.toLocaleString('en-US')}`);
    expect(late.rejected).toBeGreaterThan(early.rejected);
    expect(second).not.toEqual(first);
  });

  it('per backend: slots in service of its concurrency and the queue against its limit', () => {
    const p: Progress = { now: 1000, end: 4000, events: 5000, arrived: 2000, rejected: 17, timedOut: 3, inFlight: [52, 1, 0], queued: [50, 0, 0], wallMs: 10 };
    const frame = frameOf(renderAt(view(p, 80), 80));
    const a = frame.split('\n').find((l) => l.startsWith('api-a'))!;
    expect(a).toContain('2/2');
    expect(a).toContain('50/50');
    const b = frame.split('\n').find((l) => l.startsWith('api-b'))!;
    expect(b).toContain('1/4');
    expect(b).toContain('0/200');
    expect(frame).toContain('25.0%');
    expect(frame).toContain('rejected 17');
    expect(frame).toContain('timed out 3');
    // 1000 simulated ms in 10 wall ms: 100× real time; 3000 ms left at that pace: 30 ms.
    expect(frame).toContain('100× real time');
    expect(frame).toContain('ETA 30.0ms');
    expect(frame).toContain('0.50 M events/s');
  });

  it('after the traffic ends it says the queues are draining, and never overflows 80 or 160 columns', () => {
    const p: Progress = { now: 4200, end: 4000, events: 5000, arrived: 2000, rejected: 0, timedOut: 0, inFlight: [3, 0, 0], queued: [1, 0, 0], wallMs: 10 };
    for (const columns of [80, 160]) {
      const frame = frameOf(renderAt(view(p, columns), columns));
      expect(frame).toContain('draining queues');
      expect(frame).toContain('100.0%');
      expect(widestLine(frame)).toBeLessThanOrEqual(columns);
    }
  });

  it('shows the busiest backends when they do not all fit', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `web-${i + 1}`, concurrency: 1, queue: Number.POSITIVE_INFINITY }));
    const inFlight = many.map((_, i) => (i === 33 ? 9 : 0));
    const p: Progress = { now: 10, end: 100, events: 1, arrived: 1, rejected: 0, timedOut: 0, inFlight, queued: inFlight.map((x) => Math.max(0, x - 1)), wallMs: 1 };
    const frame = frameOf(renderAt(<LiveView scenario="s" algorithm="a" backends={many} progress={p} columns={80} rows={24} />, 80));
    expect(frame.split('\n').length).toBeLessThanOrEqual(24);
    expect(frame.split('\n')[5]).toMatch(/^web-34 /);
    expect(frame).toContain('busiest 16 of 40 backends');
  });

  it('before the first progress report it says it is starting', () => {
    expect(frameOf(renderAt(view(null, 80), 80))).toContain('starting');
  });
});

describe('live view of a split run (--threads N)', () => {
  const split = (progress: SplitProgress | null, columns = 80, where: Partial<SplitLiveViewProps> = {}) => (
    <SplitLiveView scenario="week" algorithm="round-robin" backends={3} threads={2} windows={undefined} notSplit={undefined} progress={progress} columns={columns} {...where} />
  );

  it('progress over simulated time, events/s, speed, ETA and where it runs; says why there are no backend rows', () => {
    // 15 of 60 simulated minutes in 2 wall s: 450× real time, 45 min left at that pace: 6 s.
    const p: SplitProgress = { covered: 15 * 60_000, end: 60 * 60_000, events: 4_000_000, wallMs: 2000 };
    const frame = frameOf(renderAt(split(p), 80));
    expect(frame).toContain('lbsim run week · round-robin · 3 backends');
    expect(frame).toContain('25.0%');
    expect(frame).toContain('sim 15m00s of 1h00m');
    expect(frame).toContain('ETA 6.00s');
    expect(frame).toContain('2.00 M events/s · 450× real time · wall 2.00s');
    expect(frame).toContain('split over 2 threads · windows cut as the run goes');
    expect(frame).toMatch(/no live per-backend counts while split/);
    // No single-thread backend rows, and so no zeros standing in for them.
    expect(frame).not.toMatch(/in service|queued|arrived/);
    expect(frame).toContain('Ctrl-C cancels');
    for (const columns of [80, 160]) expect(widestLine(frameOf(renderAt(split(p, columns), columns)))).toBeLessThanOrEqual(columns);
  });

  it('names planned windows, a cluster, and a run not split in time', () => {
    expect(frameOf(renderAt(split(null, 80, { windows: 4 }), 80))).toContain('split over 2 threads · 4 windows');
    expect(frameOf(renderAt(split(null, 80, { threads: undefined }), 80))).toContain('split over the cluster · a window per worker thread');
    expect(frameOf(renderAt(split(null, 80, { notSplit: 'replay scale/sample …' }), 80))).toContain('on 1 thread: not split in time (replay scale/sample …)');
    // Learnt once the run started (a user's balancer without saveState): the progress carries it.
    const late = frameOf(renderAt(split({ covered: 1000, end: 600_000, events: 1e5, wallMs: 100, notSplit: 'balancer my.js has no saveState' }, 80), 80));
    expect(late).toContain('on 1 thread: not split in time (balancer my.js has no saveState)');
    expect(late).not.toContain('split over 2 threads');
  });

  it('starts with no figures, and once every window is simulated says it is merging, without an ETA', () => {
    expect(frameOf(renderAt(split(null), 80))).toContain('starting');
    const done = frameOf(renderAt(split({ covered: 600_000, end: 600_000, events: 9e6, wallMs: 3000 }), 80));
    expect(done).toContain('100.0%');
    expect(done).toContain('windows simulated: checking their starts, merging');
    expect(done).not.toContain('ETA');
  });
});

describe('progress bar (reusable, e.g. for imports)', () => {
  it('fills in proportion and prints the detail and ETA', () => {
    const frame = frameOf(renderAt(<ProgressBar fraction={0.5} width={60} label="importing" detail="41 MB/s" etaMs={etaMs(50, 100, 2000)} />, 80));
    expect(frame).toContain('importing');
    expect(frame).toContain('50.0%');
    expect(frame).toContain('41 MB/s');
    expect(frame).toContain('ETA 2.00s');
    const bar = frame.slice(frame.indexOf('▕') + 1, frame.indexOf('▏'));
    const filled = [...bar].filter((c) => c === '█').length;
    expect(Math.abs(filled - bar.length / 2)).toBeLessThanOrEqual(1);
  });

  it('etaMs: unknown before any progress, zero when done', () => {
    expect(etaMs(0, 100, 1000)).toBeNaN();
    expect(etaMs(100, 100, 1000)).toBe(0);
    expect(etaMs(25, 100, 1000)).toBe(3000);
  });
});
