/**
 * JSON output of the workflow commands (compare, diff, capacity), with numbers rounded at
 * the output boundary as `run`'s report rounds its own (src/report/build.ts: ms to the µs,
 * shares to 6 decimals). Means over replications and their intervals are computed in full
 * precision and carry float noise (0.7473812000000001); 6 decimals keep every figure a
 * run's report holds exactly (3 decimals of ms, 6 of a share) and drop only that noise.
 * Deterministic: the same runs give the same text. NaN and ±Infinity become null, as JSON
 * has them.
 */
export function workflowJson(value: unknown): string {
  const round = (_key: string, v: unknown) => (typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v) ? Math.round(v * 1e6) / 1e6 : v);
  return `${JSON.stringify(value, round, 2)}\n`;
}
