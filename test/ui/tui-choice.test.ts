/** When `lbsim run` opens the live UI and when it prints plain output. */
import { describe, expect, it } from 'vitest';
import { plainOutputReason, shouldUseTui, type TuiEnvironment } from '../../src/cli/tui.ts';
import { colorFromEnv } from '../../src/ui/theme.tsx';

const terminal: TuiEnvironment = { env: { TERM: 'xterm-256color' }, stdoutIsTTY: true, stdinIsTTY: true };

describe('live UI or plain output', () => {
  it('a person at a terminal gets the UI', () => {
    expect(shouldUseTui({ format: 'text' }, terminal)).toBe(true);
    expect(shouldUseTui({ format: 'text', tui: true }, terminal)).toBe(true);
    expect(shouldUseTui({}, { ...terminal, env: { CI: 'false' } })).toBe(true);
  });

  it.each([
    ['--no-tui', { tui: false }, terminal],
    ['--format json', { format: 'json' }, terminal],
    ['--format csv', { format: 'csv' }, terminal],
    ['--progress', { progress: true }, terminal],
    ['stdout is not a terminal', {}, { ...terminal, stdoutIsTTY: false }],
    ['stdin is not a terminal (no keys for the dashboard)', {}, { ...terminal, stdinIsTTY: false }],
    ['CI', {}, { ...terminal, env: { CI: 'true' } }],
    ['CI', {}, { ...terminal, env: { CI: '1' } }],
    ['TERM=dumb', {}, { ...terminal, env: { TERM: 'dumb' } }],
  ] as const)('plain output for %s', (reason, opts, env) => {
    expect(plainOutputReason(opts, env)).toBe(reason);
    expect(shouldUseTui(opts, env)).toBe(false);
  });

  it('NO_COLOR (any non-empty value) turns colour off', () => {
    expect(colorFromEnv({})).toBe(true);
    expect(colorFromEnv({ NO_COLOR: '' })).toBe(true);
    expect(colorFromEnv({ NO_COLOR: '1' })).toBe(false);
  });
});
