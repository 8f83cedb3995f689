/**
 * Slow start: a server the balancer sees come back up (after being marked or seen down;
 * never at the run's start, as both proxies skip it when they start) takes a ramping
 * share of its weight, written to `effectiveWeight` (BackendView).
 *
 * HAProxy 2.6 (`slowstart <time>`, server.c server_recalc_eweight / server_warmup):
 * slowstart is kept in whole seconds, rounded up; eweight = uweight × w with
 * w = (BE_WEIGHT_SCALE × elapsed_s + slowstart_s) / slowstart_s (integer division,
 * BE_WEIGHT_SCALE = 16), full weight once elapsed_s >= slowstart_s. A per-server warm-up
 * task recomputes it every max(1 s, slowstart / 20) from the moment the server came up,
 * and the balancer re-queues the server with its new weight (lbprm.update_server_eweight):
 * a weight tick event here, then Balancer.onWeightChange. effectiveWeight = weight × w / 16.
 * It only matters to HAProxy's dynamic algorithms (roundrobin, leastconn, random,
 * consistent hash); static-rr and map-based hashing ignore it, as HAProxy does.
 * The warm-up period is MAX(1000, s->slowstart / 20) ms with slowstart in *seconds*
 * (server.c server_warmup; srv_parse_slowstart stores `(val + 999) / 1000`): 1 s for any
 * slowstart below 20000 s, whatever the manual's "5% steps" comment says.
 *
 * HAProxy also ramps the server's maxconn (queue.c srv_dynamic_maxconn, the manual's
 * `slowstart`: "the number of connections accepted by the server will grow from 1 to
 * 100% of the usual dynamic limit"): while STARTING, max = MAX(1, maxconn × ratio / 100)
 * with ratio = 100 × elapsed_s / slowstart_s, both integer divisions. lbsim writes it to
 * BackendView.maxconn (the proxy layer and the balancers read the limit there, as HAProxy
 * calls srv_dynamic_maxconn) at the ramp's start and at each warm-up tick; elapsed_s only
 * changes on whole seconds since the server came up, when the 1 s tick runs, so the limit
 * is HAProxy's at every instant except the tick's own: a completion at that very instant
 * runs before the tick (event order) and still sees the old limit. At each tick HAProxy
 * then calls pendconn_grab_from_px(): the server takes requests from the *backend* queue
 * up to the new limit (its own queue is served as its connections close,
 * process_srv_queue); `warmed` marks the servers whose tick ran, for the proxy layer.
 * minconn / fullconn (the other part of the dynamic limit) are not modelled: the usual
 * limit is maxconn. nginx Plus `slow_start` ramps the weight only (`maxconn: false`).
 *
 * Envoy 1.28 (`slow_start_config`, load_balancer_impl.cc applySlowStartFactor):
 * weight × max(min_weight_percent / 100, time_factor^(1 / aggression)) with
 * time_factor = max(elapsed_ms, 1) / slow_start_window_ms, while elapsed < window. Envoy
 * measures elapsed from the host's creation (it joined the cluster); lbsim's stand-in is
 * the instant the balancer sees it back (a restarted pod re-added by EDS). Envoy computes
 * the weight whenever the EDF scheduler re-adds a host, so it follows the clock: the
 * engine refreshes effectiveWeight before every pick while a host ramps
 * (`follow`), with no hook. Used by envoy/round_robin and envoy/least_request only.
 */
import { BE_WEIGHT_SCALE } from '../balancers/haproxy/constants.ts';
import type { BackendSpec } from './backends.ts';

const NONE = 0;
const HAPROXY = 1;
const ENVOY = 2;

