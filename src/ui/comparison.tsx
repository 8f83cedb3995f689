/**
 * Comparison of several runs (algorithms or configs) of the same traffic.
 *
 *   showComparison(reports: readonly Report[], labels: readonly string[], options?: ComparisonOptions): Promise<void>
 *     Full-screen, interactive; resolves when the user quits (q). Call it only for a person
 *     at a terminal: `shouldUseTui(...)` from src/cli/tui.ts says so. Throws a USAGE
 *     LbsimError when there are no reports or labels and reports differ in number.
 *   comparisonToString(reports, labels, { columns?, rows?, panel?, color? }): string
 *     The same view rendered once (no keys), for logs and non-terminals.
 *   <ComparisonView reports labels columns rows interactive? initialPanel? />
 *     The component itself.
 *
 * Panels: p99 of every run overlaid (with the SLO line), failed share overlaid, queue
 * heat strips run by run, and a table of the differences against the first run. Keys:
 * 1–4 or tab switch panels, ←/→ pan, +/- zoom, 0 resets, q quits.
 */
import { Box, renderToString, Text, useApp } from 'ink';
import { useState } from 'react';
import { LbsimError } from '../errors.ts';
import type { Report } from '../report/types.ts';
import { HeatLegend, HeatStrip, type HeatRow } from './charts/heat-strip.tsx';
import { DISTINCT_LOOKS, Legend, legendRows, LineChart, niceCeil, quarterRows, seriesLook, type ChartSeries, type ReferenceLine } from './charts/line-chart.tsx';
import { TimeAxis } from './charts/time-axis.tsx';
import { count, ms, pct } from './format.ts';
import { useKeys } from './keys.ts';
import { AXIS_LABEL_WIDTH } from './panels/panel-props.ts';
import { fullScreen, type TerminalStreams, useTerminalSize, FALLBACK_SIZE } from './terminal.tsx';
import { colorFromEnv, ThemeContext, tint, useTheme } from './theme.tsx';
import { PanelTabs } from './panel-tabs.tsx';
import { columnRanges, columnValues, fullWindow, originOf, pan, type TimeWindow, zoomIn, zoomOut } from './time-window.ts';

export type ComparisonPanelId = 'p99' | 'failed' | 'queues' | 'differences';
export const COMPARISON_PANELS: readonly { id: ComparisonPanelId; title: string }[] = [
  { id: 'p99', title: 'p99 over time' },
  { id: 'failed', title: 'failed over time' },
  { id: 'queues', title: 'queues' },
  { id: 'differences', title: 'differences' },
];

const RUN_COLORS = ['cyan', 'magenta', 'yellow', 'green', 'blue', 'red'];
/** From this width the differences table sits beside the chart. */
const WIDE_COLUMNS = 150;
const TABLE_WIDTH = 70;

export interface ComparisonViewProps {
  reports: readonly Report[];
  labels: readonly string[];
  columns: number;
  rows: number;
  /** @default true */
  interactive?: boolean;
  /** @default 'p99' */
  initialPanel?: ComparisonPanelId;
}

/**
 * One series per run, each with a look of its own (line style, then point marker, then
 * letter: seriesLook) so runs stay apart without colour. Runs past the last distinct
 * look are left out of the chart (the legend says how many); the table still has them.
 */
function runSeries(reports: readonly Report[], labels: readonly string[], pick: (r: Report) => readonly number[], skip: (r: Report, row: number) => boolean, window: TimeWindow, plotWidth: number): ChartSeries[] {
  return reports.slice(0, DISTINCT_LOOKS).map((r, i) => ({
    label: labels[i]!,
    values: columnValues(pick(r), columnRanges(r.timeseries, window, plotWidth), (row) => skip(r, row)),
    color: RUN_COLORS[i % RUN_COLORS.length]!,
    ...seriesLook(i)!,
  }));
}

function OverlayChart({ title, series, runs, references, yMax, formatY, width, height, window, origin }: { title: string; series: ChartSeries[]; runs: number; references: ReferenceLine[]; yMax: number; formatY: (v: number) => string; width: number; height: number; window: TimeWindow; origin: number | undefined }) {
  const note = runs > series.length ? `+${runs - series.length} more runs not drawn (no distinct look left; see 4 differences)` : undefined;
  const legend = legendRows(series, references, width, note);
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        {title} <Text dimColor>(each column: its worst interval)</Text>
      </Text>
      <Legend series={series} references={references} width={width} {...(note !== undefined ? { note } : {})} />
      <LineChart series={series} references={references} height={quarterRows(Math.max(3, height - 2 - legend))} yMax={yMax} formatY={formatY} width={width} labelWidth={AXIS_LABEL_WIDTH} />
      <TimeAxis window={window} width={width} offset={AXIS_LABEL_WIDTH + 1} origin={origin} />
    </Box>
  );
}

