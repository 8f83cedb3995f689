/**
 * Envoy's EdfScheduler (source/common/upstream/edf_scheduler.h, 1.28): every entry is due
 * at current_time + 1 / weight, where current_time is the deadline of the entry picked
 * last; the earliest deadline is picked, and among equal deadlines the entry added first
 * (order_offset). pickAndAdd() re-adds the picked entry with its weight as of now.
 * Weights 5,1,1 give a a a a b c a (deadlines 0.2 0.4 0.6 0.8, then a, b and c all due at
 * 1.0 with b and c added before a's latest entry); in the next cycle a's fifth deadline
 * is 1.9999999999999998 < 2.0, so floating-point rounding lets it run ahead of b and c
 * (a x6, b, c), exactly as the same double arithmetic does in Envoy.
 *
 * At most one entry per host, so a linear scan over `count` hosts replaces the heap
 * (n <= ~100); doubles as in C++, so ties are the ties Envoy sees. Allocates nothing.
 */
import { type StateReader, orderRanks } from '../saved-state.ts';

export class EdfScheduler {
  private readonly deadline: Float64Array;
  private readonly order: Float64Array;
  private readonly queued: Uint8Array;
  private currentTime = 0;
  private orderOffset = 0;

  constructor(count: number) {
    this.deadline = new Float64Array(count);
    this.order = new Float64Array(count);
    this.queued = new Uint8Array(count);
  }

  clear(): void {
    this.queued.fill(0);
    this.currentTime = 0;
    this.orderOffset = 0;
  }

  add(weight: number, host: number): void {
    this.deadline[host] = this.currentTime + 1 / weight;
    this.order[host] = this.orderOffset++;
    this.queued[host] = 1;
  }

  /**
   * Starts over with the first `size` hosts of `hosts` (in that order) and makes `skip`
   * picks, as Envoy does with its per-worker seed so workers do not all start alike.
   */
  rebuild(hosts: Int32Array, size: number, weight: (host: number) => number, skip: number): void {
    this.clear();
    for (let i = 0; i < size; i++) this.add(weight(hosts[i]!), hosts[i]!);
    for (let i = 0; i < skip; i++) this.pickAndAdd(weight);
  }

  /**
   * Appends the scheduler's state to `out`: current_time, then per host whether it is
   * queued, its deadline and its order_offset as a rank among the queued (saved-state.ts;
   * only their relative order decides ties). Deadlines are the doubles themselves, so a
   * loaded scheduler rounds exactly as the saved one would have.
   */
  saveTo(out: number[]): void {
    const rank = orderRanks(this.order, (h) => this.queued[h] === 1);
    out.push(this.currentTime);
    for (let h = 0; h < this.queued.length; h++) {
      const q = this.queued[h] === 1;
      out.push(this.queued[h]!, q ? this.deadline[h]! : 0, rank[h]!);
    }
  }

  loadFrom(r: StateReader): void {
    this.currentTime = r.next();
    let queued = 0;
    for (let h = 0; h < this.queued.length; h++) {
      this.queued[h] = r.next();
      this.deadline[h] = r.next();
      this.order[h] = r.next();
      queued += this.queued[h]!;
    }
    this.orderOffset = queued;
  }

  /** pick() then add(weight(host)); -1 when empty. */
  pickAndAdd(weight: (host: number) => number): number {
    let best = -1;
    for (let h = 0; h < this.queued.length; h++) {
      if (this.queued[h] === 0) continue;
      if (best < 0 || this.deadline[h]! < this.deadline[best]! || (this.deadline[h] === this.deadline[best] && this.order[h]! < this.order[best]!)) best = h;
    }
    if (best < 0) return -1;
    this.currentTime = this.deadline[best]!;
    this.add(weight(best), best);
    return best;
  }
}