export class SlowStart {
  private readonly kind: Uint8Array;
  /** HAProxy: slowstart in whole seconds, and the warm-up task period. */
  private readonly slowstartS: Float64Array;
  private readonly tickMs: Float64Array;
  /** Envoy: window, 1 / aggression, min weight share. */
  private readonly windowMs: Float64Array;
  private readonly invAggression: Float64Array;
  private readonly minShare: Float64Array;
  /** When the ramp started (ms), or -1 while not ramping. */
  private readonly from: Float64Array;
  private readonly nextTickAt: Float64Array;
  /** HAProxy: the usual maxconn (Infinity: none), and 1 where slow start ramps it. */
  private readonly usualMaxconn: Float64Array;
  private readonly rampsMaxconn: Uint8Array;
  /** 1 for each HAProxy server whose warm-up tick ran in the last tick() while it was up (pendconn_grab_from_px is due). */
  readonly warmed: Uint8Array;
  /** Envoy hosts ramping now (their weight follows the clock). */
  continuous = 0;

  constructor(
    specs: readonly BackendSpec[],
    private readonly weight: Float64Array,
    private readonly effective: Float64Array,
    /** BackendView.maxconn: the limit now (srv_dynamic_maxconn); written here while a ramp runs. */
    private readonly maxconn: Float64Array,
  ) {
    const n = specs.length;
    this.kind = Uint8Array.from(specs, (s) => (s.slowStart === undefined ? NONE : s.slowStart.proxy === 'haproxy' ? HAPROXY : ENVOY));
    this.slowstartS = Float64Array.from(specs, (s) => (s.slowStart?.proxy === 'haproxy' ? Math.ceil(s.slowStart.periodMs / 1000) : 0));
    this.tickMs = Float64Array.from(this.slowstartS, (ss) => Math.max(1000, ss / 20));
    this.windowMs = Float64Array.from(specs, (s) => (s.slowStart?.proxy === 'envoy' ? s.slowStart.windowMs : 0));
    this.invAggression = Float64Array.from(specs, (s) => (s.slowStart?.proxy === 'envoy' ? 1 / s.slowStart.aggression : 1));
    this.minShare = Float64Array.from(specs, (s) => (s.slowStart?.proxy === 'envoy' ? s.slowStart.minWeightPercent / 100 : 0));
    this.from = new Float64Array(n).fill(-1);
    this.nextTickAt = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
    this.usualMaxconn = Float64Array.from(maxconn);
    this.rampsMaxconn = Uint8Array.from(specs, (s, b) => (s.slowStart?.proxy === 'haproxy' && s.slowStart.maxconn !== false && Number.isFinite(maxconn[b]!) ? 1 : 0));
    this.warmed = new Uint8Array(n);
  }

  /** b is believed up again at t: start its ramp. */
  cameUp(b: number, t: number): void {
    const k = this.kind[b]!;
    if (k === NONE) return;
    if (k === HAPROXY) {
      if (this.slowstartS[b]! <= 0) return;
      this.from[b] = t;
      this.effective[b] = this.weight[b]! * this.haproxyStep(b, 0) / BE_WEIGHT_SCALE;
      this.maxconnAt(b, 0);
      this.nextTickAt[b] = t + this.tickMs[b]!;
    } else {
      if (this.windowMs[b]! <= 0) return;
      if (this.from[b]! < 0) this.continuous++;
      this.from[b] = t;
      this.effective[b] = this.weight[b]! * this.envoyFactor(b, 0);
    }
  }

  /** b is believed down: its ramp stops (it starts over when it comes back). */
  wentDown(b: number): void {
    if (this.from[b]! < 0) return;
    if (this.kind[b] === ENVOY) this.continuous--;
    this.from[b] = -1;
    this.nextTickAt[b] = Number.POSITIVE_INFINITY;
    this.effective[b] = this.weight[b]!;
    this.maxconn[b] = this.usualMaxconn[b]!;
  }

  /** Earliest pending HAProxy warm-up tick. */
  nextTick(): number {
    let min = Number.POSITIVE_INFINITY;
    for (let b = 0; b < this.nextTickAt.length; b++) if (this.nextTickAt[b]! < min) min = this.nextTickAt[b]!;
    return min;
  }

