/**
 * Human units in scenario files. Durations become milliseconds, rates become requests
 * per second. A bare number is milliseconds (durations) or per second (rates), as the
 * scenario format documents.
 */

const DURATION_UNITS: Record<string, number> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_RE = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(us|µs|ms|s|min|m|h|d)\s*$/;

/** Parses `250ms`, `30s`, `10m`, `1h`, `1.5s` or a plain number of milliseconds. Returns NaN when unparsable. */
export function parseDuration(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value !== 'string') return Number.NaN;
  const trimmed = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed);
  // Compound forms such as `1h30m` are summed part by part.
  const parts = trimmed.match(/(\d+(?:\.\d+)?)\s*(us|µs|ms|min|s|m|h|d)/g);
  if (parts && parts.join('').replace(/\s+/g, '') === trimmed.replace(/\s+/g, '')) {
    let total = 0;
    for (const p of parts) {
      const m = DURATION_RE.exec(p);
      if (!m) return Number.NaN;
      total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    }
    return total;
  }
  return Number.NaN;
}

const RATE_UNITS: Record<string, number> = { s: 1, sec: 1, m: 1 / 60, min: 1 / 60, h: 1 / 3600 };
const RATE_RE = /^\s*(\d+(?:\.\d+)?(?:[eE]\d+)?|\.\d+)\s*\/\s*(s|sec|min|m|h)\s*$/;

/** Parses `900/s`, `54000/m`, `1e6/h` or a plain number per second. Returns NaN when unparsable. */
export function parseRate(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value !== 'string') return Number.NaN;
  const trimmed = value.trim();
  if (/^\d+(?:\.\d+)?(?:e\d+)?$/i.test(trimmed)) return Number(trimmed);
  const m = RATE_RE.exec(trimmed);
  if (!m) return Number.NaN;
  return Number(m[1]) * RATE_UNITS[m[2]!]!;
}

/** Formats milliseconds compactly for people: 0.84ms, 12.3ms, 4.20s, 10m00s, 1h05m. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  // The start of a run or window: "0s–15m", not "0.00ms–15m".
  if (ms === 0) return '0s';
  const abs = Math.abs(ms);
  if (abs < 9.995) return `${ms.toFixed(2)}ms`;
  if (abs < 999.95) return `${ms.toFixed(1)}ms`;
  if (abs < 59_995) return `${(ms / 1000).toFixed(2)}s`;
  // Round to the unit shown first, then split, so 167h59m40s reads 168h00m, not 167h60m.
  if (abs < 3_600_000 - 500) {
    const s = Math.round(abs / 1000);
    return `${ms < 0 ? '-' : ''}${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  }
  const m = Math.round(abs / 60_000);
  return `${ms < 0 ? '-' : ''}${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * A count for people, its thousands grouped: 20,000,947 (what `toLocaleString('en-US')`
 * writes for an integer). Not toLocaleString: its first call loads ICU's number
 * formatting, 11–15 ms here, and the CLI's last line (`simulated N requests`) paid that
 * at the end of every run. Rounds to an integer.
 */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** Formats a simulated instant as an offset, or as a UTC clock time when the run has a wall-clock origin. */
export function formatInstant(ms: number, originEpochMs: number | undefined): string {
  if (originEpochMs === undefined) return formatDuration(ms);
  const d = new Date(originEpochMs + ms);
  return d.toISOString().slice(11, 19);
}
