import type { BackendView } from './types.ts';

/**
 * A backend can be picked when it is up, has a positive weight (weight 0 drains a
 * backend, as in HAProxy and nginx) and is not full at the proxy (at its `maxconn`, or
 * with requests already waiting for it there): HAProxy's non-hash algorithms and nginx's
 * all skip such servers, and so do the generic algorithms.
 */
export function eligible(view: BackendView, b: number): boolean {
  return view.up[b] === 1 && view.weight[b]! > 0 && view.full[b] === 0;
}

/**
 * Index of the k-th eligible backend (0-based), or -1. When every backend is eligible
 * this is just k; the scan is the rare path (outages, drained backends).
 */
export function nthEligible(view: BackendView, k: number): number {
  for (let b = 0; b < view.count; b++) {
    if (eligible(view, b) && k-- === 0) return b;
  }
  return -1;
}

export function eligibleCount(view: BackendView): number {
  let n = 0;
  for (let b = 0; b < view.count; b++) if (eligible(view, b)) n++;
  return n;
}

/**
 * Requests in flight at every backend together: the total the engine keeps
 * (BackendView.inFlightTotal), or in a hand-made view the sum of `inFlight`.
 */
export function totalInFlight(view: BackendView): number {
  const kept = view.inFlightTotal;
  if (kept !== undefined) return kept;
  let sum = 0;
  for (let b = 0; b < view.count; b++) sum += view.inFlight[b]!;
  return sum;
}
