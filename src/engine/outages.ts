/**
 * Scheduled outages (a backend spec's `outages`): which backends a simulation starts out
 * of service, the events that open and close the windows still ahead, and what opening
 * and closing one does. Overlapping windows nest (BackendState.downDepth): a backend
 * serves again only when every open window has closed.
 *
 * Without health knobs the balancer learns of an outage at once (its `up` follows
 * `serving`); with them it learns through ServerHealth's checks, which are told of the
 * truth only.
 */
import type { Balancer } from '../balancers/types.ts';
import type { BackendSpec, BackendState } from './backends.ts';
import type { EventQueue } from './event-queue.ts';
import { EventKind } from './events.ts';
import type { ServerHealth } from './server-health.ts';

/**
 * Puts out of service the backends in an outage at `startMs` (a window's start). The
 * state at startMs is before its events run, so an outage ending at startMs is still
 * open (its BackendUp event, at startMs, is scheduled by scheduleOutages), as one
 * starting then is not.
 */
export function openAtStart(specs: readonly BackendSpec[], bs: BackendState, startMs: number): void {
  specs.forEach((spec, b) => {
    for (const w of spec.outages) if (w.from < startMs && w.to >= startMs && bs.downDepth[b]!++ === 0) bs.serving[b] = 0;
  });
}

/**
 * Without health knobs the balancer is created with every backend up: those out of
 * service at the start (openAtStart) are down from here on, before the first pick.
 */
export function hideOpenAtStart(bs: BackendState): void {
  for (let b = 0; b < bs.count; b++) {
    if (bs.serving[b] === 0) {
      bs.up[b] = 0;
      bs.upCount--;
    }
  }
}

/** Schedules the opening (if still ahead) and closing of every outage not over before `startMs`. */
export function scheduleOutages(specs: readonly BackendSpec[], queue: EventQueue, startMs: number): void {
  specs.forEach((spec, b) => {
    for (const w of spec.outages) {
      if (w.to < startMs) continue;
      if (w.from >= startMs) queue.push(w.from, EventKind.BackendDown, EventKind.BackendDown, b);
      queue.push(w.to, EventKind.BackendUp, EventKind.BackendUp, b);
    }
  });
}

/** An outage window of backend b opens now. */
export function outageOpens(bs: BackendState, health: ServerHealth | null, balancer: Balancer, b: number): void {
  if (bs.downDepth[b]!++ > 0) return;
  bs.serving[b] = 0;
  if (health !== null) return health.truthChanged(b);
  bs.up[b] = 0;
  bs.upCount--;
  balancer.onBackendDown?.(b);
}

/** An outage window of backend b closes now. */
export function outageCloses(bs: BackendState, health: ServerHealth | null, balancer: Balancer, b: number): void {
  if (--bs.downDepth[b]! > 0) return;
  bs.serving[b] = 1;
  if (health !== null) return health.truthChanged(b);
  bs.up[b] = 1;
  bs.upCount++;
  balancer.onBackendUp?.(b);
}
