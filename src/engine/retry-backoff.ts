/**
 * Envoy 1.28's retry back-off (route retry_back_off; source/common/common/
 * backoff_strategy.cc JitteredExponentialBackOffStrategy): retry n waits
 * `random() % interval_n` ms, interval_1 = base, then doubled while below max / 2, else
 * max — "fully jittered exponential back-off": [0, 25), [0, 50), [0, 100), [0, 200),
 * [0, 250) ms by default. The jitter is drawn from counter-based streams keyed by (seed,
 * retry number, request), so a run repeats exactly however it is split.
 */
import { Purpose, streamKey, uniform } from '../random/counter-rng.ts';

export class EnvoyBackoff {
  /** Per retry number n (1..retries): the interval and the jitter stream's keys. */
  private readonly interval: Float64Array;
  private readonly k1: Float64Array;
  private readonly k2: Float64Array;

  constructor(backoff: { baseMs: number; maxMs: number }, retries: number, seed: number) {
    const n = retries + 1;
    this.interval = new Float64Array(n);
    this.k1 = new Float64Array(n);
    this.k2 = new Float64Array(n);
    let next = backoff.baseMs;
    for (let r = 1; r < n; r++) {
      this.interval[r] = next;
      // next_interval_ = next_interval_ < doubling_limit_ (max / 2) ? next_interval_ * 2 : max_interval_
      next = next < backoff.maxMs / 2 ? next * 2 : backoff.maxMs;
      const key = streamKey(seed, Purpose.RetryBackoff, r);
      this.k1[r] = key.k1;
      this.k2[r] = key.k2;
    }
  }

  /** The wait before retry `retry` (1..retries) of `request`: a whole number of ms in [0, interval). */
  delayMs(retry: number, request: number): number {
    return Math.floor(uniform(this.k1[retry]!, this.k2[retry]!, request) * this.interval[retry]!);
  }
}
