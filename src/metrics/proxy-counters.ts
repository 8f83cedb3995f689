/**
 * The proxy layer's events, as the Recorder counts them (the engine's proxy layer,
 * src/engine/proxy*.ts, calls them on the recorder): the proxy queue's time-weighted depth,
 * waits in its queues, refusals that are retried, retries, and rejections and timeouts
 * by the proxy itself. Attributed like every other event (recorder.ts): to the interval
 * in which it happens, and to the totals only from warm-up on (`counted`).
 *
 * A base class of the Recorder rather than a helper it owns: the engine calls these on
 * the recorder, several times per request that waits at the proxy, and a helper would
 * take a delegating method each, a call layer on those paths (and one that hands a double,
 * the wait, to another method: see DEVELOPERS.md, Hot loop). As a base these stay methods
 * of the one Recorder object, on its prototype chain, called as before. They own no state:
 * what they use is the Recorder's (declared abstract here), so its fields are still all
 * initialised in its constructor, in one order (V8 shape stability).
 */
import type { IntervalRows } from './columns.ts';
import type { Totals } from './totals.ts';

export abstract class ProxyCounters {
  // The Recorder's state these events use; declared, initialised and explained there.
  abstract totals: Totals;
  abstract readonly columns: IntervalRows;
  abstract nowUs: number;
  abstract row: number;
  protected abstract readonly ivRejected: Float64Array;
  protected abstract rejectedCol: Float64Array;
  protected abstract proxyDepth: Int32Array;
  protected abstract lastProxyUs: number;
  protected abstract ivProxyArea: number;
  protected abstract ivMaxProxy: number;
  protected abstract countTimeout(b: number, counted: boolean): void;

  /** Connects the proxy layer's live queue depth (one element); read here, never written. */
  attachProxy(depth: Int32Array): void {
    this.proxyDepth = depth;
    this.ivMaxProxy = depth[0]!;
  }

  /** Brings the proxy queue's time-weighted area up to now. Call before changing its depth. */
  touchProxy(): void {
    const dt = this.nowUs - this.lastProxyUs;
    if (dt > 0) {
      this.ivProxyArea += this.proxyDepth[0]! * dt;
      this.lastProxyUs = this.nowUs;
    }
  }

  /** The proxy queue's depth just grew (after the change). */
  proxyQueueGrew(): void {
    if (this.proxyDepth[0]! > this.ivMaxProxy) this.ivMaxProxy = this.proxyDepth[0]!;
  }

  /**
   * A request left a proxy queue now and was sent to backend b after waiting waitMs there
   * (src/engine/proxy.ts). `counted` = it arrived at or after warm-up.
   */
  leftProxyQueue(b: number, waitMs: number, counted: boolean): void {
    if (!counted) return;
    const t = this.totals;
    const us = Math.round(waitMs * 1000);
    t.proxyQueuedBy[b] = t.proxyQueuedBy[b]! + 1;
    t.proxyWaitUsBy[b] = t.proxyWaitUsBy[b]! + us;
    if (us > t.maxProxyWaitUsBy[b]!) t.maxProxyWaitUsBy[b] = us;
  }

  /** A request entered a proxy queue now (counted once per request and queue visit). */
  enteredProxyQueue(counted: boolean): void {
    if (counted) this.totals.proxyQueued++;
  }

  /** Backend b refused an attempt that is retried (the request is not rejected yet): counts for b only. */
  refused(b: number, counted: boolean): void {
    this.ivRejected[b] = this.ivRejected[b]! + 1;
    if (counted) this.totals.rejectedBy[b] = this.totals.rejectedBy[b]! + 1;
  }

  /** A retry starts now. */
  retry(counted: boolean): void {
    const r = this.columns.intervals.retries.data;
    r[this.row] = r[this.row]! + 1;
    if (counted) this.totals.retries++;
  }

  /** A retry the policy allowed was refused by the retry budget or max_retries (Envoy's retry overflow). */
  retryOverflow(counted: boolean): void {
    if (counted) this.totals.retryOverflow++;
  }

  /**
   * The proxy itself rejected a request now (503/502): no server below its maxconn and no
   * queue, a server queue at maxqueue, a circuit breaker, or `queueTimeout` = it waited
   * in a proxy queue past timeout_queue.
   */
  rejectAtProxy(counted: boolean, queueTimeout: boolean): void {
    const r = this.rejectedCol;
    r[this.row] = r[this.row]! + 1;
    if (!counted) return;
    const t = this.totals;
    t.rejected++;
    t.rejectedByProxy++;
    if (queueTimeout) t.queueTimeouts++;
  }

  /** The proxy gave up on a request now (its last try timed out); b = the backend of that try. */
  timeout(b: number, counted: boolean): void {
    this.countTimeout(b, counted);
  }
}
