/**
 * The live view while `lbsim run` works: progress over simulated time with events/s,
 * simulated-to-wall speed and ETA; per backend, slots in service and requests queued;
 * rejections and timeouts counting up. Fed a `Progress` a few times a second. A split
 * run (`--threads N`) has its own, `SplitLiveView`.
 */
import { Box, Text } from 'ink';
import { useRef } from 'react';
import type { Progress } from '../simulate.ts';
import { barString } from './charts/bar.tsx';
import { compact, count, ms } from './format.ts';
import { ProgressBar } from './progress-bar.tsx';
import { tint, useTheme } from './theme.tsx';

export interface LiveBackend {
  name: string;
  concurrency: number;
  /** Most requests waiting; Infinity when unbounded. */
  queue: number;
}

export interface LiveViewProps {
  scenario: string;
  algorithm: string;
  backends: readonly LiveBackend[];
  progress: Progress | null;
  columns: number;
  rows: number;
}

/** Widest per-backend bar, in cells. */
const LIVE_BAR_MAX = 20;
/** Widest progress line. */
const LIVE_WIDTH_MAX = 100;

/** Rows the live view uses besides the backend rows. */
const LIVE_CHROME_ROWS = 8;

/**
 * The head of both live views: what runs, a bar over simulated time with its ETA, and the
 * rates. `at`: simulated ms done of `end`; `finishing` replaces the bar's detail (and the
 * ETA) once the simulated time is done but the run is not; null before the first figures.
 */
function LiveHead({ title, at, columns }: { title: string; at: { done: number; end: number; events: number; wallMs: number; finishing: string | undefined } | null; columns: number }) {
  const speed = at !== null && at.wallMs > 0 ? at.done / at.wallMs : 0;
  const eventsPerSec = at !== null && at.wallMs > 0 ? (at.events / at.wallMs) * 1000 : 0;
  const eta = at !== null && speed > 0 && at.finishing === undefined ? (at.end - at.done) / speed : Number.NaN;
  return (
    <>
      <Text wrap="truncate">
        <Text bold>lbsim run</Text> {title}
      </Text>
      <ProgressBar
        fraction={at === null ? 0 : at.end > 0 ? at.done / at.end : 1}
        width={columns}
        detail={at === null ? 'starting' : (at.finishing ?? `sim ${ms(at.done)} of ${ms(at.end)}`)}
        etaMs={eta}
      />
      <Text wrap="truncate" dimColor>
        {(eventsPerSec / 1e6).toFixed(2)} M events/s · {speed.toFixed(0)}× real time · wall {ms(at?.wallMs ?? 0)}
      </Text>
    </>
  );
}

export function LiveView({ scenario, algorithm, backends, progress, columns: terminalColumns, rows }: LiveViewProps) {
  const theme = useTheme();
  const columns = Math.min(terminalColumns, LIVE_WIDTH_MAX);
  // Unbounded queues are drawn against the longest queue seen so far in this run.
  const longest = useRef<number[]>([]);
  const p = progress;
  const queued = p?.queued ?? [];
  const inFlight = p?.inFlight ?? [];
  for (let b = 0; b < queued.length; b++) longest.current[b] = Math.max(longest.current[b] ?? 1, queued[b]!);
  const draining = p !== null && p.now >= p.end;
  const fits = Math.max(1, rows - LIVE_CHROME_ROWS);
  let order = backends.map((_, i) => i);
  const crowded = backends.length > fits;
  if (crowded) order = order.sort((a, b) => (inFlight[b] ?? 0) - (inFlight[a] ?? 0) || a - b).slice(0, fits);
  const nameWidth = Math.min(16, Math.max(7, ...backends.map((b) => b.name.length)));
  // Bars stay short: ink's cost per frame grows with the characters drawn, and the view redraws while the run works.
  const barWidth = Math.max(6, Math.min(LIVE_BAR_MAX, Math.floor((columns - nameWidth - 26) / 2)));
  return (
    <Box flexDirection="column" width={columns}>
      <LiveHead
        title={`${scenario} · ${algorithm} · ${backends.length} backend${backends.length === 1 ? '' : 's'}`}
        at={p === null ? null : { done: p.now, end: p.end, events: p.events, wallMs: p.wallMs, finishing: draining ? `draining queues at ${ms(p.now)}` : undefined }}
        columns={columns}
      />
      <Text wrap="truncate">
        arrived {count(p?.arrived ?? 0)} · rejected{' '}
        <Text bold color={tint(theme, (p?.rejected ?? 0) > 0 ? 'red' : undefined)}>
          {count(p?.rejected ?? 0)}
        </Text>{' '}
        · timed out{' '}
        <Text bold color={tint(theme, (p?.timedOut ?? 0) > 0 ? 'yellow' : undefined)}>
          {count(p?.timedOut ?? 0)}
        </Text>
      </Text>
      <Text bold wrap="truncate">
        {'backend'.padEnd(nameWidth)} {'in service'.padEnd(barWidth + 10)} queued
      </Text>
      {order.map((b) => {
        const spec = backends[b]!;
        const q = queued[b] ?? 0;
        const busy = Math.max(0, (inFlight[b] ?? 0) - q);
        const qMax = Number.isFinite(spec.queue) ? spec.queue : longest.current[b]!;
        return (
          <Text key={spec.name} wrap="truncate">
            {spec.name.slice(0, nameWidth).padEnd(nameWidth)} <Text color={tint(theme, busy >= spec.concurrency ? 'yellow' : 'green')}>{barString(busy / spec.concurrency, barWidth, '·')}</Text>{' '}
            {`${compact(busy)}/${compact(spec.concurrency)}`.padEnd(8)}{' '}
            <Text color={tint(theme, q >= qMax && Number.isFinite(spec.queue) ? 'red' : 'yellow')}>{barString(qMax > 0 ? q / qMax : 0, barWidth, '·')}</Text> {compact(q)}
            {Number.isFinite(spec.queue) ? `/${compact(spec.queue)}` : ''}
          </Text>
        );
      })}
      {crowded ? <Text dimColor>busiest {order.length} of {backends.length} backends</Text> : null}
      <Text dimColor>Ctrl-C cancels</Text>
    </Box>
  );
}

