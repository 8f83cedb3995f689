/**
 * Every file a test run writes under the system's temp directory goes into one scratch
 * directory of that run, removed when the run ends. Tests make their own temp directories
 * (mkdtemp) and the CLI they spawn writes its import cache and temp files there too; before
 * this, each `npm test` left ~40 directories in /tmp (665 from one nginx test over a day),
 * and runs shared the import cache in /tmp/lbsim-imports with each other and with the user.
 *
 * A global setup runs in the main process before the test workers start, and the workers
 * and the processes the tests spawn inherit TMPDIR, which `os.tmpdir()` reads each call.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const scratch = mkdtempSync(join(tmpdir(), 'lbsim-test-run-'));
  process.env.TMPDIR = scratch;
  return () => rmSync(scratch, { recursive: true, force: true });
}
