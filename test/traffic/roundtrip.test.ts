/**
 * Round trip: generated requests written as each log format and imported give the same
 * requests back, within the format's timing precision (PRECISION_MS in log-writers.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TraceReader } from '../../src/traffic/lbt/reader.ts';
import { importLog } from '../../src/traffic/readers/import.ts';
import { clientIdKeyOf, keyOf, routeKeyOf } from '../../src/traffic/readers/keys.ts';
import { RequestChunk, RequestFlag } from '../../src/traffic/source.ts';
import { LINE_WRITERS, PRECISION_MS, headerOf, type LogRequest } from './log-writers.ts';

const dir = mkdtempSync(join(tmpdir(), 'lbsim-roundtrip-'));
const BASE = Date.UTC(2024, 3, 15, 10);

const request = fc.record({
  gapMs: fc.double({ min: 0, max: 2000, noNaN: true }),
  workMs: fc.double({ min: 0, max: 30_000, noNaN: true }),
  queueMs: fc.integer({ min: 0, max: 200 }),
  ip: fc.ipV4(),
  path: fc.constantFrom('/', '/api/users', '/api/orders/42', '/static/app.js', '/search', '/a/b/c'),
  status: fc.constantFrom(200, 200, 200, 201, 304, 404, 500, 502, 503),
});

function readBack(file: string) {
  const r = new TraceReader(file, { from: 0 });
  const c = new RequestChunk(10_000);
  r.fill(c);
  const out = Array.from({ length: c.count }, (_, i) => ({ arrival: c.arrival[i]! + r.header.originEpochMs, work: c.work[i]!, client: c.client[i]!, route: c.route[i]!, flags: c.flags[i]! }));
  r.close();
  return out;
}

describe('round trip through every log format', () => {
  for (const format of Object.keys(LINE_WRITERS) as (keyof typeof LINE_WRITERS)[]) {
    it(`${format}: written and imported, the same requests within ${PRECISION_MS[format].arrival} ms`, async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 60 }), fc.boolean(), async (specs, sometimesNoUpstream) => {
          let t = BASE;
          const reqs: LogRequest[] = specs.map((s, i) => {
            t += s.gapMs;
            return { arrivalEpochMs: t, workMs: s.workMs, queueMs: s.queueMs, clientIp: s.ip, path: s.path, status: s.status, noUpstream: sometimesNoUpstream && i % 7 === 3 };
          });
          const log = join(dir, `${format}-${run}.log`);
          const out = join(dir, `${format}-${run++}.lbt`);
          const h = headerOf(format);
          writeFileSync(log, [...(h ? [h] : []), ...reqs.map(LINE_WRITERS[format])].join('\n') + '\n');
          // nginx lines carry the completion time: a long request can come 30 s "late".
          await importLog(log, out, { format, reorderWindowMs: 60_000 });
          const got = readBack(out);
          expect(got.length).toBe(reqs.length);
          // Equal arrivals may swap after rounding: match each request to the one written, by order of rounded arrival then client/route/work.
          const p = PRECISION_MS[format];
          const want = [...reqs].sort((a, b) => a.arrivalEpochMs - b.arrivalEpochMs);
          for (let i = 0; i < got.length; i++) {
            const g = got[i]!;
            // Search the small neighbourhood of requests the rounding could have reordered.
            const match = want.findIndex(
              (w) =>
                Math.abs(g.arrival - w.arrivalEpochMs) <= p.arrival &&
                g.client === clientIdKeyOf(w.clientIp) &&
                g.route === (format === 'alb' ? routeKeyOf(`shop.example.com:443${w.path}`) : routeKeyOf(w.path)) &&
                (w.noUpstream ? (g.flags & RequestFlag.WorkEstimated) !== 0 : Math.abs(g.work - w.workMs) <= Math.max(p.work, w.workMs * 1e-7)) &&
                ((g.flags & RequestFlag.RecordedFailure) !== 0) === (w.status >= 500 || (w.noUpstream === true && format !== 'nginx')),
            );
            expect(match, `request ${i} of ${format}: ${JSON.stringify(g)} not among those written`).toBeGreaterThanOrEqual(0);
            want.splice(match, 1);
          }
          // And arrival order was kept.
          for (let i = 1; i < got.length; i++) expect(got[i]!.arrival).toBeGreaterThanOrEqual(got[i - 1]!.arrival);
        }),
        { numRuns: 40, seed: 7 },
      );
    });
  }
});
