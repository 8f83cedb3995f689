import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario } from '../../src/scenario/load.ts';
import { TraceWriter } from '../../src/traffic/lbt/writer.ts';
import { importCachePath, prepareTrace, withReplayOverrides } from '../../src/traffic/prepare.ts';

const dir = mkdtempSync(join(tmpdir(), 'lbsim-prepare-'));
const ORIGIN = Date.UTC(2024, 3, 8);
{
  // One request a second for two hours, origin Monday 2024-04-08 00:00 UTC.
  const w = new TraceWriter(join(dir, 't.lbt'), { originEpochMs: ORIGIN, chunkCapacity: 1000 });
  for (let i = 0; i < 7200; i++) w.push(i * 1000, 1, i, 0, 0);
  w.finish();
  const n = new TraceWriter(join(dir, 'no-origin.lbt'));
  n.push(0, 1, 0, 0, 0);
  n.finish();
}
const scn = (traffic: string, extra = '') => parseScenario(`name: p\n${extra}traffic: ${traffic}\nbalancer: { algorithm: round-robin }\nbackends: [{ name: a }]\n`, { baseDir: dir });

describe('trace replay settings', () => {
  it('duration from the trace, from the window, from the scenario, and sped up', () => {
    expect(scn('{ trace: t.lbt }').durationMs).toBeCloseTo(7_199_000, 0);
    expect(scn('{ trace: t.lbt, window: { from: 1h, to: 90m } }').durationMs).toBe(1_800_000);
    expect(scn('{ trace: t.lbt, window: { from: 1h } }', 'duration: 10m\n').durationMs).toBe(600_000);
    expect(scn('{ trace: t.lbt, window: { from: 1h, to: 70m } }', 'duration: 1h\n').durationMs).toBe(600_000);
    expect(scn('{ trace: t.lbt, speed: 4 }').durationMs).toBeCloseTo(7_199_000 / 4, 0);
  });

  it('ISO date-time windows are resolved against the trace origin, and set the display start', () => {
    const s = scn('{ trace: t.lbt, window: { from: 2024-04-08T01:00:00Z, to: 2024-04-08T01:30:00Z } }');
    expect(s.durationMs).toBe(1_800_000);
    expect(s.startEpochMs).toBe(ORIGIN + 3_600_000);
    if (s.traffic.kind !== 'trace') throw new Error('expected a trace');
    expect([s.traffic.from, s.traffic.to]).toEqual([3_600_000, 5_400_000]);
  });

  it('errors: empty window, date window on a trace without origin, unknown field, transforms on synthetic traffic', () => {
    expect(() => scn('{ trace: t.lbt, window: { from: 3h } }')).toThrow(/replay window is empty/);
    expect(() => scn('{ trace: no-origin.lbt, window: { from: 2024-04-08T01:00:00Z } }')).toThrow(/no wall-clock origin/);
    expect(() => scn('{ trace: t.lbt, sped: 2 }')).toThrow(/<scenario>:2: traffic\.sped: unknown field/);
    expect(() => scn('{ trace: t.lbt, scale: 0 }')).toThrow(/traffic\.scale: expected a request multiplier above 0/);
    expect(() => scn('{ trace: t.lbt, window: { from: yesterday } }')).toThrow(/traffic\.window\.from: expected an offset into the trace/);
    expect(() => scn('{ synthetic: { rate: 1, service: { distribution: constant, mean: 1ms } }, trace: t.lbt }', 'duration: 1s\n')).toThrow(/exactly one of/);
  });

  it('a window moved on the command line moves the clock (the display start) with it; a scenario start of its own stays', () => {
    const moved = withReplayOverrides(scn('{ trace: t.lbt }'), { from: { kind: 'offset', ms: 1_800_000 }, to: { kind: 'offset', ms: 2_400_000 } });
    expect(moved.startEpochMs).toBe(ORIGIN + 1_800_000);
    const again = withReplayOverrides(scn('{ trace: t.lbt, window: { from: 10m } }'), { from: { kind: 'offset', ms: 1_800_000 } });
    expect(again.startEpochMs).toBe(ORIGIN + 1_800_000);
    const own = withReplayOverrides(scn('{ trace: t.lbt }', 'start: 2030-01-01T00:00:00Z\n'), { from: { kind: 'offset', ms: 1_800_000 } });
    expect(own.startEpochMs).toBe(Date.UTC(2030, 0, 1));
  });

  it('command-line overrides re-resolve the window and duration; they refuse synthetic traffic', async () => {
    const s = withReplayOverrides(scn('{ trace: t.lbt }'), { from: { kind: 'offset', ms: 600_000 }, speed: 2 });
    expect(s.durationMs).toBeCloseTo((7_199_000 - 600_000) / 2, 0);
    writeFileSync(join(dir, 'syn.yaml'), 'duration: 1s\ntraffic: { synthetic: { rate: 1, service: { distribution: constant, mean: 1ms } } }\nbalancer: { algorithm: round-robin }\nbackends: [{ name: a }]\n');
    const syn = await loadScenario(join(dir, 'syn.yaml'));
    expect(() => withReplayOverrides(syn, { scale: 2 })).toThrow(/apply to trace replay/);
  });
});

