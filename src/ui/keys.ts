/**
 * Keys for the interactive views, one at a time. ink splits escape sequences (arrows
 * come one event each) but hands a run of plain characters that arrived together (keys
 * typed faster than a frame, `tmux send-keys jjjj`, a paste) to `useInput` as one
 * string: a handler comparing `input === 'j'` would drop all of them. `useKeys` calls
 * the handler once per character instead.
 */
import { type Key, useInput } from 'ink';

export type KeyHandler = (input: string, key: Key) => void;

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** One character of a burst as ink would have reported it alone. */
function single(ch: string): [string, Key] {
  if (ch === '\r' || ch === '\n') return ['', { ...NO_KEY, return: true }];
  if (ch === '\t') return ['', { ...NO_KEY, tab: true }];
  if (ch === '\x7f' || ch === '\b') return ['', { ...NO_KEY, backspace: true }];
  const code = ch.codePointAt(0)!;
  // Ctrl+letter arrives as 1..26: ink names it by the letter with ctrl set.
  if (code >= 1 && code <= 26) return [String.fromCharCode(code + 96), { ...NO_KEY, ctrl: true }];
  return [ch, { ...NO_KEY, shift: /[A-Z]/.test(ch) }];
}

/** The keys in one `useInput` event: itself, or each character of a burst. */
export function splitKeys(input: string, key: Key): Array<[string, Key]> {
  const chars = [...input];
  if (chars.length <= 1 || key.ctrl || key.meta) return [[input, key]];
  return chars.map(single);
}

/** `useInput`, with a burst of characters handled as that many key presses. */
export function useKeys(handler: KeyHandler, options: { isActive?: boolean } = {}): void {
  useInput((input, key) => {
    for (const [i, k] of splitKeys(input, key)) handler(i, k);
  }, options);
}
