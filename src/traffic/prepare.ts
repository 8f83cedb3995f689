/**
 * Turns a scenario's `traffic: { trace: ... }` into something the engine can replay
 * synchronously: a raw log is imported once into a .lbt trace (cached by the log's
 * path, size, modification time and import options), the window is resolved against the
 * trace's header, and the run's duration follows from the window and speed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve as resolvePath } from 'node:path';
import { LbsimError } from '../errors.ts';
import { readTraceHeaderFile, startsAsTrace } from './lbt/reader.ts';
import { FORMAT_VERSION } from './lbt/format.ts';
import { formatFromName, importLog, type ImportSummary } from './readers/import.ts';
import { CLIENT_KEYS_VERSION } from './readers/keys.ts';
import type { CsvField, LogFormat } from './readers/types.ts';
import type { TimeBound } from './trace-schema.ts';
import { formatCount } from '../scenario/units.ts';

export interface TraceTrafficSpec {
  kind: 'trace';
  /** Absolute path of the file the scenario names (a .lbt trace or a raw log). */
  source: string;
  /** Format of `source`. */
  format: 'lbt' | LogFormat;
  /** Absolute path of the .lbt replayed: `source` itself, or its import (set by prepareTrace). */
  file: string | undefined;
  import: { onError: 'abort' | 'skip'; reorderWindowMs?: number; work?: string; durationUnit?: 'ms' | 's'; columns?: Partial<Record<CsvField, string>> };
  window: { from?: TimeBound; to?: TimeBound };
  speed: number;
  scale: number;
  sample: number;
  /** The scenario's own duration, if it gave one: it cuts the replay to that much simulated time. */
  durationLimitMs?: number;
  /** Resolved window, trace ms (set by resolveTrace). */
  from: number;
  to: number;
  /** Wall-clock epoch ms of replay time 0, when the trace knows its origin. */
  startEpochMs?: number;
  /** Malformed rows skipped when the trace was imported. */
  skippedRows: number;
  /** Whether the trace keeps the whole request target's key (format version 2; set by resolveTrace): see TraceWindow.routeKey. */
  uriKeys?: boolean;
}

/** How a scenario names a trace's format: its `format:` key, beside `trace:`. */
const SCENARIO_FORMAT_HINT = 'add format: nginx|haproxy|alb|envoy|csv|jsonl (or lbt)';

/**
 * The format of a trace file: given, `.lbt`, or from the log's name. `formatHint` says how
 * the caller's user names a format (a scenario key by default; a command with no such key,
 * `diff --traffic`, points at `lbsim import --format`).
 */
export function traceFormat(file: string, given: 'lbt' | LogFormat | undefined, where: string, formatHint = SCENARIO_FORMAT_HINT): 'lbt' | LogFormat {
  if (given !== undefined) return given;
  if (extname(file).toLowerCase() === '.lbt') return 'lbt';
  const f = formatFromName(file);
  if (f !== undefined) return f;
  // `lbsim import -o week` writes a trace under any name: its first bytes tell.
  if (startsAsTrace(file)) return 'lbt';
  throw new LbsimError('SCENARIO_INVALID', `${where}: cannot tell the format of '${file}' from its name; ${formatHint}`);
}

function boundMs(b: TimeBound | undefined, originEpochMs: number, file: string): number | undefined {
  if (b === undefined) return undefined;
  if (b.kind === 'offset') return b.ms;
  if (originEpochMs === 0) throw new LbsimError('SCENARIO_INVALID', `${file}: this trace has no wall-clock origin; give the window as offsets (e.g. from: 2h)`);
  return b.ms - originEpochMs;
}

/** Resolves the window against the trace header and returns the run's duration (ms of replay time). */
export function resolveTrace(spec: TraceTrafficSpec): { spec: TraceTrafficSpec; durationMs: number } {
  const file = spec.file;
  if (file === undefined) throw new Error('resolveTrace before the log was imported');
  const h = readTraceHeaderFile(file);
  const from = boundMs(spec.window.from, h.originEpochMs, file) ?? 0;
  const givenTo = boundMs(spec.window.to, h.originEpochMs, file);
  // A scenario duration sets the run's length (cut to the window's end if that comes first); else the trace's end does.
  let to = givenTo ?? (h.count > 0 ? h.lastArrival + 1e-6 : 0);
  if (spec.durationLimitMs !== undefined) to = Math.min(givenTo ?? Number.POSITIVE_INFINITY, from + spec.durationLimitMs * spec.speed);
  if (!(to > from)) throw new LbsimError('SCENARIO_INVALID', `${file}: the replay window is empty (from ${from} ms to ${to} ms of a trace spanning ${h.firstArrival.toFixed(0)}..${h.lastArrival.toFixed(0)} ms)`);
  const resolved: TraceTrafficSpec = { ...spec, from, to, skippedRows: h.skippedRows, uriKeys: h.uriKeys, ...(h.originEpochMs === 0 ? {} : { startEpochMs: h.originEpochMs + from }) };
  return { spec: resolved, durationMs: (to - from) / spec.speed };
}

