/**
 * The live progress line of a long import at a terminal: the shared ProgressBar fed with
 * bytes read of the file's size. Drawn on stderr, so stdout stays free.
 */
import { render } from 'ink';
import { ProgressBar, etaMs } from './progress-bar.tsx';
import { colorFromEnv, ThemeContext } from './theme.tsx';
import { formatCount } from '../scenario/units.ts';

export interface ImportProgressView {
  update(p: { bytesRead: number; totalBytes: number; requests: number; elapsedMs: number }): void;
  /** Erases the line and stops drawing. */
  stop(): void;
}

export function startImportProgress(label: string, stream: NodeJS.WriteStream = process.stderr): ImportProgressView {
  const color = colorFromEnv();
  const columns = stream.columns ?? 80;
  const view = (fraction: number, detail: readonly string[], eta: number) => (
    <ThemeContext.Provider value={{ color }}>
      <ProgressBar fraction={fraction} width={columns} label={label} detail={detail} etaMs={eta} />
    </ThemeContext.Provider>
  );
  const instance = render(view(0, [], Number.NaN), { stdout: stream, stdin: process.stdin, exitOnCtrlC: false, patchConsole: false });
  let stopped = false;
  return {
    update({ bytesRead, totalBytes, requests, elapsedMs }) {
      if (stopped) return;
      const rate = elapsedMs > 0 ? (requests / elapsedMs) * 1000 : 0;
      // Most useful first: at 80 columns the request count gives way, then the position; the ETA stays.
      const detail = [`${(rate / 1e6).toFixed(2)} M rows/s`, `${(bytesRead / 1e6).toFixed(0)} of ${(totalBytes / 1e6).toFixed(0)} MB`, `${formatCount(requests)} requests`];
      instance.rerender(view(totalBytes > 0 ? bytesRead / totalBytes : 0, detail, etaMs(bytesRead, totalBytes, elapsedMs)));
    },
    stop() {
      if (stopped) return;
      stopped = true;
      instance.clear();
      instance.unmount();
    },
  };
}
