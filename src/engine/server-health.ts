/**
 * What the balancer knows about its servers, beside what is true.
 *
 * The truth is the engine's: a backend in an outage window is not serving
 * (`BackendState.serving`), and a request sent to it is refused at once. What balancers
 * see through `BackendView.up` is a *belief*, kept here:
 * - a backend with no detection configured is believed exactly when the truth changes
 *   (lbsim's default, an oracle: today's behaviour, byte for byte);
 * - a backend with detection (active checks, passive checks, outlier detection) is
 *   believed usable until the detection says otherwise, so between an outage's start and
 *   its detection requests keep going to the dead server and fail.
 * On top of the belief, backup servers are hidden while a primary is usable, and slow
 * start ramps a returning server's effective weight (`BackendView.effectiveWeight`).
 *
 * Timed work runs as engine events of kind Health, one pending event per sub-kind (check
 * round, passive recovery, outlier sweep, weight tick) at the earliest time any backend
 * needs it; at that time every due backend is handled in index order, so the order of
 * equal-time work never depends on when it was scheduled. Nothing allocates per event.
 *
 * Each mechanism cites the proxy it follows in `ActiveChecks`, `PassiveChecks`,
 * `OutlierDetector` and `SlowStart` (server-health-*.ts).
 */
import type { Balancer, BalancerModule } from '../balancers/types.ts';
import { markMutable } from '../jit/mutable-fields.ts';
import type { Recorder } from '../metrics/recorder.ts';
import type { BackendSpec, BackendState } from './backends.ts';
import { ActiveChecks } from './server-health-active.ts';
import { OutlierDetector, PassiveChecks } from './server-health-passive.ts';
import { SlowStart } from './server-health-slow-start.ts';
import { Failure, HealthTask, type OutlierSpec } from './server-health-types.ts';

export * from './server-health-types.ts';

/** Balancer-wide knobs (the per-server ones are in BackendSpec). */
export interface ServerSetSpec {
  /** HAProxy `option allbackups`: every usable backup takes traffic, not only the first. @default false */
  allBackups: boolean;
  /** Envoy outlier detection for every backend; null = off. @default null */
  outlier: OutlierSpec | null;
}

export const SERVER_SET_DEFAULTS: ServerSetSpec = { allBackups: false, outlier: null };

/** True when backends or the server set use any of these knobs (else the engine leaves this module out). */
export function usesServerHealth(backends: readonly BackendSpec[], set: ServerSetSpec | undefined): boolean {
  if (set !== undefined && set.outlier !== null) return true;
  return backends.some((b) => b.backup === true || b.check !== undefined || b.passive !== undefined || b.slowStart !== undefined);
}

/**
 * For a balancer that spreads over the backups here (BalancerModule.spreadsBackups: HAProxy's
 * map-based algorithms, with backups and no `allbackups`), the backup flags it is given
 * (BalancerContext.firstBackupRule); undefined otherwise.
 */
export function spreadBackupsOf(specs: readonly BackendSpec[], set: ServerSetSpec, module: BalancerModule, options: Readonly<Record<string, unknown>>): Uint8Array | undefined {
  if (set.allBackups || !specs.some((s) => s.backup === true) || module.spreadsBackups?.(options) !== true) return undefined;
  return Uint8Array.from(specs, (s) => (s.backup === true ? 1 : 0));
}

/** How the engine schedules this module's events. */
export type ScheduleHealth = (task: number, timeMs: number) => void;

export class ServerHealth {
  private readonly n: number;
  /** 1 when the backend's belief follows the truth at once (no detection configured). */
  private readonly oracle: Uint8Array;
  private readonly backup: Uint8Array;
  private readonly hasBackups: boolean;
  /** The belief, before the backup rule: 1 = usable as far as the balancer knows. */
  readonly believed: Uint8Array;
  /** The belief as last applied to `up` (to see transitions). */
  private readonly applied: Uint8Array;
  readonly active: ActiveChecks;
  private readonly passive: PassiveChecks;
  private readonly outlier: OutlierDetector | null;
  readonly slowStart: SlowStart;
  private balancer: Balancer | null = null;
  /**
   * The proxy layer's pendconn_grab_from_px(b) (src/engine/proxy.ts), called after a
   * HAProxy warm-up tick of b (server.c server_warmup), once the beliefs are applied.
   */
  onWarmupTick: ((b: number) => void) | null = null;
  /** Time of the pending event of each task, +Infinity when none is pending. */
  private readonly pending = new Float64Array(4).fill(Number.POSITIVE_INFINITY);
  private dirty = false;
  /** Health events in the engine's queue (stale ones included): when only these are left, the run is over. */
  queued = 0;
  /** Time of the event being handled. */
  private now = 0;

