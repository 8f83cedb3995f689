/**
 * The real binary in a real terminal: `lbsim run` inside tmux (send-keys, capture-pane).
 * The live view advances, the dashboard appears when the run ends, keys switch panels
 * and pick a backend, `q` leaves with exit code 0 and the text summary in the scrollback.
 * Needs tmux (apt-get install -y tmux) and a built dist/ (`npm test` builds first).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
/** A private tmux server, so the test neither sees nor disturbs anyone else's sessions. */
const SOCKET = `lbsim-e2e-${process.pid}`;
const SESSION = 'tui';

function tmuxMissing(): string | null {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'tmux is not installed (apt-get install -y tmux)';
  }
}

const missing = tmuxMissing();
if (missing !== null) process.stderr.write(`test/e2e/tui-tmux.test.ts skipped: ${missing}\n`);

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', SESSION);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the screen until `test` passes; returns that screen, or throws with the last one. */
async function waitForScreen(test: (s: string) => boolean, what: string, timeoutMs = 60_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    last = screen();
    if (test(last)) return last;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}; the screen was:\n${last}`);
}

/**
 * Long enough (≈ 6 M requests) that the live view updates several times on a busy
 * 2-core machine; overloaded (api-a gets 4 of 6 requests and rejects) so counters move.
 */
const SCENARIO = `name: tui-e2e
seed: 5
start: 2024-04-15T10:00:00Z
duration: 10m
timeout: 2s
traffic:
  synthetic:
    rate: 10000/s
    service: { distribution: exponential, mean: 1ms }
balancer: { algorithm: weighted-round-robin }
backends:
  - { name: api-a, weight: 4, concurrency: 4, queue: 100 }
  - { name: api-b, weight: 1, concurrency: 4, queue: 100 }
  - { name: api-c, weight: 1, concurrency: 4, queue: 100 }
report: { interval: 5s }
slo: { p99: 50ms, errors: 1% }
`;

describe.skipIf(missing !== null)(`lbsim run in tmux${missing === null ? '' : ` (skipped: ${missing})`}`, () => {
  let dir = '';
  afterAll(async () => {
    try {
      tmux('kill-server');
    } catch {
      // The server is gone already when the session ended by itself.
    }
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('live view advances, dashboard appears, keys switch panels, q exits 0', async () => {
    expect(existsSync(join(REPO, 'dist/bundle/lbsim.js')), 'dist/ is missing: run `npm run build` (npm test does)').toBe(true);
    dir = await mkdtemp(join(tmpdir(), 'lbsim-tui-'));
    const file = join(dir, 'scenario.yaml');
    await writeFile(file, SCENARIO);
    // CI and NO_COLOR from the test's environment would (rightly) turn the UI off or grey.
    const command = `cd '${REPO}' && env -u CI -u NO_COLOR TERM=xterm-256color node bin/lbsim.js run '${file}'; echo "EXIT=$?"; sleep 60`;
    tmux('new-session', '-d', '-s', SESSION, '-x', '100', '-y', '30', command);

    // 1. The live view, seen at two different progress figures.
    const progress = new Set<string>();
    const live = /(\d+\.\d)%\s+sim (\S+) of 10m00s/;
    let sawCounters = false;
    const dashboard = await waitForScreen((s) => {
      const m = live.exec(s);
      if (m) progress.add(m[1]!);
      if (/rejected [1-9][\d,]*/.test(s) && /api-a\s+█/.test(s)) sawCounters = true;
      return s.includes('1-6/tab panels');
    }, 'the dashboard');
    expect(progress.size, `live progress figures seen: ${[...progress].join(', ')}`).toBeGreaterThanOrEqual(2);
    expect(sawCounters).toBe(true);

    // 2. The dashboard: headline numbers, latency panel first, wall-clock axis.
    // At 100 columns the header keeps the verdict and sheds the seed and request count first (dashboard-header.tsx).
    expect(dashboard).toMatch(/tui-e2e · weighted-round-robin(?: · seed 5)? │ (?:[\d,]+ requests · )?failed \d[\d.]*% · p99 \S+ · [✗✓] SLO/);
    expect(dashboard).toContain('Response time per interval');
    expect(dashboard).toContain('SLO p99 50.0ms');
    expect(dashboard).toContain('10:04:00');

    // 3. Keys: 3 → overload timeline; tab → backend table; ↓ enter → inspect api-b.
    tmux('send-keys', '-t', SESSION, '3');
    const overload = await waitForScreen((s) => s.includes('Failed requests per interval'), 'the overload panel', 10_000);
    expect(overload).toMatch(/api-a\s+│█+/);
    tmux('send-keys', '-t', SESSION, 'Tab');
    await waitForScreen((s) => s.includes('Backends in scenario order'), 'the backends panel', 10_000);
    tmux('send-keys', '-t', SESSION, 'Down');
    tmux('send-keys', '-t', SESSION, 'Enter');
    await waitForScreen((s) => /^api-b \(2 of 3/m.test(s), 'api-b inspected', 10_000);
    tmux('send-keys', '-t', SESSION, '+');
    await waitForScreen((s) => /zoom 10:02:3\d–10:07:3\d/.test(s), 'the zoomed axis', 10_000);

    // 4. q leaves the dashboard: exit 0, the text summary left on the main screen.
    tmux('send-keys', '-t', SESSION, 'q');
    const after = await waitForScreen((s) => /EXIT=\d+/.test(s), 'the exit', 10_000);
    expect(after).toContain('EXIT=0');
    expect(after).toMatch(/overload\s+1 range/);
    expect(after).not.toContain('1-6/tab panels');
  });
});
