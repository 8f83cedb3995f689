/**
 * Active health checks, as HAProxy 2.6 runs them (src/check.c).
 *
 * Health counter (set_server_check_status): `health` runs from 0 to rise + fall - 1 and
 * the server is up while health >= rise. A failed check decrements it and drops it to 0
 * as soon as it falls below rise; a passed one increments it and jumps it to the top as
 * soon as it reaches rise. So an up server goes down after `fall` consecutive failures and
 * a down one comes back after `rise` consecutive successes. A server starts with
 * health = rise (server.c: "socket should be up"): up, but a single failure before its
 * first success marks it down.
 *
 * Phases (start_checks / start_check_task, no `spread-checks`, HAProxy's default): the
 * checked servers, in declaration order, start at mininter × srvpos / nbcheck ms (C
 * integer arithmetic), mininter being the smallest `inter` of at least 1 s
 * (SRV_CHK_INTER_THRES) or 0 if none; each check then runs every `inter` (a check is
 * instantaneous here: an outage refuses the connection at once). `fastinter` and
 * `downinter` default to `inter` and are not modelled. A check during an outage fails;
 * at the instant an outage starts or ends the check sees the new truth (Health events
 * run after outage events at equal times).
 *
 * Envoy's active checks (health_checks: interval, unhealthy_threshold,
 * healthy_threshold) use the same consecutive counts; lbsim runs them with the HAProxy
 * phases above (Envoy's initial_jitter and interval_jitter default to 0).
 */
import type { BackendSpec } from './backends.ts';

/** HAProxy's SRV_CHK_INTER_THRES: shorter intervals do not set the start-up spread. */
const SRV_CHK_INTER_THRES = 1000;

export class ActiveChecks {
  readonly enabled: Uint8Array;
  private readonly inter: Float64Array;
  private readonly rise: Int32Array;
  private readonly fall: Int32Array;
  /** HAProxy's check->health. */
  readonly health: Int32Array;
  /** Time of each backend's next check; +Infinity when unchecked. */
  readonly next: Float64Array;
  private readonly phase: Float64Array;

  constructor(specs: readonly BackendSpec[]) {
    const n = specs.length;
    this.enabled = Uint8Array.from(specs, (s) => (s.check === undefined ? 0 : 1));
    this.inter = Float64Array.from(specs, (s) => s.check?.interMs ?? 0);
    this.rise = Int32Array.from(specs, (s) => s.check?.rise ?? 1);
    this.fall = Int32Array.from(specs, (s) => s.check?.fall ?? 1);
    this.health = Int32Array.from(this.rise);
    this.next = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
    this.phase = new Float64Array(n);
    let nbcheck = 0;
    let mininter = 0;
    for (let b = 0; b < n; b++) {
      if (this.enabled[b] === 0) continue;
      nbcheck++;
      const inter = this.inter[b]!;
      if (inter >= SRV_CHK_INTER_THRES && (mininter === 0 || mininter > inter)) mininter = inter;
    }
    let srvpos = 0;
    for (let b = 0; b < n; b++) {
      if (this.enabled[b] === 0) continue;
      this.phase[b] = Math.floor((mininter * srvpos) / nbcheck);
      srvpos++;
    }
  }

  /** Schedules every checked backend's first check at or after `startMs`; returns the earliest. */
  firstRound(startMs: number): number {
    let min = Number.POSITIVE_INFINITY;
    for (let b = 0; b < this.enabled.length; b++) {
      if (this.enabled[b] === 0) continue;
      const p = this.phase[b]!;
      const inter = this.inter[b]!;
      this.next[b] = p >= startMs ? p : p + Math.ceil((startMs - p) / inter) * inter;
      if (this.next[b]! < min) min = this.next[b]!;
    }
    return min;
  }

  /** Runs the checks due at t against the truth (`serving`); calls `changed(b)` when b's verdict flips. Returns the next round's time. */
  round(t: number, serving: Uint8Array, changed: (b: number) => void): number {
    let min = Number.POSITIVE_INFINITY;
    for (let b = 0; b < this.enabled.length; b++) {
      if (this.next[b]! <= t) {
        const wasUp = this.up(b);
        this.result(b, serving[b] === 1);
        if (this.up(b) !== wasUp) changed(b);
        this.next[b] = this.next[b]! + this.inter[b]!;
      }
      if (this.next[b]! < min) min = this.next[b]!;
    }
    return min;
  }

  /** set_server_check_status(): the health counter after one check. */
  private result(b: number, passed: boolean): void {
    const rise = this.rise[b]!;
    const top = rise + this.fall[b]! - 1;
    let h = this.health[b]!;
    if (!passed) {
      if (h > 0) {
        h--;
        if (h < rise) h = 0;
      }
    } else if (h < top) {
      h++;
      if (h >= rise) h = top;
    }
    this.health[b] = h;
  }

  up(b: number): boolean {
    return this.enabled[b] === 0 || this.health[b]! >= this.rise[b]!;
  }

  /** The state a later run needs (the next checks are on the fixed grid: firstRound). */
  save(out: number[]): void {
    for (let b = 0; b < this.health.length; b++) out.push(this.health[b]!);
  }

  load(state: readonly number[], at: number): number {
    for (let b = 0; b < this.health.length; b++) this.health[b] = state[at++]!;
    return at;
  }
}
