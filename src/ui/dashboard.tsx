/**
 * The dashboard shown when a run ends: a header with the headline numbers, a tab bar,
 * one panel (two side by side on wide terminals) and a key line. It only reads the
 * report; every number on it is in the report or is a comparison with the SLO.
 *
 * Keys: 1–6 or tab/shift-tab switch panels; ↑/↓ (k/j) pick a backend, enter inspects
 * it; s lists them busiest first, slowest first, then in scenario order again; ←/→ (h/l)
 * pan, +/- zoom the time axis, 0 resets; L toggles a log latency axis; q or esc quits.
 */
import { Box, Text, useApp } from 'ink';
import { type ComponentType, useMemo, useState } from 'react';
import type { Report } from '../report/types.ts';
import { type BackendSort, nextSort, sortedReport } from './backend-order.ts';
import { DashboardHeader, fitKeyLine } from './dashboard-header.tsx';
import { useKeys } from './keys.ts';
import { BackendPanel } from './panels/backend-panel.tsx';
import { BackendsPanel } from './panels/backends-panel.tsx';
import { DistributionPanel } from './panels/distribution-panel.tsx';
import { LatencyPanel } from './panels/latency-panel.tsx';
import { OverloadPanel } from './panels/overload-panel.tsx';
import type { PanelProps } from './panels/panel-props.ts';
import { QueuePanel } from './panels/queue-panel.tsx';
import { PanelTabs } from './panel-tabs.tsx';
import { fullWindow, originOf, pan, type TimeWindow, zoomIn, zoomOut } from './time-window.ts';

export type PanelId = 'latency' | 'queues' | 'overload' | 'backends' | 'distribution' | 'backend';

interface PanelEntry {
  id: PanelId;
  title: string;
  component: ComponentType<PanelProps>;
  /** Shown beside this panel on wide terminals. */
  companion: PanelId;
}

export const PANELS: readonly PanelEntry[] = [
  { id: 'latency', title: 'latency', component: LatencyPanel, companion: 'distribution' },
  { id: 'queues', title: 'queues', component: QueuePanel, companion: 'backends' },
  { id: 'overload', title: 'overload', component: OverloadPanel, companion: 'backends' },
  { id: 'backends', title: 'backends', component: BackendsPanel, companion: 'distribution' },
  { id: 'distribution', title: 'distribution', component: DistributionPanel, companion: 'latency' },
  { id: 'backend', title: 'inspect', component: BackendPanel, companion: 'backends' },
];

/** From this width a companion panel is shown beside the chosen one. */
export const WIDE_COLUMNS = 150;
/** Width of the companion panel on wide terminals (the full backend table fits). */
const COMPANION_WIDTH = 72;
/** Header (2 rows) + key line + one spare row: ink clears the whole screen on every frame that fills it. */
const CHROME_ROWS = 4;

export interface DashboardProps {
  report: Report;
  columns: number;
  rows: number;
  /** @default 'latency' */
  initialPanel?: PanelId;
  /** Listen to keys. False for a one-off rendering (no TTY). @default true */
  interactive?: boolean;
  /** Wall-clock seconds the run took, shown in the header (never in the report). */
  wallSeconds?: number;
}

export function Dashboard({ report, columns, rows, initialPanel, interactive = true, wallSeconds }: DashboardProps) {
  const { exit } = useApp();
  const [panel, setPanel] = useState<PanelId>(initialPanel ?? 'latency');
  const [selected, setSelected] = useState(0);
  const [window, setWindow] = useState<TimeWindow>(() => fullWindow([report]));
  const [logScale, setLogScale] = useState(false);
  const [sortBy, setSortBy] = useState<BackendSort>('scenario');
  // The panels see the backends in the chosen order (and pick by position in it).
  const shown = useMemo(() => sortedReport(report, sortBy), [report, sortBy]);
  const index = PANELS.findIndex((p) => p.id === panel);
  const backends = report.backends.length;

  useKeys(
    (input, key) => {
      if (input === 'q' || key.escape || (key.ctrl && input === 'c')) exit();
      else if (input >= '1' && input <= String(PANELS.length)) setPanel(PANELS[Number(input) - 1]!.id);
      // Functional updates: the handler may be a render behind when keys come quickly.
      else if (key.tab) setPanel((id) => PANELS[(PANELS.findIndex((p) => p.id === id) + (key.shift ? PANELS.length - 1 : 1)) % PANELS.length]!.id);
      else if (key.upArrow || input === 'k') setSelected((s) => Math.max(0, s - 1));
      else if (key.downArrow || input === 'j') setSelected((s) => Math.min(Math.max(0, backends - 1), s + 1));
      else if (key.return) setPanel('backend');
      else if (key.leftArrow || input === 'h') setWindow((w) => pan(w, -1, [report]));
      else if (key.rightArrow || input === 'l') setWindow((w) => pan(w, 1, [report]));
      else if (input === '+' || input === '=') setWindow((w) => zoomIn(w, [report]));
      else if (input === '-' || input === '_') setWindow((w) => zoomOut(w, [report]));
      else if (input === '0') setWindow(fullWindow([report]));
      else if (input === 'L') setLogScale((v) => !v);
      else if (input === 's') {
        // A new order starts at its top: the busiest or slowest backend.
        setSortBy(nextSort);
        setSelected(0);
      }
    },
    { isActive: interactive },
  );

  const entry = PANELS[index]!;
  const wide = columns >= WIDE_COLUMNS;
  const bodyHeight = Math.max(8, rows - CHROME_ROWS);
  const mainWidth = wide ? columns - COMPANION_WIDTH - 2 : columns;
  const props = { report: shown, window, height: bodyHeight, selected, logScale, sortBy };
  const Main = entry.component;
  const Companion = PANELS.find((p) => p.id === entry.companion)!.component;
  const origin = originOf(report);
  return (
    <Box flexDirection="column" width={columns}>
      <DashboardHeader report={report} columns={columns} {...(wallSeconds !== undefined ? { wallSeconds } : {})} />
      <PanelTabs panels={PANELS} current={panel} window={window} reports={[report]} origin={origin} />
      <Box height={bodyHeight} overflow="hidden">
        <Main {...props} width={mainWidth} />
        {wide ? (
          <Box marginLeft={2}>
            <Companion {...props} width={COMPANION_WIDTH} />
          </Box>
        ) : null}
      </Box>
      <Text dimColor wrap="truncate">
        {interactive ? fitKeyLine(columns) : ''}
      </Text>
    </Box>
  );
}
