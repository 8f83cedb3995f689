/**
 * Putting the UI on a real terminal: the live view during a run (a split run has its
 * own), the dashboard after it (on the alternate screen, so quitting gives the shell its
 * screen back), and a one-off rendering to a string for everything that is not a terminal.
 */
import { render, renderToString } from 'ink';
import { type ReactElement, useEffect, useState } from 'react';
import type { Report } from '../report/types.ts';
import type { Progress } from '../simulate.ts';
import { Dashboard, type PanelId } from './dashboard.tsx';
import { type LiveBackend, LiveView, SplitLiveView, type SplitLiveViewProps, type SplitProgress } from './live-view.tsx';
import { colorFromEnv, ThemeContext } from './theme.tsx';

const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[H';
const LEAVE_ALT_SCREEN = '\x1b[?1049l';

/** Size when the stream does not say (not a terminal). */
export const FALLBACK_SIZE = { columns: 80, rows: 24 } as const;

export interface TerminalStreams {
  /** @default process.stdout */
  stdout?: NodeJS.WriteStream;
  /** @default process.stdin */
  stdin?: NodeJS.ReadStream;
  /** @default colour unless NO_COLOR is set */
  color?: boolean;
}

function sizeOf(stdout: NodeJS.WriteStream): { columns: number; rows: number } {
  return { columns: stdout.columns || FALLBACK_SIZE.columns, rows: stdout.rows || FALLBACK_SIZE.rows };
}

/** The terminal's size, following resizes. */
export function useTerminalSize(stdout: NodeJS.WriteStream): { columns: number; rows: number } {
  const [size, setSize] = useState(() => sizeOf(stdout));
  useEffect(() => {
    const onResize = () => setSize(sizeOf(stdout));
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

function themed(color: boolean, node: ReactElement): ReactElement {
  return <ThemeContext.Provider value={{ color }}>{node}</ThemeContext.Provider>;
}

export interface LiveSession<P = Progress> {
  update(progress: P): void;
  /** Erases the live view and stops rendering. */
  stop(): void;
}

/** Renders `view` below the cursor, redrawn on every update, until stopped. */
function startLive<P>(view: (progress: P | null, size: { columns: number; rows: number }) => ReactElement, streams: TerminalStreams): LiveSession<P> {
  const stdout = streams.stdout ?? process.stdout;
  const color = streams.color ?? colorFromEnv();
  const frame = (progress: P | null) => themed(color, view(progress, sizeOf(stdout)));
  // No keys are read here: stdin stays cooked, so Ctrl-C is a SIGINT that cancels the run.
  const instance = render(frame(null), { stdout, stdin: streams.stdin ?? process.stdin, exitOnCtrlC: false, patchConsole: false });
  let stopped = false;
  return {
    update(progress) {
      if (!stopped) instance.rerender(frame(progress));
    },
    stop() {
      if (stopped) return;
      stopped = true;
      instance.clear();
      instance.unmount();
    },
  };
}

/** Starts the live view; feed it from `runScenario`'s onProgress. */
export function startLiveView(run: { scenario: string; algorithm: string; backends: readonly LiveBackend[] }, streams: TerminalStreams = {}): LiveSession {
  return startLive<Progress>((progress, size) => <LiveView {...run} progress={progress} {...size} />, streams);
}

/** Starts the live view of a split run; feed it from `runSplit`'s onProgress (with the wall time). */
export function startSplitLiveView(run: Omit<SplitLiveViewProps, 'progress' | 'columns'>, streams: TerminalStreams = {}): LiveSession<SplitProgress> {
  return startLive<SplitProgress>((progress, size) => <SplitLiveView {...run} progress={progress} columns={size.columns} />, streams);
}

function SizedDashboard({ stdout, ...props }: { stdout: NodeJS.WriteStream; report: Report; wallSeconds?: number; initialPanel?: PanelId }) {
  const size = useTerminalSize(stdout);
  return <Dashboard {...props} columns={size.columns} rows={size.rows} />;
}

/** Shows the dashboard full-screen until the user quits (q). */
export async function showDashboard(report: Report, options: TerminalStreams & { wallSeconds?: number; initialPanel?: PanelId } = {}): Promise<void> {
  const stdout = options.stdout ?? process.stdout;
  const color = options.color ?? colorFromEnv();
  const { stdout: _o, stdin: _i, color: _c, ...props } = options;
  await fullScreen(stdout, options.stdin ?? process.stdin, themed(color, <SizedDashboard stdout={stdout} report={report} {...props} />));
}

/** Runs an interactive ink app on the alternate screen until it exits, restoring the screen even on errors. */
export async function fullScreen(stdout: NodeJS.WriteStream, stdin: NodeJS.ReadStream, node: ReactElement): Promise<void> {
  stdout.write(ENTER_ALT_SCREEN);
  try {
    const instance = render(node, { stdout, stdin, exitOnCtrlC: false, patchConsole: false });
    await instance.waitUntilExit();
  } finally {
    stdout.write(LEAVE_ALT_SCREEN);
  }
}

/** The dashboard rendered once as text (no keys), e.g. for a README or a log. */
export function dashboardToString(report: Report, options: { columns?: number; rows?: number; panel?: PanelId; color?: boolean } = {}): string {
  const columns = options.columns ?? FALLBACK_SIZE.columns;
  const rows = options.rows ?? FALLBACK_SIZE.rows;
  return renderToString(themed(options.color ?? false, <Dashboard report={report} columns={columns} rows={rows} interactive={false} {...(options.panel ? { initialPanel: options.panel } : {})} />), { columns });
}
