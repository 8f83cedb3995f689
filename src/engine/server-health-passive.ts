/**
 * Passive health checks: what a proxy learns from the requests it sends.
 *
 * nginx 1.22 `max_fails` / `fail_timeout` (ngx_http_upstream_round_robin.c):
 * - a failed attempt is an error or a timeout, proxy_next_upstream's default: here a
 *   refused connection (outage) or a client timeout. A 503 answered by a full queue is a
 *   response, not a failure, unless proxy_next_upstream lists http_503 (not modelled).
 *   On failure (free_round_robin_peer, NGX_PEER_FAILED): fails++, accessed = checked = now.
 * - a peer with fails >= max_fails is skipped while now - checked <= fail_timeout
 *   (get_peer); lbsim makes it usable again from checked + fail_timeout on.
 * - picking a peer whose window passed sets checked = now, which blocks it again at once
 *   while fails >= max_fails: after fail_timeout nginx lets one request through, and only
 *   its success (accessed < checked: fails = 0) frees the peer, while its failure blocks
 *   it for another fail_timeout.
 * - no peer usable: the request fails (502) and every peer's fails are reset to 0
 *   ("all peers failed, mark them as live for quick recovery").
 * nginx counts time in whole seconds (ngx_time()); lbsim in ms. nginx also lowers a
 *   failed peer's smooth-WRR effective_weight by weight / max_fails; not modelled.
 *
 * Envoy 1.28 outlier detection (source/common/upstream/outlier_detection_impl.cc):
 * - every 5xx or local-origin error (refused connection: 503, timeout: 504, a full
 *   queue's 503) counts; split_external_local_origin_errors is false by default, so all
 *   go to the 5xx counters. A success resets the consecutive count.
 * - consecutive_5xx failures in a row eject the host at once (onConsecutiveErrorWorker,
 *   then ejectHost) if (active ejections + 1) / hosts × 100 <= max_ejection_percent
 *   (or none is ejected yet and always_eject_one_host); the counter resets either way.
 *   Ejection: eject time backoff += 1 while backoff × base < max + base.
 * - every `interval` (a timer from the detector's creation) a sweep unejects hosts whose
 *   min(base × backoff, max_ejection_time) has passed since their ejection (counters
 *   reset), rotates the success-rate buckets, ejects by success rate, and decrements the
 *   backoff of hosts not ejected and unejected at least an interval ago.
 * - success rate (enforcing_success_rate 100 by default): among hosts not ejected with at
 *   least success_rate_request_volume requests in the last interval, if there are at
 *   least success_rate_minimum_hosts, those below mean - stdev_factor × stdev are ejected.
 *   Hosts are taken in index order (Envoy iterates a hash map). Failure-percentage
 *   ejection (enforcing_failure_percentage, 0 by default) and jitter (0 by default) are
 *   not modelled.
 * Envoy learns of a timeout when it fires; lbsim counts it when the late answer arrives.
 */
import type { BackendSpec } from './backends.ts';
import { Failure, type OutlierSpec } from './server-health-types.ts';

export class PassiveChecks {
  readonly enabled: Uint8Array;
  private readonly maxFails: Int32Array;
  private readonly failTimeout: Float64Array;
  private readonly fails: Int32Array;
  private readonly checked: Float64Array;
  private readonly accessed: Float64Array;
  /** 1 while the peer is skipped (fails >= max_fails within fail_timeout of checked). */
  private readonly blocked: Uint8Array;

  /** `clock`: the engine's (per-request calls read the time instead of taking it: a double argument is boxed). */
  constructor(
    specs: readonly BackendSpec[],
    private readonly clock: { readonly now: number },
  ) {
    const n = specs.length;
    this.enabled = Uint8Array.from(specs, (s) => (s.passive === undefined ? 0 : 1));
    this.maxFails = Int32Array.from(specs, (s) => s.passive?.maxFails ?? 0);
    this.failTimeout = Float64Array.from(specs, (s) => s.passive?.failTimeoutMs ?? 0);
    this.fails = new Int32Array(n);
    this.checked = new Float64Array(n);
    this.accessed = new Float64Array(n);
    this.blocked = new Uint8Array(n);
  }

  up(b: number): boolean {
    return this.blocked[b] === 0;
  }

  /** get_peer chose b now. Returns true when b became blocked. */
  picked(b: number): boolean {
    const t = this.clock.now;
    if (t - this.checked[b]! <= this.failTimeout[b]!) return false;
    this.checked[b] = t;
    return this.block(b);
  }