describe('the cache of imported logs', () => {
  it('keeps one import per log and options: a new version of the log removes the imports of earlier ones once they are an hour old', async () => {
    const cache = join(tmpdir(), 'lbsim-imports');
    const spec = (file: string, onError = 'abort') => ({ kind: 'trace', source: file, format: 'csv', file: undefined, import: { onError } }) as unknown as Parameters<typeof prepareTrace>[0];
    const log = join(dir, 'daily.csv');
    writeFileSync(log, 'timestamp,duration_ms,client_ip\n1713175200,5,10.1.1.1\n');
    const notes: string[] = [];
    const onNote = (m: string) => void notes.push(m);
    const grow = (row: string, secondsLater: number) => {
      appendFileSync(log, row);
      utimesSync(log, new Date(), new Date(Date.now() + secondsLater * 1000));
    };
    const first = (await prepareTrace(spec(log), { onNote })).spec.file!;
    // The same log with other import options: its own entry, never removed for the other's sake.
    const skipping = (await prepareTrace(spec(log, 'skip'), { onNote })).spec.file!;
    // Cached imports are named <log and options>-<version>.lbt.
    const mine = () => readdirSync(cache).filter((f) => f.startsWith(basename(first).split('-')[0]!));
    expect(mine()).toEqual([basename(first)]);

    // The log grows while a command still has the first import to replay (a live log in a
    // compare of two scenarios): the first import is minutes old, and kept.
    grow('1713175201,6,10.1.1.3\n', 5);
    const second = (await prepareTrace(spec(log), { onNote })).spec.file!;
    expect(second).not.toBe(first);
    expect(mine().sort()).toEqual([basename(first), basename(second)].sort());
    expect(notes.at(-1)).toMatch(/^imported 2 requests from .*daily\.csv$/);

    // A day later: the imports of earlier versions (made over an hour ago) go.
    const dayAgo = new Date(Date.now() - 86_400_000);
    utimesSync(first, dayAgo, dayAgo);
    utimesSync(second, dayAgo, dayAgo);
    grow('1713175202,7,10.1.1.4\n', 10);
    const third = (await prepareTrace(spec(log), { onNote })).spec.file!;
    expect(mine()).toEqual([basename(third)]);
    expect(notes.at(-1)).toMatch(/^imported 3 requests from .*daily\.csv; removed 2 cached imports of its earlier versions$/);
    expect(readdirSync(cache)).toContain(basename(skipping));
    // Replayed again unchanged: the cached import, nothing removed.
    expect((await prepareTrace(spec(log), { onNote })).spec.file).toBe(third);
    expect(notes.at(-1)).toMatch(/^replaying .*daily\.csv from its cached import/);
  });
});

describe('a trace named without .lbt', () => {
  it('is told by its first bytes; a file that is no trace still needs a format, a folder is named as unreadable', () => {
    copyFileSync(join(dir, 't.lbt'), join(dir, 'week'));
    expect(scn('{ trace: week }').durationMs).toBeCloseTo(7_199_000, 0);
    writeFileSync(join(dir, 'notes'), 'not a trace\n');
    expect(() => scn('{ trace: notes }')).toThrow(/cannot tell the format of '.*notes' from its name/);
    expect(() => scn('{ trace: missing }')).toThrow(/cannot tell the format of '.*missing' from its name/);
    mkdirSync(join(dir, 'folder'), { recursive: true });
    expect(() => scn('{ trace: folder }')).toThrow(/folder: cannot read: .*EISDIR/);
  });
});
