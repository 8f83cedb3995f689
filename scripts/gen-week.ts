/**
 * `npm run gen:week`: writes scenarios/week/week.lbt, a realistic week of traffic for a
 * mid-sized web service (generated, not committed: ~16 M requests, ~340 MB):
 *
 * - a daily cycle: ~8 req/s at 04:00 UTC, ~60 req/s in the 14:00 UTC peak, on weekdays;
 *   weekends at 60%;
 * - a flash crowd on Wednesday 14:00–14:20 UTC at 3x the usual peak;
 * - work lognormal, mean 50 ms, cv 1.2 (a long tail of slow requests);
 * - 200 k clients with Zipf skew 1.05, 300 routes with skew 0.9.
 *
 * Arrivals are lbsim's own synthetic traffic (seeded, Poisson with the profile above), so
 * the file is byte-identical on every machine. Trace time 0 is Monday 2024-04-08 00:00 UTC.
 *
 *   npm run gen:week [-- --out FILE] [-- --scale 0.1]   (scale multiplies every rate)
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TraceWriter } from '../src/traffic/lbt/writer.ts';
import { RequestChunk } from '../src/traffic/source.ts';
import type { RatePoint } from '../src/traffic/rate-profile.ts';
import { SyntheticTraffic } from '../src/traffic/synthetic.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const out = opt('--out') ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios', 'week', 'week.lbt');
const scale = Number(opt('--scale') ?? 1);

/** Requests per second at hour h of a weekday: a smooth day, low at 04:00, peak at 14:00. */
function weekday(h: number): number {
  return 8 + 52 * (0.5 - 0.5 * Math.cos((2 * Math.PI * (h - 4)) / 24)) ** 1.5;
}

const profile: RatePoint[] = [];
for (let d = 0; d < 7; d++) {
  const weekend = d >= 5 ? 0.6 : 1;
  for (let h = 0; h < 24; h++) profile.push({ at: d * DAY + h * HOUR, rate: weekday(h) * weekend * scale });
}
// Wednesday's flash crowd: steps up to 3x the peak for 20 minutes.
const wed = 2 * DAY + 14 * HOUR;
profile.push({ at: wed, rate: 180 * scale }, { at: wed + 20 * 60_000, rate: 180 * scale }, { at: wed + 20 * 60_000, rate: weekday(14.34) * scale });
profile.sort((a, b) => a.at - b.at || 0);
profile.push({ at: 7 * DAY, rate: weekday(0) * 0.6 * scale });

const traffic = new SyntheticTraffic({
  rate: profile,
  service: { distribution: 'lognormal', mean: 50, cv: 1.2 },
  clients: { count: 200_000, skew: 1.05 },
  routes: { count: 300, skew: 0.9 },
  durationMs: 7 * DAY,
  seed: 20240408,
});
const w = new TraceWriter(out, { originEpochMs: Date.UTC(2024, 3, 8) });
const chunk = new RequestChunk(65_536);
const t0 = performance.now();
try {
  for (;;) {
    traffic.fill(chunk);
    if (chunk.count === 0) break;
    for (let i = 0; i < chunk.count; i++) w.push(chunk.arrival[i]!, chunk.work[i]!, chunk.client[i]!, chunk.route[i]!, 0);
  }
  w.finish();
} catch (e) {
  w.abort();
  throw e;
}
process.stderr.write(`wrote ${w.requests.toLocaleString('en-US')} requests to ${out} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
