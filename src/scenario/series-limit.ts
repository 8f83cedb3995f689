/**
 * How many time-series cells a report can hold. A report keeps one row per `report.interval`
 * of the run, with columns for the run and for each backend; its JSON is one string, which V8
 * caps at ~512 MB (~120 bytes a backend-row in JSON: 2M cells ≈ 240 MB). Past that,
 * `report: { interval: 1ms }` over an hour simulated for 16 s in 2.2 GB of memory and then
 * died in JSON.stringify with an internal error; it is refused before the run instead.
 */
import { LbsimError } from '../errors.ts';
import type { Scenario } from './load.ts';
import { formatCount, formatDuration } from './units.ts';

/** Most interval rows × (1 + backends) a run may record. */
export const MAX_SERIES_CELLS = 2_000_000;

/** Throws SCENARIO_INVALID naming `report.interval` when the run would record more than MAX_SERIES_CELLS. */
export function checkSeriesSize(scenario: Pick<Scenario, 'durationMs' | 'intervalMs' | 'backends' | 'file'>): void {
  const { durationMs, intervalMs } = scenario;
  if (!Number.isFinite(durationMs) || !(intervalMs > 0)) return;
  const rows = Math.ceil(durationMs / intervalMs);
  const perRow = 1 + scenario.backends.length;
  if (rows * perRow <= MAX_SERIES_CELLS) return;
  // The smallest whole-ms interval that fits, to suggest.
  const least = Math.ceil((durationMs * perRow) / MAX_SERIES_CELLS);
  throw new LbsimError(
    'SCENARIO_INVALID',
    `${scenario.file ?? '<scenario>'}: report.interval: ${formatDuration(intervalMs)} over a run of ${formatDuration(durationMs)} is ${formatCount(rows)} intervals × ${scenario.backends.length} backend${scenario.backends.length === 1 ? '' : 's'}, ${formatCount(rows * perRow)} time-series cells (intervals × (1 + backends)), more than the ${formatCount(MAX_SERIES_CELLS)} a report holds; use report.interval: ${formatDuration(least)} or more`,
  );
}
