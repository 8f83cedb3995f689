/** `--format text`: the human summary says what each figure is over. */
import { describe, expect, it } from 'vitest';
import { formatText } from '../../src/report/text.ts';
import { OVERLOADED_YAML, reportOf } from '../ui/reports.ts';

describe('the text summary', () => {
  it('names its latency line as over completed requests, and counts failures beside it', () => {
    const r = reportOf(OVERLOADED_YAML);
    expect(r.requests.rejected + r.requests.timedOut).toBeGreaterThan(0);
    const text = formatText(r);
    expect(text).toMatch(/^latency {3}of completed: mean \S+ {2}p50 /m);
    expect(text).toContain(`completed ${r.requests.completed.toLocaleString('en-US')}`);
    expect(text).toContain(`failed ${(r.requests.failedShare * 100).toFixed(1)}%`);
  });
});