interface Metric {
  name: string;
  value: (r: Report) => number;
  format: (v: number) => string;
  /** Which way is better; 0 for neutral. */
  better: -1 | 0 | 1;
}

const METRICS: readonly Metric[] = [
  { name: 'requests', value: (r) => r.requests.total, format: count, better: 0 },
  { name: 'failed', value: (r) => r.requests.failedShare, format: pct, better: -1 },
  { name: 'rejected', value: (r) => r.requests.rejected, format: count, better: -1 },
  { name: 'timed out', value: (r) => r.requests.timedOut, format: count, better: -1 },
  { name: 'latency mean', value: (r) => r.latency.mean, format: ms, better: -1 },
  { name: 'latency p50', value: (r) => r.latency.p50, format: ms, better: -1 },
  { name: 'latency p90', value: (r) => r.latency.p90, format: ms, better: -1 },
  { name: 'latency p99', value: (r) => r.latency.p99, format: ms, better: -1 },
  { name: 'latency p99.9', value: (r) => r.latency.p999, format: ms, better: -1 },
  { name: 'latency max', value: (r) => r.latency.max, format: ms, better: -1 },
  { name: 'max/mean share', value: (r) => r.imbalance.maxOverMean, format: (v) => v.toFixed(3), better: -1 },
  { name: 'Jain fairness', value: (r) => r.imbalance.jain, format: (v) => v.toFixed(3), better: 1 },
  { name: 'overload ranges', value: (r) => r.overload.length, format: count, better: -1 },
  { name: 'busiest util', value: (r) => Math.max(0, ...r.backends.map((b) => b.utilization)), format: pct, better: -1 },
  { name: 'longest queue', value: (r) => Math.max(0, ...r.backends.map((b) => b.maxQueue)), format: count, better: -1 },
];

/** The change from the first run, in the metric's own unit, with a sign. */
function delta(m: Metric, base: number, v: number): string {
  const d = v - base;
  if (d === 0) return '=';
  return `${d > 0 ? '+' : '-'}${m.format(Math.abs(d))}`;
}

/** A label cut to `width` cells, with … when cut. */
function fitLabel(label: string, width: number): string {
  const chars = [...label];
  return chars.length <= width ? label : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

interface TableLayout {
  /** Runs shown (the first ones). */
  runs: number;
  /** Each run's value with its change from the first run, or the value alone. */
  deltas: boolean;
  /** Cells per run column, a leading space included. */
  widths: number[];
}

/**
 * The table's columns for `width`: every run with its change from the first, labels
 * whole; else labels shortened (…); else values without the change (colour still says
 * better or worse); else only as many runs as fit. Values are never cut.
 */
function tableLayout(texts: readonly (readonly string[])[], values: readonly (readonly string[])[], labels: readonly string[], width: number): TableLayout {
  const widest = (col: readonly string[]) => Math.max(0, ...col.map((t) => [...t].length));
  for (const deltas of [true, false]) {
    const cells = (deltas ? texts : values).map(widest);
    for (let cap = 24; cap >= 4; cap--) {
      const widths = cells.map((w, i) => Math.max(w, Math.min([...labels[i]!].length, cap)) + 1);
      if (widths.reduce((a, b) => a + b, 0) <= width) return { runs: labels.length, deltas, widths };
    }
  }
  const widths = values.map((col, i) => Math.max(widest(col), Math.min([...labels[i]!].length, 8)) + 1);
  let runs = 0;
  for (let used = 0; runs < widths.length && used + widths[runs]! <= width; runs++) used += widths[runs]!;
  return { runs: Math.max(1, runs), deltas: false, widths };
}

export function DifferencesTable({ reports, labels, width, height }: { reports: readonly Report[]; labels: readonly string[]; width: number; height: number }) {
  const theme = useTheme();
  const nameWidth = 16;
  const base = reports[0]!;
  const more = (n: number) => n < reports.length;
  const shown = METRICS.slice(0, Math.max(1, height - 2));
  // Column by column: each run's cells with the change and without it.
  const values = reports.map((r) => shown.map((m) => m.format(m.value(r))));
  const texts = reports.map((r, i) => shown.map((m, k) => (i === 0 ? values[0]![k]! : `${values[i]![k]!} ${delta(m, m.value(base), m.value(r))}`)));
  const layout = tableLayout(texts, values, labels, width - nameWidth);
  const cols = reports.slice(0, layout.runs);
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        {(layout.deltas ? 'vs first run' : 'each run').padEnd(nameWidth)}
        {cols.map((_, i) => fitLabel(labels[i]!, layout.widths[i]! - 1).padStart(layout.widths[i]!)).join('')}
      </Text>
      {shown.map((m, k) => {
        const b = m.value(base);
        return (
          <Text key={m.name} wrap="truncate">
            {m.name.padEnd(nameWidth)}
            {cols.map((r, i) => {
              const v = m.value(r);
              const worse = m.better !== 0 && i > 0 && Math.sign(v - b) === -m.better;
              const better = m.better !== 0 && i > 0 && Math.sign(v - b) === m.better;
              return (
                <Text key={i} color={tint(theme, worse ? 'red' : better ? 'green' : undefined)}>
                  {(layout.deltas ? texts : values)[i]![k]!.padStart(layout.widths[i]!)}
                </Text>
              );
            })}
          </Text>
        );
      })}
      {more(layout.runs) ? <Text dimColor wrap="truncate">… {reports.length - layout.runs} more runs (a wider terminal shows them)</Text> : null}
    </Box>
  );
}

