import { Command, InvalidArgumentError, Option } from 'commander';
import { LbsimError } from '../../errors.ts';
import { basename } from 'node:path';
import { formatFromName, IMPORT_DEFAULTS, type ImportProgress, importLog } from '../../traffic/readers/import.ts';
import { parsePositiveInt, parseThreads } from '../options.ts';
import { CSV_FIELDS, LOG_FORMATS, type CsvField, type LogFormat } from '../../traffic/readers/types.ts';
import { formatCount, parseDuration } from '../../scenario/units.ts';
import type { CliContext } from '../context.ts';
import { inCi } from '../tui.ts';
import { isGzip } from '../../traffic/readers/lines.ts';
import { checkOutputNotInput } from '../output.ts';

function parseColumns(value: string): Partial<Record<CsvField, string>> {
  const out: Partial<Record<CsvField, string>> = {};
  for (const part of value.split(',')) {
    const [field, name] = part.split('=');
    if (!CSV_FIELDS.includes(field as CsvField) || !name) throw new InvalidArgumentError(`expected FIELD=COLUMN pairs, FIELD one of ${CSV_FIELDS.join(', ')} (e.g. timestamp=ts,duration=latency_ms)`);
    out[field as CsvField] = name;
  }
  return out;
}

function parseWindowDuration(value: string): number {
  const ms = parseDuration(value);
  if (!Number.isFinite(ms) || ms < 0) throw new InvalidArgumentError('expected a duration such as 5s or 500ms');
  return ms;
}

export function importCommand(ctx: CliContext): Command {
  return new Command('import')
    .description('convert an access log or CSV (gzipped or not) into a .lbt trace for replay')
    .argument('<log>', 'the log file (.gz is read transparently)')
    .requiredOption('-o, --out <file>', 'the .lbt trace to write (atomically)')
    .addOption(new Option('--format <format>', 'log format (default: from the file name: .csv, .jsonl, *.nginx.log, ...)').choices([...LOG_FORMATS]))
    .addOption(new Option('--on-error <mode>', 'a malformed row stops the import, or is counted and skipped').choices(['abort', 'skip']).default('abort'))
    .addOption(new Option('--reorder-window <duration>', 'how far out of time order a line may be and still be sorted').argParser(parseWindowDuration).default(IMPORT_DEFAULTS.reorderWindowMs, '5s'))
    .option('--work <field>', 'the timing used as work (nginx: upstream_response_time|request_time; haproxy: Tr|Ta; alb: target_processing_time|total; envoy: upstream_service_time|duration; csv/jsonl: a column)')
    .addOption(new Option('--duration-unit <unit>', 'csv/jsonl: unit of the duration column (default: from its name, else ms)').choices(['ms', 's']))
    .option('--columns <map>', 'csv/jsonl: column names, e.g. timestamp=ts,client=user', parseColumns)
    .option('--progress', 'print progress lines to stderr (at a terminal a live progress bar is shown anyway)')
    .addOption(new Option('--threads <n>', 'worker threads parsing a plain log in parallel (1: serial; a .gz is always read serially)').argParser(parseThreads).default(IMPORT_DEFAULTS.threads, 'serial; a plain log of 256 MB or more on 2 cores or more: one per core'))
    .action(async (log: string, opts: { out: string; format?: LogFormat; onError: 'abort' | 'skip'; reorderWindow: number; work?: string; durationUnit?: 'ms' | 's'; columns?: Partial<Record<CsvField, string>>; progress?: boolean; threads: number | 'auto' }) => {
      checkOutputNotInput(opts.out, [log]);
      const format = opts.format ?? formatFromName(log);
      // A missing or unreadable log says so before its name is blamed for the format.
      if (format === undefined) await isGzip(log);
      if (format === undefined) throw new LbsimError('USAGE', `${log}: cannot tell the log format from its name; pass --format ${LOG_FORMATS.join('|')}`);
      const started = performance.now();
      const progress = await importProgress(log, opts.progress === true, started);
      const s = await importLog(log, opts.out, {
        ...(progress === undefined ? {} : { onProgress: progress.update }),
        format,
        onError: opts.onError,
        reorderWindowMs: opts.reorderWindow,
        threads: opts.threads,
        signal: ctx.signal,
        ...(opts.work === undefined ? {} : { work: opts.work }),
        ...(opts.durationUnit === undefined ? {} : { durationUnit: opts.durationUnit }),
        ...(opts.columns === undefined ? {} : { columns: opts.columns }),
      }).finally(() => progress?.stop());
      const wall = (performance.now() - started) / 1000;
      const n = formatCount;
      ctx.info(
        `imported ${n(s.requests)} requests from ${n(s.lines)} lines of ${log} into ${opts.out} in ${wall.toFixed(2)} s` +
          `${s.skipped > 0 ? `; skipped ${n(s.skipped)} malformed rows` : ''}` +
          `${s.reordered > 0 ? `; ${n(s.reordered)} put back in time order` : ''}` +
          `${s.estimatedWork > 0 ? `; ${n(s.estimatedWork)} without an upstream time (work estimated)` : ''}` +
          `${s.failed > 0 ? `; ${n(s.failed)} failed in the log (kept, flagged)` : ''}`,
      );
      for (const e of s.skippedExamples) ctx.info(`  skipped ${e}`);
    });
}

/** How often progress is shown: the line reader reports every 64 KB block, far more often than anyone reads. */
const PROGRESS_EVERY_MS = 250;

/**
 * Progress of a long import: a live bar on stderr at a terminal (the ink ProgressBar,
 * loaded only then), lines on stderr with --progress, nothing otherwise.
 */
async function importProgress(log: string, lines: boolean, started: number): Promise<{ update: (p: ImportProgress) => void; stop: () => void } | undefined> {
  const live = !lines && process.stderr.isTTY === true && !inCi(process.env) && process.env.TERM !== 'dumb';
  if (!live && !lines) return undefined;
  let last = 0;
  let latest: ImportProgress | undefined;
  if (live) {
    process.env.NODE_ENV ??= 'production';
    const { startImportProgress } = await import('../../ui/import-progress.tsx');
    const view = startImportProgress(`importing ${basename(log)}`);
    return {
      update(p) {
        const now = performance.now();
        if (now - last < PROGRESS_EVERY_MS) return;
        last = now;
        view.update({ ...p, elapsedMs: now - started });
      },
      stop: () => view.stop(),
    };
  }
  const line = (p: ImportProgress) => {
    const elapsed = (performance.now() - started) / 1000;
    const pct = p.totalBytes > 0 ? (p.bytesRead / p.totalBytes) * 100 : 100;
    process.stderr.write(`progress ${pct.toFixed(1)}% of ${basename(log)} · ${formatCount(p.lines)} lines · ${formatCount(p.requests)} requests · ${elapsed > 0 ? (p.lines / elapsed / 1e6).toFixed(2) : '0.00'} M lines/s\n`);
  };
  return {
    update(p) {
      latest = p;
      const now = performance.now();
      if (now - last < PROGRESS_EVERY_MS && p.bytesRead < p.totalBytes) return;
      last = now;
      line(p);
      latest = undefined;
    },
    // The last block may have been throttled away: always end on the final figures.
    stop: () => {
      if (latest !== undefined) line(latest);
    },
  };
}