  /** Returns true when b became blocked. */
  failed(b: number, failure: Failure): boolean {
    if (failure === Failure.Rejected) return this.succeeded(b);
    const t = this.clock.now;
    this.fails[b]!++;
    this.accessed[b] = t;
    this.checked[b] = t;
    return this.block(b);
  }

  /** Returns true when b became usable. */
  succeeded(b: number): boolean {
    if (this.accessed[b]! < this.checked[b]!) this.fails[b] = 0;
    return this.unblockIfClear(b);
  }

  /** Unblocks the peers whose fail_timeout passed by t; returns the next recovery time. */
  recover(t: number, changed: (b: number) => void): number {
    for (let b = 0; b < this.blocked.length; b++) {
      if (this.blocked[b] === 1 && this.checked[b]! + this.failTimeout[b]! <= t) {
        this.blocked[b] = 0;
        changed(b);
      }
    }
    return this.nextRecovery();
  }

  nextRecovery(): number {
    let min = Number.POSITIVE_INFINITY;
    for (let b = 0; b < this.blocked.length; b++) if (this.blocked[b] === 1) min = Math.min(min, this.checked[b]! + this.failTimeout[b]!);
    return min;
  }

  /** "All peers failed": fails = 0 everywhere. Returns true if any peer became usable. */
  resetAll(changed: (b: number) => void): boolean {
    let any = false;
    for (let b = 0; b < this.blocked.length; b++) {
      if (this.enabled[b] === 0) continue;
      this.fails[b] = 0;
      if (this.unblockIfClear(b)) {
        changed(b);
        any = true;
      }
    }
    return any;
  }

  save(out: number[]): void {
    for (let b = 0; b < this.fails.length; b++) out.push(this.fails[b]!, this.checked[b]!, this.accessed[b]!, this.blocked[b]!);
  }

  load(state: readonly number[], at: number): number {
    for (let b = 0; b < this.fails.length; b++) {
      this.fails[b] = state[at++]!;
      this.checked[b] = state[at++]!;
      this.accessed[b] = state[at++]!;
      this.blocked[b] = state[at++]!;
    }
    return at;
  }

  private block(b: number): boolean {
    const max = this.maxFails[b]!;
    if (max === 0 || this.fails[b]! < max || this.blocked[b] === 1) return false;
    this.blocked[b] = 1;
    return true;
  }

  private unblockIfClear(b: number): boolean {
    if (this.blocked[b] === 0 || this.fails[b]! >= this.maxFails[b]!) return false;
    this.blocked[b] = 0;
    return true;
  }
}

export class OutlierDetector {
  private readonly consecutive: Int32Array;
  private readonly ejected: Uint8Array;
  private readonly lastEjection: Float64Array;
  /** NaN until the host is first unejected. */
  private readonly lastUnejection: Float64Array;
  private readonly backoff: Int32Array;
  private active = 0;
  /** Success-rate buckets: the one being written and the last complete interval's. */
  private srCurrentTotal: Float64Array;
  private srCurrentOk: Float64Array;
  private srBackupTotal: Float64Array;
  private srBackupOk: Float64Array;

  constructor(
    private readonly spec: OutlierSpec,
    private readonly n: number,
    private readonly clock: { readonly now: number },
  ) {
    this.consecutive = new Int32Array(n);
    this.ejected = new Uint8Array(n);
    this.lastEjection = new Float64Array(n);
    this.lastUnejection = new Float64Array(n).fill(Number.NaN);
    this.backoff = new Int32Array(n);
    this.srCurrentTotal = new Float64Array(n);
    this.srCurrentOk = new Float64Array(n);
    this.srBackupTotal = new Float64Array(n);
    this.srBackupOk = new Float64Array(n);
  }

  up(b: number): boolean {
    return this.ejected[b] === 0;
  }

  firstSweep(startMs: number): number {
    const i = this.spec.intervalMs;
    return Math.max(1, Math.ceil(startMs / i)) * i;
  }

  failed(b: number, changed: (b: number) => void, counted: (b: number) => void): void {
    this.srCurrentTotal[b]!++;
    if (++this.consecutive[b]! < this.spec.consecutive5xx || this.ejected[b] === 1) return;
    this.eject(b, this.clock.now, this.spec.enforcingConsecutive5xx, changed, counted);
    this.consecutive[b] = 0;
  }

  succeeded(b: number): void {
    this.srCurrentTotal[b]!++;
    this.srCurrentOk[b]!++;
    this.consecutive[b] = 0;
  }

