/**
 * The `traffic` fields of a scenario that replay a recorded trace (the zod part; the
 * scenario schema includes it). Kept beside the traffic code so the scenario schema
 * changes by one line when the replay options grow.
 *
 *   traffic:
 *     trace: week.lbt          # or a raw log: access.log.gz (format from `format` or the name)
 *     format: nginx            # for raw logs: nginx|haproxy|alb|envoy|csv|jsonl
 *     onError: skip            # raw logs: abort (default) or skip malformed rows
 *     window: { from: 2d, to: 2d4h }   # offsets into the trace, or ISO date-times
 *     speed: 2                 # time compression
 *     scale: 1.5               # more (or fewer) requests at the same pace
 *     sample: 0.1              # keep a seeded fraction
 */
import { z } from 'zod';
import { parseDuration } from '../scenario/units.ts';
import { LOG_FORMATS } from './readers/types.ts';
import { MAX_SCALE } from './replay.ts';

/** A point in a trace: an offset from its start (trace time 0), or a wall-clock instant. */
export type TimeBound = { kind: 'offset'; ms: number } | { kind: 'epoch'; ms: number };

const TIME_HINT = 'an offset into the trace such as 90m or 2d4h, or an ISO-8601 date-time such as 2024-04-15T10:00:00Z';

export const timeBound = z.union([z.number(), z.string()], { error: `expected ${TIME_HINT}` }).transform((v, ctx): TimeBound => {
  const ms = parseDuration(v);
  if (Number.isFinite(ms) && ms >= 0) return { kind: 'offset', ms };
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v) && Number.isFinite(Date.parse(v))) return { kind: 'epoch', ms: Date.parse(v) };
  ctx.addIssue({ code: 'custom', message: `expected ${TIME_HINT}, got ${JSON.stringify(v)}` });
  return z.NEVER;
});

const factor = (what: string, max: number) =>
  z.number({ error: `expected ${what}` }).positive({ message: `expected ${what} above 0` }).max(max, { message: `expected ${what} at most ${max}` });

/** Replay transforms; also what `lbsim run --from/--to/--speed/--scale/--sample` set. */
export const replayFields = {
  window: z.strictObject({ from: timeBound.optional(), to: timeBound.optional() }).optional(),
  speed: factor('a speed-up factor', 1e6).optional(),
  scale: factor('a request multiplier', MAX_SCALE).optional(),
  sample: factor('a fraction of requests to keep', 1).optional(),
};

/** Fields that only make sense with `trace`. */
export const TRACE_ONLY_FIELDS = ['format', 'onError', 'reorderWindow', 'work', 'durationUnit', 'columns', 'window', 'speed', 'scale', 'sample'] as const;

export const traceFields = {
  trace: z.string({ error: 'expected the path of a .lbt trace or of a log file' }).min(1).optional(),
  format: z.enum(['lbt', ...LOG_FORMATS], { error: `expected format: lbt, ${LOG_FORMATS.join(', ')}` }).optional(),
  onError: z.enum(['abort', 'skip'], { error: 'expected onError: abort or skip' }).optional(),
  reorderWindow: z
    .union([z.number(), z.string()])
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (!Number.isFinite(ms) || ms < 0) {
        ctx.addIssue({ code: 'custom', message: `expected a duration such as 5s, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return ms;
    })
    .optional(),
  work: z.string().min(1).optional(),
  durationUnit: z.enum(['ms', 's'], { error: 'expected durationUnit: ms or s' }).optional(),
  columns: z.record(z.enum(['timestamp', 'duration', 'client', 'route', 'status', 'backend'], { error: 'expected a column of timestamp, duration, client, route, status, backend' }), z.string()).optional(),
  ...replayFields,
};
