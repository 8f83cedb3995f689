import { appendFileSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
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
  it('keeps one import per log: a new version of the log replaces the cached import of the old one, other logs keep theirs', async () => {
    const cache = join(tmpdir(), 'lbsim-imports');
    const spec = (file: string) => ({ kind: 'trace', source: file, format: 'csv', file: undefined, import: { onError: 'abort' } }) as unknown as Parameters<typeof prepareTrace>[0];
    const log = join(dir, 'daily.csv');
    const other = join(dir, 'other.csv');
    writeFileSync(log, 'timestamp,duration_ms,client_ip\n1713175200,5,10.1.1.1\n');
    writeFileSync(other, 'timestamp,duration_ms,client_ip\n1713175200,7,10.1.1.2\n');
    const notes: string[] = [];
    const onNote = (m: string) => void notes.push(m);
    const first = (await prepareTrace(spec(log), { onNote })).spec.file!;
    const kept = (await prepareTrace(spec(other), { onNote })).spec.file!;
    // Cached imports are named <log>-<version>.lbt.
    const logPart = `${basename(importCachePath(spec(log))).split('-')[0]}-`;
    const mine = () => readdirSync(cache).filter((f) => f.startsWith(logPart));
    expect(mine()).toHaveLength(1);
    // The log grows (a day later): a new import, and the old one is gone.
    appendFileSync(log, '1713175201,6,10.1.1.3\n');
    utimesSync(log, new Date(), new Date(Date.now() + 5000));
    const second = (await prepareTrace(spec(log), { onNote })).spec.file!;
    expect(second).not.toBe(first);
    expect(mine()).toEqual([basename(second)]);
    expect(readdirSync(cache)).toContain(basename(kept));
    expect(notes.at(-1)).toMatch(/^imported 2 requests from .*daily\.csv; removed 1 cached import of its earlier versions$/);
    // Replayed again unchanged: the cached import, nothing removed.
    expect((await prepareTrace(spec(log), { onNote })).spec.file).toBe(second);
    expect(notes.at(-1)).toMatch(/^replaying .*daily\.csv from its cached import/);
  });
});