  /** onIntervalTimer(); returns the next sweep's time. */
  sweep(t: number, changed: (b: number) => void, counted: (b: number) => void): number {
    const s = this.spec;
    for (let b = 0; b < this.n; b++) {
      if (this.ejected[b] === 1 && Math.min(s.baseEjectionMs * this.backoff[b]!, s.maxEjectionMs) <= t - this.lastEjection[b]!) {
        this.active--;
        this.ejected[b] = 0;
        this.consecutive[b] = 0;
        this.lastUnejection[b] = t;
        changed(b);
      }
    }
    // updateCurrentSuccessRateBucket(): the current bucket becomes the one read.
    const total = this.srBackupTotal;
    const ok = this.srBackupOk;
    this.srBackupTotal = this.srCurrentTotal;
    this.srBackupOk = this.srCurrentOk;
    this.srCurrentTotal = total;
    this.srCurrentOk = ok;
    this.srCurrentTotal.fill(0);
    this.srCurrentOk.fill(0);
    this.successRateEjections(t, changed, counted);
    for (let b = 0; b < this.n; b++) {
      if (this.ejected[b] === 0 && !Number.isNaN(this.lastUnejection[b]!) && t - this.lastUnejection[b]! >= s.intervalMs && this.backoff[b]! > 0) this.backoff[b]!--;
    }
    return t + s.intervalMs;
  }

  /** processSuccessRateEjections() for the external-origin monitor. */
  private successRateEjections(t: number, changed: (b: number) => void, counted: (b: number) => void): void {
    const s = this.spec;
    if (s.enforcingSuccessRate === 0 || this.n < s.successRateMinimumHosts) return;
    let valid = 0;
    let sum = 0;
    for (let b = 0; b < this.n; b++) {
      if (this.ejected[b] === 0 && this.srBackupTotal[b]! >= s.successRateRequestVolume) {
        valid++;
        sum += this.rate(b);
      }
    }
    if (valid === 0 || valid < s.successRateMinimumHosts) return;
    const mean = sum / valid;
    let variance = 0;
    for (let b = 0; b < this.n; b++) if (this.ejected[b] === 0 && this.srBackupTotal[b]! >= s.successRateRequestVolume) variance += (this.rate(b) - mean) ** 2;
    const threshold = mean - s.successRateStdevFactor * Math.sqrt(variance / valid);
    for (let b = 0; b < this.n; b++) {
      if (this.ejected[b] === 0 && this.srBackupTotal[b]! >= s.successRateRequestVolume && this.rate(b) < threshold) this.eject(b, t, s.enforcingSuccessRate, changed, counted);
    }
  }

  /** Never unejected is -1 in the saved state (NaN would never compare equal). The sweeps are on the fixed grid (firstSweep). */
  save(out: number[]): void {
    for (let b = 0; b < this.n; b++) {
      const un = this.lastUnejection[b]!;
      out.push(this.consecutive[b]!, this.ejected[b]!, this.lastEjection[b]!, Number.isNaN(un) ? -1 : un, this.backoff[b]!);
      out.push(this.srCurrentTotal[b]!, this.srCurrentOk[b]!, this.srBackupTotal[b]!, this.srBackupOk[b]!);
    }
  }

  load(state: readonly number[], at: number): number {
    this.active = 0;
    for (let b = 0; b < this.n; b++) {
      this.consecutive[b] = state[at++]!;
      this.ejected[b] = state[at++]!;
      this.lastEjection[b] = state[at++]!;
      const un = state[at++]!;
      this.lastUnejection[b] = un < 0 ? Number.NaN : un;
      this.backoff[b] = state[at++]!;
      this.srCurrentTotal[b] = state[at++]!;
      this.srCurrentOk[b] = state[at++]!;
      this.srBackupTotal[b] = state[at++]!;
      this.srBackupOk[b] = state[at++]!;
      this.active += this.ejected[b]!;
    }
    return at;
  }

  private rate(b: number): number {
    return (this.srBackupOk[b]! * 100) / this.srBackupTotal[b]!;
  }

  /** ejectHost(). */
  private eject(b: number, t: number, enforcing: number, changed: (b: number) => void, counted: (b: number) => void): void {
    const s = this.spec;
    const percent = (100 * (this.active + 1)) / this.n;
    const allowed = percent <= s.maxEjectionPercent || (s.alwaysEjectOneHost && this.active === 0);
    if (!allowed || enforcing === 0) return;
    this.active++;
    this.ejected[b] = 1;
    this.lastEjection[b] = t;
    if (this.backoff[b]! * s.baseEjectionMs < s.maxEjectionMs + s.baseEjectionMs) this.backoff[b]!++;
    counted(b);
    changed(b);
  }
}
