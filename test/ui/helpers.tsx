/** Rendering UI components for tests at a chosen terminal width, colour off so frames read as text. */
import { render } from 'ink-testing-library';
import { type ReactElement, useEffect } from 'react';
import { ThemeContext } from '../../src/ui/theme.tsx';

export type Rendered = ReturnType<typeof render>;

/**
 * ink-testing-library's stdout is 100 columns wide; ink reads the width on every render,
 * so the width is set on its stdout and the tree rendered again.
 */
export function renderAt(node: ReactElement, columns: number): Rendered {
  const tree = <ThemeContext.Provider value={{ color: false }}>{node}</ThemeContext.Provider>;
  const r = render(tree);
  Object.defineProperty(r.stdout, 'columns', { get: () => columns });
  r.rerender(tree);
  return r;
}

export function frameOf(r: Rendered): string {
  return r.lastFrame() ?? '';
}

export function linesOf(r: Rendered): string[] {
  return frameOf(r).split('\n');
}

/** Widest line of a frame in terminal cells (every glyph the UI draws is one cell wide, so code points count cells). */
export function widestLine(frame: string): number {
  return Math.max(0, ...frame.split('\n').map((l) => [...l].length));
}

/** Lets ink handle queued input and render. */
export const settle = () => new Promise<void>((r) => setTimeout(r, 30));

export const KEYS = { up: '\x1b[A', down: '\x1b[B', right: '\x1b[C', left: '\x1b[D', enter: '\r', tab: '\t' } as const;

/** Calls `onUnmount` when the tree is torn down: how a test sees that `q` ended the app. */
export function UnmountProbe({ onUnmount, children }: { onUnmount: () => void; children: ReactElement }) {
  useEffect(() => onUnmount, [onUnmount]);
  return children;
}

/**
 * Waits until the last frame passes `test` (ink handles input and renders asynchronously;
 * on a loaded machine that takes longer than one tick) and returns it; after `timeoutMs`
 * returns the last frame anyway, for the test's own assertion to fail on.
 */
export async function frameWhen(r: Rendered, test: (frame: string) => boolean, timeoutMs = 3000): Promise<string> {
  const until = Date.now() + timeoutMs;
  while (!test(frameOf(r)) && Date.now() < until) await new Promise((res) => setTimeout(res, 10));
  return frameOf(r);
}