export interface PrepareOptions {
  /** Told when a log is imported (or a cached import reused). @default silent */
  onNote?: (message: string) => void;
  /** How a user skips a raw log's malformed rows, added to a row's error. @default the scenario's key, traffic.onError */
  skipHint?: string;
  signal?: AbortSignal;
}

/**
 * Where the import of a raw log is cached: `<log>-<version>.lbt` in tmpdir/lbsim-imports,
 * `<log>` a hash of the log's path, format and import options, `<version>` one of its
 * size and mtime and of what an import makes of a row (the .lbt format and the client-key
 * mapping: an import cached by an older lbsim holds other keys and must not be replayed).
 */
export function importCachePath(spec: TraceTrafficSpec): string {
  const st = statSync(spec.source);
  const hash = (x: unknown, length: number) => createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, length);
  const log = hash([spec.source, spec.format, spec.import], 12);
  const version = hash([st.size, st.mtimeMs, FORMAT_VERSION, CLIENT_KEYS_VERSION], 24);
  const dir = join(tmpdir(), 'lbsim-imports');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${log}-${version}.lbt`);
}

/**
 * A cached import of an earlier version of a log is removed once it is this old (since
 * its import): a live log replayed twice in one command (compare A.yaml B.yaml, both on
 * access.log while nginx appends to it) is imported twice seconds apart, and the first
 * import is still to be replayed when the second is written.
 */
const STALE_AFTER_MS = 3_600_000;

/**
 * Removes the cached imports of earlier versions of the log `cached` was imported from,
 * with the same options (the log grew or was rotated into place, or an older lbsim
 * imported it), imported over STALE_AFTER_MS ago: they are never replayed again, and each
 * is as big as its log's trace (~25 bytes a request), so a log replayed day after day
 * would otherwise leave one per day in the temp folder. Returns how many it removed. A
 * process replaying one of them keeps reading it (its open file outlives the name, on
 * Linux and macOS).
 */
function removeStaleImports(cached: string): number {
  const dir = dirname(cached);
  const name = basename(cached);
  const prefix = name.slice(0, name.indexOf('-') + 1);
  const before = Date.now() - STALE_AFTER_MS;
  let removed = 0;
  for (const f of readdirSync(dir)) {
    if (f === name || !f.startsWith(prefix) || !f.endsWith('.lbt')) continue;
    const path = join(dir, f);
    try {
      if (statSync(path).mtimeMs > before) continue;
      unlinkSync(path);
      removed++;
    } catch (e) {
      // Another lbsim removed it first: the same outcome.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return removed;
}

/** Imports a raw log (once; later runs reuse the cached trace) so the replay reads a .lbt. */
export async function prepareTrace(spec: TraceTrafficSpec, options: PrepareOptions = {}): Promise<{ spec: TraceTrafficSpec; summary?: ImportSummary }> {
  if (spec.format === 'lbt') return { spec: { ...spec, file: spec.source } };
  if (!existsSync(spec.source)) throw new LbsimError('FILE_NOT_FOUND', `${spec.source}: no such file`);
  const cached = importCachePath(spec);
  if (existsSync(cached)) {
    options.onNote?.(`replaying ${spec.source} from its cached import ${cached}`);
    return { spec: { ...spec, file: cached } };
  }
  const summary = await importLog(spec.source, cached, {
    format: spec.format,
    onError: spec.import.onError,
    skipHint: options.skipHint ?? "add onError: skip to the scenario's traffic to skip bad rows",
    ...(spec.import.reorderWindowMs === undefined ? {} : { reorderWindowMs: spec.import.reorderWindowMs }),
    ...(spec.import.work === undefined ? {} : { work: spec.import.work }),
    ...(spec.import.durationUnit === undefined ? {} : { durationUnit: spec.import.durationUnit }),
    ...(spec.import.columns === undefined ? {} : { columns: spec.import.columns }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const stale = removeStaleImports(cached);
  options.onNote?.(
    `imported ${formatCount(summary.requests)} requests from ${spec.source}${summary.skipped > 0 ? ` (${formatCount(summary.skipped)} malformed rows skipped)` : ''}${stale > 0 ? `; removed ${stale} cached import${stale === 1 ? '' : 's'} of its earlier versions` : ''}`,
  );
  return { spec: { ...spec, file: cached }, summary };
}

/** The trace fields of a parsed scenario's `traffic` (see trace-schema.ts). */
export interface TraceFieldsParsed {
  trace?: string | undefined;
  format?: 'lbt' | LogFormat | undefined;
  onError?: 'abort' | 'skip' | undefined;
  reorderWindow?: number | undefined;
  work?: string | undefined;
  durationUnit?: 'ms' | 's' | undefined;
  columns?: Partial<Record<CsvField, string>> | undefined;
  window?: { from?: TimeBound | undefined; to?: TimeBound | undefined } | undefined;
  speed?: number | undefined;
  scale?: number | undefined;
  sample?: number | undefined;
}

/** A scenario's trace spec, paths resolved against its folder; the window is resolved later against the trace. */
export function traceSpecOf(t: TraceFieldsParsed, durationMs: number | undefined, baseDir: string, where: string, formatHint?: string): TraceTrafficSpec {
  const source = resolvePath(baseDir, t.trace!);
  return {
    kind: 'trace',
    source,
    format: traceFormat(source, t.format, where, formatHint),
    file: undefined,
    import: {
      onError: t.onError ?? 'abort',
      ...(t.reorderWindow === undefined ? {} : { reorderWindowMs: t.reorderWindow }),
      ...(t.work === undefined ? {} : { work: t.work }),
      ...(t.durationUnit === undefined ? {} : { durationUnit: t.durationUnit }),
      ...(t.columns === undefined ? {} : { columns: t.columns }),
    },
    window: { ...(t.window?.from === undefined ? {} : { from: t.window.from }), ...(t.window?.to === undefined ? {} : { to: t.window.to }) },
    speed: t.speed ?? 1,
    scale: t.scale ?? 1,
    sample: t.sample ?? 1,
    ...(durationMs === undefined ? {} : { durationLimitMs: durationMs }),
    from: Number.NaN,
    to: Number.NaN,
    skippedRows: 0,
  };
}

interface ScenarioLike {
  traffic: { kind: string };
  durationMs: number;
  startEpochMs?: number;
}

/** With a .lbt trace (or an imported log), resolves the window and the duration synchronously; otherwise returns the scenario as is. */
export function resolveTraceScenario<S extends ScenarioLike>(scenario: S): S {
  const t = scenario.traffic as unknown as TraceTrafficSpec;
  if (t.kind !== 'trace') return scenario;
  const spec = t.file === undefined && t.format === 'lbt' ? { ...t, file: t.source } : t;
  if (spec.file === undefined) return scenario; // a raw log: prepareScenario imports it first
  const { spec: resolved, durationMs } = resolveTrace(spec);
  // The clock follows the window unless the scenario set its own `start`. A start equal to
  // the one an earlier resolution took from the trace is that one, not the user's: a window
  // moved by --from/--to moves the clock with it.
  const { startEpochMs: start, ...rest } = scenario;
  const ownStart = start !== undefined && start !== t.startEpochMs;
  const startEpochMs = ownStart ? start : resolved.startEpochMs;
  return { ...rest, traffic: resolved, durationMs, ...(startEpochMs === undefined ? {} : { startEpochMs }) } as unknown as S;
}

/** Imports a raw log named by the scenario (cached) and resolves the trace; a no-op for other traffic. */
export async function prepareScenario<S extends ScenarioLike>(scenario: S, options: PrepareOptions = {}): Promise<S> {
  const t = scenario.traffic as unknown as TraceTrafficSpec;
  if (t.kind !== 'trace' || t.file !== undefined) return scenario;
  const { spec } = await prepareTrace(t, options);
  return resolveTraceScenario({ ...scenario, traffic: spec });
}

/**
 * Replay options given on the command line override the scenario's. Returns the scenario
 * re-resolved (window, duration), or throws USAGE when the scenario's traffic is synthetic.
 */
export function withReplayOverrides<S extends ScenarioLike>(scenario: S, o: { from?: TimeBound; to?: TimeBound; speed?: number; scale?: number; sample?: number }): S {
  if (o.from === undefined && o.to === undefined && o.speed === undefined && o.scale === undefined && o.sample === undefined) return scenario;
  const t = scenario.traffic as unknown as TraceTrafficSpec;
  if (t.kind !== 'trace') throw new LbsimError('USAGE', '--from, --to, --speed, --scale and --sample apply to trace replay (traffic: { trace: FILE }); this scenario has synthetic traffic');
  const spec: TraceTrafficSpec = {
    ...t,
    window: { ...t.window, ...(o.from === undefined ? {} : { from: o.from }), ...(o.to === undefined ? {} : { to: o.to }) },
    ...(o.speed === undefined ? {} : { speed: o.speed }),
    ...(o.scale === undefined ? {} : { scale: o.scale }),
    ...(o.sample === undefined ? {} : { sample: o.sample }),
  };
  return resolveTraceScenario({ ...scenario, traffic: spec });
}

/**
 * The scenario with its traffic replaced by a recorded trace (a .lbt or a raw log, imported
 * and cached), replayed whole: for commands such as `diff --traffic week.lbt`. `file` is
 * resolved against the current directory, as command-line paths are.
 */
export async function withTraceTraffic<S extends ScenarioLike>(scenario: S, file: string, options: PrepareOptions & { format?: 'lbt' | LogFormat } = {}): Promise<S> {
  const spec = traceSpecOf({ trace: file, ...(options.format === undefined ? {} : { format: options.format }) }, undefined, process.cwd(), file);
  const { startEpochMs: _dropped, ...rest } = scenario;
  void _dropped;
  return prepareScenario({ ...rest, traffic: spec, durationMs: Number.NaN } as unknown as S, options);
}
