/**
 * Spawns the real binary (`node bin/lbsim.js ...`, which runs the bundle in dist/bundle), as
 * a user would. `npm test` builds dist/ first; when running single test files, run
 * `npm run build` before.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(REPO_ROOT, 'bin', 'lbsim.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function assertBuilt(): void {
  if (!existsSync(join(REPO_ROOT, 'dist', 'bundle', 'lbsim.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it) before the end-to-end tests');
  }
}

/**
 * Runs `lbsim ...args` and collects its exit code and output. `bundle`: the CLI of that
 * copy of dist/bundle instead of bin/lbsim.js (inside the repository, so its packages resolve).
 */
export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; bundle?: string } = {}): Promise<CliResult> {
  assertBuilt();
  const entry =
    options.bundle === undefined
      ? [BIN]
      : ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(join(options.bundle, 'lbsim.js'))}); process.exitCode = await main([process.argv[0], 'lbsim', ...process.argv.slice(1)]);`, '--'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...entry, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', CI: 'true', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** True when text looks like a JavaScript stack trace (what a user must never see for a mistake). */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+(\(|:\d+:\d+)/m.test(text) || /node:internal/.test(text);
}

/**
 * A user's mistake as the brief defines it: exit 2, nothing on stdout, exactly one
 * `lbsim: ` line on stderr matching `expected` (which names file, line and field), no
 * stack trace. Returns that line.
 */
export function expectOneUserError(r: CliResult, expected: RegExp): string {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(hasStackTrace(r.stderr), r.stderr).toBe(false);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^lbsim: /);
  expect(lines[0]).toMatch(expected);
  return lines[0]!;
}
