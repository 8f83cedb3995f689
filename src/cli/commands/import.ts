import { Command, InvalidArgumentError, Option } from 'commander';
import { LbsimError } from '../../errors.ts';
import { formatFromName, importLog } from '../../traffic/readers/import.ts';
import { CSV_FIELDS, LOG_FORMATS, type CsvField, type LogFormat } from '../../traffic/readers/types.ts';
import { parseDuration } from '../../scenario/units.ts';
import type { CliContext } from '../context.ts';

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
    .option('--reorder-window <duration>', 'how far out of time order a line may be and still be sorted', parseWindowDuration, 5000)
    .option('--work <field>', 'the timing used as work (nginx: upstream_response_time|request_time; haproxy: Tr|Ta; alb: target_processing_time|total; envoy: upstream_service_time|duration; csv/jsonl: a column)')
    .addOption(new Option('--duration-unit <unit>', 'csv/jsonl: unit of the duration column (default: from its name, else ms)').choices(['ms', 's']))
    .option('--columns <map>', 'csv/jsonl: column names, e.g. timestamp=ts,client=user', parseColumns)
    .action(async (log: string, opts: { out: string; format?: LogFormat; onError: 'abort' | 'skip'; reorderWindow: number; work?: string; durationUnit?: 'ms' | 's'; columns?: Partial<Record<CsvField, string>> }) => {
      const format = opts.format ?? formatFromName(log);
      if (format === undefined) throw new LbsimError('USAGE', `${log}: cannot tell the log format from its name; pass --format ${LOG_FORMATS.join('|')}`);
      const started = performance.now();
      const s = await importLog(log, opts.out, {
        format,
        onError: opts.onError,
        reorderWindowMs: opts.reorderWindow,
        signal: ctx.signal,
        ...(opts.work === undefined ? {} : { work: opts.work }),
        ...(opts.durationUnit === undefined ? {} : { durationUnit: opts.durationUnit }),
        ...(opts.columns === undefined ? {} : { columns: opts.columns }),
      });
      const wall = (performance.now() - started) / 1000;
      const n = (x: number) => x.toLocaleString('en-US');
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