  /** server_warmup() for every server whose tick is due at t; `reweighed(b)` for those the balancer sees. */
  tick(t: number, up: Uint8Array, reweighed: (b: number) => void): number {
    for (let b = 0; b < this.nextTickAt.length; b++) {
      if (this.nextTickAt[b]! > t) continue;
      const elapsedS = Math.floor((this.nextTickAt[b]! - this.from[b]!) / 1000);
      const before = this.effective[b];
      if (elapsedS >= this.slowstartS[b]!) {
        this.effective[b] = this.weight[b]!;
        this.maxconn[b] = this.usualMaxconn[b]!;
        this.from[b] = -1;
        this.nextTickAt[b] = Number.POSITIVE_INFINITY;
      } else {
        this.effective[b] = (this.weight[b]! * this.haproxyStep(b, elapsedS)) / BE_WEIGHT_SCALE;
        this.maxconnAt(b, elapsedS);
        this.nextTickAt[b] = this.nextTickAt[b]! + this.tickMs[b]!;
      }
      if (this.effective[b] !== before && up[b] === 1) reweighed(b);
      if (up[b] === 1) this.warmed[b] = 1;
    }
    return this.nextTick();
  }

  /** Envoy: the weights of ramping hosts as of t (before a pick). */
  follow(t: number): void {
    for (let b = 0; b < this.from.length; b++) {
      if (this.kind[b] !== ENVOY || this.from[b]! < 0) continue;
      const elapsed = t - this.from[b]!;
      if (elapsed >= this.windowMs[b]!) {
        this.effective[b] = this.weight[b]!;
        this.from[b] = -1;
        this.continuous--;
      } else this.effective[b] = this.weight[b]! * this.envoyFactor(b, elapsed);
    }
  }

  save(out: number[]): void {
    for (let b = 0; b < this.from.length; b++) out.push(this.from[b]!, this.nextTickAt[b]!, this.effective[b]!);
  }

  load(state: readonly number[], at: number): number {
    this.continuous = 0;
    for (let b = 0; b < this.from.length; b++) {
      this.from[b] = state[at++]!;
      this.nextTickAt[b] = state[at++]!;
      this.effective[b] = state[at++]!;
      if (this.kind[b] === ENVOY && this.from[b]! >= 0) this.continuous++;
      // The limit as the last tick (or the ramp's start) set it.
      if (this.kind[b] === HAPROXY && this.from[b]! >= 0) this.maxconnAt(b, Math.floor((this.nextTickAt[b]! - this.tickMs[b]! - this.from[b]!) / 1000));
      else this.maxconn[b] = this.usualMaxconn[b]!;
    }
    return at;
  }

  /** srv_dynamic_maxconn while STARTING: MAX(1, maxconn × (100 × elapsed_s / slowstart_s) / 100), integer divisions. */
  private maxconnAt(b: number, elapsedS: number): void {
    if (this.rampsMaxconn[b] === 0) return;
    const ratio = Math.floor((100 * elapsedS) / this.slowstartS[b]!);
    this.maxconn[b] = Math.max(1, Math.floor((this.usualMaxconn[b]! * ratio) / 100));
  }

  /** HAProxy's w: (16 × elapsed_s + slowstart_s) / slowstart_s, integer division. */
  private haproxyStep(b: number, elapsedS: number): number {
    const ss = this.slowstartS[b]!;
    return Math.floor((BE_WEIGHT_SCALE * elapsedS + ss) / ss);
  }

  /** Envoy's max(min_weight_percent, time_factor^(1/aggression)). */
  private envoyFactor(b: number, elapsedMs: number): number {
    const timeFactor = Math.max(elapsedMs, 1) / this.windowMs[b]!;
    const inv = this.invAggression[b]!;
    return Math.max(this.minShare[b]!, inv === 1 ? timeFactor : Math.pow(timeFactor, inv));
  }
}