  constructor(
    specs: readonly BackendSpec[],
    private readonly set: ServerSetSpec,
    private readonly bs: BackendState,
    private readonly recorder: Recorder,
    /** The engine's clock (read, not passed: a double argument to a call V8 does not inline is boxed). */
    private readonly clock: { readonly now: number },
    private readonly schedule: ScheduleHealth,
    private readonly warmupMs: number,
    /** Every usable backup is shown when no primary is (BalancerModule.spreadsBackups: HAProxy's map-based algorithms), not only the first. */
    private readonly spreadBackups = false,
  ) {
    const n = (this.n = specs.length);
    this.backup = Uint8Array.from(specs, (s) => (s.backup === true ? 1 : 0));
    this.hasBackups = this.backup.includes(1);
    this.active = new ActiveChecks(specs);
    this.passive = new PassiveChecks(specs, clock);
    this.outlier = set.outlier === null ? null : new OutlierDetector(set.outlier, n, clock);
    this.slowStart = new SlowStart(specs, bs.weight, bs.effectiveWeight, bs.maxconn);
    this.oracle = Uint8Array.from(specs, (s) => (s.check === undefined && s.passive === undefined && this.outlier === null ? 1 : 0));
    this.believed = new Uint8Array(n);
    this.applied = new Uint8Array(n);
    // First set when a belief first changes, after the hot loop is optimized: see jit/mutable-fields.ts.
    markMutable(this, ['dirty']);
  }

  /**
   * The state at the run's start, before the balancer exists: beliefs from the truth
   * (servers run when the proxy starts, as HAProxy and Envoy assume), backups hidden,
   * first events scheduled. No hooks are called and nothing counts.
   */
  start(startMs: number): void {
    for (let b = 0; b < this.n; b++) this.believed[b] = this.oracle[b] === 1 ? this.bs.serving[b]! : 1;
    this.applied.set(this.believed);
    this.apply(null);
    this.wake(HealthTask.Check, this.active.firstRound(startMs));
    if (this.outlier !== null) this.wake(HealthTask.OutlierSweep, this.outlier.firstSweep(startMs));
  }

  attach(balancer: Balancer): void {
    this.balancer = balancer;
  }

  /** The engine runs a Health event of `task` now. */
  run(task: number): void {
    const t = this.clock.now;
    this.queued--;
    if (t !== this.pending[task]) return; // superseded by an earlier event that did the work
    this.pending[task] = Number.POSITIVE_INFINITY;
    this.now = t;
    if (task === HealthTask.Check) this.wake(task, this.active.round(t, this.bs.serving, this.changed));
    else if (task === HealthTask.PassiveRecovery) this.wake(task, this.passive.recover(t, this.changed));
    else if (task === HealthTask.OutlierSweep) this.wake(task, this.outlier!.sweep(t, this.changed, this.ejected));
    else this.wake(task, this.slowStart.tick(t, this.bs.up, this.reweighed));
    this.flush();
    if (task === HealthTask.WeightTick) this.grabAfterWarmup();
  }

  /** Each server a warm-up tick just ran for may take more from the backend queue (its maxconn grew). */
  private grabAfterWarmup(): void {
    const warmed = this.slowStart.warmed;
    for (let b = 0; b < this.n; b++) {
      if (warmed[b] === 0) continue;
      warmed[b] = 0;
      if (this.onWarmupTick !== null && this.bs.up[b] === 1) this.onWarmupTick(b);
    }
  }

  /** The truth changed: b's outage started or ended (BackendState.serving is already updated). */
  truthChanged(b: number): void {
    if (this.oracle[b] === 0) return;
    this.now = this.clock.now;
    this.believed[b] = this.bs.serving[b]!;
    this.dirty = true;
    this.flush();
  }

  /** b was picked for a request now (nginx restarts a peer's fail_timeout window on a pick). */
  picked(b: number): void {
    if (this.passive.enabled[b] === 0 || !this.passive.picked(b)) return;
    this.now = this.clock.now;
    this.changed(b);
    this.wake(HealthTask.PassiveRecovery, this.passive.nextRecovery());
    this.flush();
  }

  /**
   * A request sent to b failed now: refused (b not serving), rejected (b's queue full: a
   * 503) or timed out. Failures made at the proxy (a queue timeout's 503, a retry) are to
   * be reported here too when the engine has them.
   */
  failed(b: number, failure: Failure, counted: boolean): void {
    this.now = this.clock.now;
    if (failure === Failure.Refused && counted) this.recorder.totals.sentWhileDown[b]!++;
    if (this.passive.enabled[b] === 1 && this.passive.failed(b, failure)) {
      this.changed(b);
      this.wake(HealthTask.PassiveRecovery, this.passive.nextRecovery());
    }
    if (this.outlier !== null) this.outlier.failed(b, this.changed, this.ejected);
    this.flush();
  }