/** What a split run (`lbsim run --threads N`, `--redis`) reports while it works: runSplit's onProgress, and the wall time. */
export interface SplitProgress {
  /** Simulated ms covered by all windows together. */
  covered: number;
  /** The run's duration, ms. */
  end: number;
  /** Events of the windows' first runs so far. */
  events: number;
  /** Wall-clock ms since the run started. */
  wallMs: number;
  /** Why the run is not split after all, learnt once it started (a user's balancer without saveState): overrides the props'. */
  notSplit?: string;
}

export interface SplitLiveViewProps {
  scenario: string;
  algorithm: string;
  backends: number;
  /** Where it runs: local threads, or undefined on a cluster. */
  threads: number | undefined;
  /** Windows when planned before the run (--windows K); undefined when they are cut while it runs. */
  windows: number | undefined;
  /** Why the run is not split (it runs whole on one thread), when known before it starts. */
  notSplit: string | undefined;
  progress: SplitProgress | null;
  columns: number;
}

/** Where a split run runs, for its live view. */
function splitLine({ threads, windows, notSplit }: Pick<SplitLiveViewProps, 'threads' | 'windows' | 'notSplit'>): string {
  if (notSplit !== undefined) return threads === undefined ? `on the cluster as 1 window: not split in time (${notSplit})` : `on 1 thread: not split in time (${notSplit})`;
  const where = threads === undefined ? 'split over the cluster' : `split over ${threads} threads`;
  const cut = windows !== undefined ? `${windows} window${windows === 1 ? '' : 's'}` : threads === undefined ? 'a window per worker thread' : 'windows cut as the run goes';
  return `${where} · ${cut}`;
}

/**
 * The live view of a split run: progress over simulated time (all windows together),
 * events/s, simulated-to-wall speed, ETA and where it runs. The windows run apart, so
 * there are no live per-backend counts to show; the dashboard has them when it ends.
 */
export function SplitLiveView({ scenario, algorithm, backends, progress: p, columns: terminalColumns, ...where }: SplitLiveViewProps) {
  const runsOn = p?.notSplit === undefined ? where : { ...where, notSplit: p.notSplit };
  const columns = Math.min(terminalColumns, LIVE_WIDTH_MAX);
  // After the windows' first runs comes the check of every window's start (and any fix-ups), then the merge: no progress to show there.
  const merging = p !== null && p.covered >= p.end;
  return (
    <Box flexDirection="column" width={columns}>
      <LiveHead
        title={`${scenario} · ${algorithm} · ${backends} backend${backends === 1 ? '' : 's'}`}
        at={p === null ? null : { done: p.covered, end: p.end, events: p.events, wallMs: p.wallMs, finishing: merging ? 'windows simulated: checking their starts, merging' : undefined }}
        columns={columns}
      />
      <Text wrap="truncate">{splitLine(runsOn)}</Text>
      <Text wrap="truncate" dimColor>
        no live per-backend counts while split; the dashboard has them at the end
      </Text>
      <Text dimColor>Ctrl-C cancels</Text>
    </Box>
  );
}