function QueueStrips({ reports, labels, width, height, window }: { reports: readonly Report[]; labels: readonly string[]; width: number; height: number; window: TimeWindow }) {
  const labelWidth = Math.min(20, Math.max(AXIS_LABEL_WIDTH, ...reports.flatMap((r, i) => r.timeseries.backends.map((b) => labels[i]!.length + b.name.length + 1))));
  const plotWidth = Math.max(1, width - labelWidth - 1);
  const rows: HeatRow[] = [];
  let max = 0;
  reports.forEach((r, i) => {
    const ranges = columnRanges(r.timeseries, window, plotWidth);
    for (const b of r.timeseries.backends) {
      const values = columnValues(b.meanQueue, ranges);
      for (const v of values) if (v !== null && v > max) max = v;
      rows.push({ label: `${labels[i]}:${b.name}`, values });
    }
  });
  const fits = Math.max(1, height - 4);
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        Queue length per backend, run by run <Text dimColor>(one scale for all)</Text>
      </Text>
      <HeatStrip rows={rows.slice(0, fits)} max={max} labelWidth={labelWidth} width={width} />
      {rows.length > fits ? <Text dimColor>… {rows.length - fits} more rows (a taller terminal shows them)</Text> : null}
      <TimeAxis window={window} width={width} offset={labelWidth + 1} origin={originOf(reports[0]!)} />
      {max > 0 ? <HeatLegend max={max} /> : <Text dimColor>no request ever waited</Text>}
    </Box>
  );
}