  /** A request finished well at b now. */
  succeeded(b: number): void {
    this.now = this.clock.now;
    if (this.passive.enabled[b] === 1 && this.passive.succeeded(b)) this.changed(b);
    if (this.outlier !== null) this.outlier.succeeded(b);
    this.flush();
  }

  /**
   * No backend could be picked now. nginx then fails the request (502) and marks every
   * peer live again ("all peers failed, mark them as live for quick recovery",
   * ngx_http_upstream_get_round_robin_peer).
   */
  noBackend(): void {
    this.now = this.clock.now;
    if (this.passive.resetAll(this.changed)) this.flush();
  }

  /** Before a pick: Envoy's slow-start weights follow the clock. */
  beforePick(): void {
    if (this.slowStart.continuous > 0) this.slowStart.follow(this.clock.now);
  }

  /** The state a time-split replay compares and carries over (src/engine/state.ts). */
  saveState(): number[] {
    const out: number[] = Array.from(this.believed);
    this.active.save(out);
    this.passive.save(out);
    this.outlier?.save(out);
    this.slowStart.save(out);
    return out;
  }

  /**
   * Replaces the (guessed) start state with one saved at this window's start, telling the
   * balancer of every backend whose visibility changed; call before the balancer loads
   * its own state. The grid events (checks, sweeps) were scheduled by start().
   */
  loadState(state: readonly number[]): void {
    let at = 0;
    for (let b = 0; b < this.n; b++) this.believed[b] = state[at++]!;
    this.applied.set(this.believed);
    at = this.active.load(state, at);
    at = this.passive.load(state, at);
    if (this.outlier !== null) at = this.outlier.load(state, at);
    this.slowStart.load(state, at);
    this.now = this.clock.now;
    this.apply(this.now);
    this.wake(HealthTask.PassiveRecovery, this.passive.nextRecovery());
  }

  /** A detection component of b changed: recompute b's belief. */
  private readonly changed = (b: number): void => {
    const next = this.active.up(b) && this.passive.up(b) && (this.outlier === null || this.outlier.up(b)) ? 1 : 0;
    if (next === this.believed[b]) return;
    this.believed[b] = next;
    this.dirty = true;
  };

  private readonly ejected = (b: number): void => {
    if (this.now >= this.warmupMs) this.recorder.totals.ejections[b]!++;
  };

  private readonly reweighed = (b: number): void => {
    this.balancer?.onWeightChange?.(b);
  };

  private flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.apply(this.now);
  }

  /**
   * Applies the beliefs and the backup rule to `up`, in index order, calling the
   * balancer's hooks for each backend whose visibility changed (none when t is null: the
   * start). Backups: HAProxy 2.6 uses the backup servers only when no active server is
   * usable, and then only the first usable one (lbprm.fbck) unless `option allbackups`;
   * nginx's `backup` peers likewise serve only when no primary peer can be chosen (all of
   * them: give `allbackups`). HAProxy's map-based algorithms see every usable backup and
   * apply the first-backup rule themselves (`spreadBackups`). Slow start follows the
   * belief, not the backup rule: a backup that was up all along is not "coming up" when
   * it takes over.
   */
  private apply(t: number | null): void {
    const bs = this.bs;
    if (t !== null) {
      for (let b = 0; b < this.n; b++) {
        if (this.believed[b] === this.applied[b]) continue;
        this.applied[b] = this.believed[b]!;
        if (this.believed[b] === 1) this.slowStart.cameUp(b, t);
        else {
          this.slowStart.wentDown(b);
          if (this.oracle[b] === 0 && t >= this.warmupMs) this.recorder.totals.markedDown[b]!++;
        }
      }
      this.wake(HealthTask.WeightTick, this.slowStart.nextTick());
    }
    let primaryUsable = false;
    if (this.hasBackups) for (let b = 0; b < this.n; b++) if (this.backup[b] === 0 && this.believed[b] === 1 && bs.weight[b]! > 0) primaryUsable = true;
    let backupTaken = false;
    for (let b = 0; b < this.n; b++) {
      let show = this.believed[b]!;
      if (this.backup[b] === 1 && show === 1) {
        if (primaryUsable || (backupTaken && !this.set.allBackups && !this.spreadBackups)) show = 0;
        else if (bs.weight[b]! > 0) backupTaken = true;
      }
      if (show === bs.up[b]) continue;
      bs.up[b] = show;
      if (show === 1) {
        bs.upCount++;
        if (t !== null) this.balancer?.onBackendUp?.(b);
      } else {
        bs.upCount--;
        if (t !== null) this.balancer?.onBackendDown?.(b);
      }
    }
  }

  private wake(task: number, t: number): void {
    if (t < this.pending[task]!) {
      this.pending[task] = t;
      this.queued++;
      this.schedule(task, t);
    }
  }
}
