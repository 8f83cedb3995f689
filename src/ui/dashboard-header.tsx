/**
 * The dashboard's first and last lines, fitted to the terminal's width by shedding the
 * least useful parts first rather than cutting the line's end: the header keeps the
 * verdict (failed share, p99, and the SLO met or not when the scenario sets one) down to
 * 80 columns, the key line keeps `q quit`.
 */
import { Text } from 'ink';
import { checkReportSlo, type SloCheck } from '../report/slo.ts';
import type { Report } from '../report/types.ts';
import { count, ms, pct } from './format.ts';
import { tint, useTheme } from './theme.tsx';

interface Part {
  text: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
}

type Verdict = 'long' | 'medium' | 'short';

interface HeaderLevel {
  wall: boolean;
  verdict: Verdict;
  seed: boolean;
  requests: boolean;
  algorithm: boolean;
}

/** Tried in order until one fits: each drops or shortens one more part. */
const LEVELS: readonly HeaderLevel[] = [
  { wall: true, verdict: 'long', seed: true, requests: true, algorithm: true },
  { wall: false, verdict: 'long', seed: true, requests: true, algorithm: true },
  { wall: false, verdict: 'medium', seed: true, requests: true, algorithm: true },
  { wall: false, verdict: 'medium', seed: false, requests: true, algorithm: true },
  { wall: false, verdict: 'medium', seed: false, requests: false, algorithm: true },
  { wall: false, verdict: 'short', seed: false, requests: false, algorithm: true },
  { wall: false, verdict: 'short', seed: false, requests: false, algorithm: false },
];

const FIELD_NAMES: Record<SloCheck['field'], string> = { p99: 'p99', p999: 'p99.9', errors: 'failed', maxUtilization: 'util' };

function limitText(c: SloCheck): string {
  return c.field === 'p99' || c.field === 'p999' ? ms(c.limit) : pct(c.limit);
}

/** `✗ SLO: p99 > 1.00s, failed > 1.00%` (long), `✗ SLO: p99, failed` (medium), `✗ SLO` (short); met: `✓ SLO …`. */
function verdictText(checks: readonly SloCheck[], form: Verdict): string {
  const broken = checks.filter((c) => !c.met);
  const mark = broken.length > 0 ? '✗ SLO' : '✓ SLO';
  if (form === 'short') return mark;
  const listed = broken.length > 0 ? broken : checks;
  if (form === 'medium') return `${mark}: ${listed.map((c) => FIELD_NAMES[c.field]).join(', ')}`;
  return `${mark}: ${listed.map((c) => `${FIELD_NAMES[c.field]} ${c.met ? '≤' : '>'} ${limitText(c)}`).join(', ')}`;
}

/** The header's parts at one level of detail. */
function headerParts(report: Report, wallSeconds: number | undefined, checks: readonly SloCheck[], level: HeaderLevel, name: string): Part[] {
  const q = report.requests;
  const errorsLimit = report.slo?.errors ?? 0.01;
  const p99Check = checks.find((c) => c.field === 'p99');
  const parts: Part[] = [{ text: name, bold: true }];
  if (level.algorithm) parts.push({ text: ` · ${report.algorithm}${report.persistence === undefined ? '' : ' (sticky)'}` });
  if (level.seed) parts.push({ text: ` · seed ${report.seed}` });
  parts.push({ text: ' │ ' });
  if (level.requests) parts.push({ text: `${count(q.total)} requests · ` });
  parts.push({ text: 'failed ' }, { text: pct(q.failedShare), bold: true, color: q.failedShare > errorsLimit ? 'red' : 'green' });
  parts.push({ text: ' · p99 ' }, { text: ms(report.latency.p99), ...(p99Check ? { color: p99Check.met ? 'green' : 'red' } : {}) });
  if (checks.length > 0) parts.push({ text: ' · ' }, { text: verdictText(checks, level.verdict), bold: true, color: checks.every((c) => c.met) ? 'green' : 'red' });
  if (level.wall && wallSeconds !== undefined) parts.push({ text: ` · ran in ${wallSeconds.toFixed(2)} s`, dim: true });
  return parts;
}

const widthOf = (parts: readonly Part[]): number => parts.reduce((n, p) => n + [...p.text].length, 0);

/** The richest header that fits `columns`; past the last level the scenario's name gives way (… at its end). */
export function fitHeader(report: Report, columns: number, wallSeconds?: number): Part[] {
  const checks = checkReportSlo(report);
  for (const level of LEVELS) {
    const parts = headerParts(report, wallSeconds, checks, level, report.scenario);
    if (widthOf(parts) <= columns) return parts;
  }
  const last = LEVELS[LEVELS.length - 1]!;
  const rest = widthOf(headerParts(report, wallSeconds, checks, last, ''));
  const room = Math.max(8, columns - rest);
  const name = [...report.scenario];
  return headerParts(report, wallSeconds, checks, last, name.length <= room ? report.scenario : `${name.slice(0, room - 1).join('')}…`);
}

export function DashboardHeader({ report, columns, wallSeconds }: { report: Report; columns: number; wallSeconds?: number }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate">
      {fitHeader(report, columns, wallSeconds).map((p, i) => (
        <Text key={i} bold={p.bold === true} dimColor={p.dim === true} color={tint(theme, p.color)}>
          {p.text}
        </Text>
      ))}
    </Text>
  );
}

interface KeyHint {
  long: string;
  short: string;
}

/** In the order shown; the ones last in DROP_ORDER give way first when even the short forms do not fit. */
const KEY_HINTS: readonly KeyHint[] = [
  { long: '1-6/tab panels', short: '1-6 panels' },
  { long: '↑↓ backend', short: '↑↓ pick' },
  { long: 'enter inspect', short: 'enter inspect' },
  { long: '←→ pan', short: '←→ pan' },
  { long: '+/- zoom', short: '+- zoom' },
  { long: '0 all', short: '0 all' },
  { long: 'L log', short: 'L log' },
  { long: 's sort', short: 's sort' },
];
const QUIT = 'q quit';
/** Indexes into KEY_HINTS, most useful first. */
const DROP_ORDER = [0, 1, 2, 7, 3, 4, 6, 5];

/** The key line that fits `columns`, always ending in `q quit`. */
export function fitKeyLine(columns: number): string {
  const fits = (s: string) => [...s].length <= columns;
  const long = [...KEY_HINTS.map((k) => k.long), QUIT].join(' · ');
  if (fits(long)) return long;
  const short = KEY_HINTS.map((k) => k.short);
  for (const sep of [' · ', '  ']) {
    const line = [...short, QUIT].join(sep);
    if (fits(line)) return line;
  }
  for (let keep = DROP_ORDER.length - 1; keep >= 0; keep--) {
    const kept = new Set(DROP_ORDER.slice(0, keep));
    const line = [...short.filter((_, i) => kept.has(i)), QUIT].join('  ');
    if (fits(line)) return line;
  }
  return QUIT;
}
