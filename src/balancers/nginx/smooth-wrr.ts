/**
 * nginx's smooth weighted round robin step over a subset of peers
 * (ngx_http_upstream_get_peer in src/http/ngx_http_upstream_round_robin.c, nginx 1.22):
 * each candidate's current_weight grows by its effective weight, the largest wins (the
 * first on a tie: nginx replaces `best` only on `>`), and the winner loses the total.
 * Used by round_robin itself, by least_conn among tied peers, and as the fallback of
 * ip_hash, hash and random after 20 failed tries. nginx's effective_weight (lowered after
 * failures, which lbsim does not model as nginx sees them) is the view's effectiveWeight:
 * the configured weight, ramped while a server slow-starts (nginx Plus `slow_start`, which
 * lbsim runs as HAProxy's ramp: see the `slowstart` knob in the README).
 */
import type { BackendView } from '../types.ts';

export class SmoothWrr {
  readonly current: Float64Array;
  /** The weights a pick adds: the view's effectiveWeight (slow start applied), else its weight. */
  private readonly weight: Float64Array;
  constructor(private readonly view: BackendView) {
    this.current = new Float64Array(view.count);
    this.weight = view.effectiveWeight ?? view.weight;
  }

  /** The current weights, the whole state (for Balancer.saveState). */
  saveState(): number[] {
    return Array.from(this.current);
  }

  loadState(state: readonly number[]): void {
    this.current.set(state);
  }

  /** One smooth-WRR pick among the eligible peers for which `candidate(b)` holds, or -1. */
  pick(candidate?: (b: number) => boolean): number {
    const v = this.view;
    let best = -1;
    let total = 0;
    for (let b = 0; b < v.count; b++) {
      // Down, drained or at max_conns (ngx_http_upstream_get_peer: `peer->max_conns && peer->conns >= peer->max_conns`).
      if (v.up[b] !== 1 || v.weight[b]! <= 0 || v.full[b] === 1) continue;
      if (candidate !== undefined && !candidate(b)) continue;
      const w = this.weight[b]!;
      this.current[b] = this.current[b]! + w;
      total += w;
      if (best < 0 || this.current[b]! > this.current[best]!) best = b;
    }
    if (best >= 0) this.current[best] = this.current[best]! - total;
    return best;
  }
}
