/**
 * Long imports show progress: with --progress (or at a terminal, a live bar on stderr)
 * the import reports how far into the file it is, ending at 100%.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = resolve('bin/lbsim.js');

describe('import progress', () => {
  it('--progress prints progress lines on stderr, the last at 100%, and stdout stays empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbsim-import-progress-'));
    const r = spawnSync(process.execPath, [BIN, 'import', resolve('test/fixtures/nginx.log'), '--format', 'nginx', '-o', join(dir, 'n.lbt'), '--progress'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('progress '));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[lines.length - 1]).toMatch(/^progress 100\.0% of nginx\.log · 12 lines · 12 requests/);
  });

  it('without --progress and without a terminal, no progress is printed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbsim-import-progress-'));
    const r = spawnSync(process.execPath, [BIN, 'import', resolve('test/fixtures/nginx.log'), '--format', 'nginx', '-o', join(dir, 'n.lbt')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/^progress |importing /m);
  });
});
