/**
 * Time values as the proxies write them. HAProxy (doc "2.5 Time format"): a number with
 * an optional unit us, ms, s, m, h, d; no unit means milliseconds. nginx ("Measurement
 * units"): ms, s, m, h, d, w, M, y, combinable ("1m30s"); no unit means seconds.
 * Returns ms, or undefined when the text is not a time.
 */
const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, M: 2_592_000_000, y: 31_536_000_000 };

export function haproxyTime(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(us|ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
}

export function nginxTime(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const re = /(\d+)(ms|s|m|h|d|w|M|y)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    end = re.lastIndex;
  }
  return end === t.length && end > 0 ? total : undefined;
}