export function ComparisonView({ reports, labels, columns, rows, interactive = true, initialPanel }: ComparisonViewProps) {
  const { exit } = useApp();
  const [panel, setPanel] = useState<ComparisonPanelId>(initialPanel ?? 'p99');
  const [window, setWindow] = useState<TimeWindow>(() => fullWindow(reports));
  useKeys(
    (input, key) => {
      if (input === 'q' || key.escape || (key.ctrl && input === 'c')) exit();
      else if (input >= '1' && input <= String(COMPARISON_PANELS.length)) setPanel(COMPARISON_PANELS[Number(input) - 1]!.id);
      // Functional updates: the handler may be a render behind when keys come quickly.
      else if (key.tab) setPanel((id) => COMPARISON_PANELS[(COMPARISON_PANELS.findIndex((p) => p.id === id) + (key.shift ? COMPARISON_PANELS.length - 1 : 1)) % COMPARISON_PANELS.length]!.id);
      else if (key.leftArrow || input === 'h') setWindow((w) => pan(w, -1, reports));
      else if (key.rightArrow || input === 'l') setWindow((w) => pan(w, 1, reports));
      else if (input === '+' || input === '=') setWindow((w) => zoomIn(w, reports));
      else if (input === '-' || input === '_') setWindow((w) => zoomOut(w, reports));
      else if (input === '0') setWindow(fullWindow(reports));
    },
    { isActive: interactive },
  );
  const wide = columns >= WIDE_COLUMNS && panel !== 'differences';
  const bodyHeight = Math.max(8, rows - 4);
  const mainWidth = wide ? columns - TABLE_WIDTH - 2 : columns;
  const plotWidth = Math.max(1, mainWidth - AXIS_LABEL_WIDTH - 1);
  const origin = originOf(reports[0]!);
  let body;
  if (panel === 'p99') {
    const series = runSeries(reports, labels, (r) => r.timeseries.p99, (r, row) => r.timeseries.completed[row] === 0, window, plotWidth);
    const slo = reports.find((r) => r.slo?.p99 !== undefined)?.slo?.p99;
    const references: ReferenceLine[] = slo === undefined ? [] : [{ label: `SLO p99 ${ms(slo)}`, value: slo, color: 'red' }];
    let top = slo === undefined ? 0 : slo * 1.1;
    for (const s of series) for (const v of s.values) if (v !== null && v > top) top = v;
    body = <OverlayChart title="p99 response time, runs overlaid" series={series} runs={reports.length} references={references} yMax={niceCeil(top)} formatY={ms} width={mainWidth} height={bodyHeight} window={window} origin={origin} />;
  } else if (panel === 'failed') {
    const series = runSeries(reports, labels, (r) => r.timeseries.failedShare, (r, row) => r.timeseries.arrivals[row] === 0, window, plotWidth);
    body = <OverlayChart title="Failed share per interval, runs overlaid" series={series} runs={reports.length} references={[]} yMax={1} formatY={(v) => `${Math.round(v * 100)}%`} width={mainWidth} height={bodyHeight} window={window} origin={origin} />;
  } else if (panel === 'queues') {
    body = <QueueStrips reports={reports} labels={labels} width={mainWidth} height={bodyHeight} window={window} />;
  } else {
    body = <DifferencesTable reports={reports} labels={labels} width={columns} height={bodyHeight} />;
  }
  return (
    <Box flexDirection="column" width={columns}>
      <Text wrap="truncate">
        <Text bold>compare</Text> {reports.length} runs: {labels.join(' · ')}
      </Text>
      <PanelTabs panels={COMPARISON_PANELS} current={panel} window={window} reports={reports} origin={origin} />
      <Box height={bodyHeight} overflow="hidden">
        {body}
        {wide ? (
          <Box marginLeft={2}>
            <DifferencesTable reports={reports} labels={labels} width={TABLE_WIDTH} height={bodyHeight} />
          </Box>
        ) : null}
      </Box>
      <Text dimColor wrap="truncate">
        {interactive ? '1-4/tab panels · ←→ pan · +/- zoom · 0 all · q quit' : ''}
      </Text>
    </Box>
  );
}

export interface ComparisonOptions extends TerminalStreams {
  /** @default 'p99' */
  initialPanel?: ComparisonPanelId;
}

function checkRuns(reports: readonly Report[], labels: readonly string[]): void {
  if (reports.length === 0) throw new LbsimError('USAGE', 'nothing to compare: no reports');
  if (labels.length !== reports.length) throw new LbsimError('USAGE', `compare: ${reports.length} reports but ${labels.length} labels`);
}

function SizedComparison({ stdout, ...props }: Omit<ComparisonViewProps, 'columns' | 'rows'> & { stdout: NodeJS.WriteStream }) {
  const size = useTerminalSize(stdout);
  return <ComparisonView {...props} columns={size.columns} rows={size.rows} />;
}

export async function showComparison(reports: readonly Report[], labels: readonly string[], options: ComparisonOptions = {}): Promise<void> {
  checkRuns(reports, labels);
  const stdout = options.stdout ?? process.stdout;
  const color = options.color ?? colorFromEnv();
  await fullScreen(
    stdout,
    options.stdin ?? process.stdin,
    <ThemeContext.Provider value={{ color }}>
      <SizedComparison stdout={stdout} reports={reports} labels={labels} {...(options.initialPanel ? { initialPanel: options.initialPanel } : {})} />
    </ThemeContext.Provider>,
  );
}

export function comparisonToString(reports: readonly Report[], labels: readonly string[], options: { columns?: number; rows?: number; panel?: ComparisonPanelId; color?: boolean } = {}): string {
  checkRuns(reports, labels);
  const columns = options.columns ?? FALLBACK_SIZE.columns;
  return renderToString(
    <ThemeContext.Provider value={{ color: options.color ?? false }}>
      <ComparisonView reports={reports} labels={labels} columns={columns} rows={options.rows ?? FALLBACK_SIZE.rows} interactive={false} {...(options.panel ? { initialPanel: options.panel } : {})} />
    </ThemeContext.Provider>,
    { columns },
  );
}
