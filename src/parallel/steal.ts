/**
 * Moving a running window's end earlier, so that an idle thread can take its tail
 * (work stealing, src/parallel/time-split.ts). The thread that runs the window and the
 * thread that wants its tail share one small SharedArrayBuffer; no message has to wait
 * for the running thread's event loop, which turns only between slices of its simulation.
 *
 * The thief proposes an end; the window takes it between two slices if it has not passed
 * that time yet (it cannot go back) and it is earlier than the end it has. The thief
 * learns which end the window took from the window's result (`endMs`), so the answer is
 * final: a stolen tail counts only if the window ended at or before its start.
 */

/** Int32 slot: proposals made so far; the proposed end (Float64) at byte 8. */
const PROPOSED = 0;

/** A new cell, for one window (it crosses threads in the task, shared, not copied). */
export function stealCell(): SharedArrayBuffer {
  return new SharedArrayBuffer(16);
}

/** The thief: proposes `endMs` (an interval boundary) as the window's end. One proposal at a time. */
export function proposeEnd(cell: SharedArrayBuffer, endMs: number): void {
  new Float64Array(cell, 8, 1)[0] = endMs;
  // The atomic add publishes the end written before it (the window reads it after an atomic load).
  Atomics.add(new Int32Array(cell, 0, 1), PROPOSED, 1);
}

/**
 * The window's side, a TaskDriver.endAt: between slices, takes a proposed end that lies
 * ahead of `now` and before the end it has, and returns the end it has taken, if any.
 */
export function endTaker(cell: SharedArrayBuffer): (now: number) => number | undefined {
  const flags = new Int32Array(cell, 0, 1);
  const end = new Float64Array(cell, 8, 1);
  let seen = 0;
  let taken: number | undefined;
  return (now) => {
    const n = Atomics.load(flags, PROPOSED);
    if (n === seen) return taken;
    seen = n;
    const e = end[0]!;
    if (e > now && e < (taken ?? Number.POSITIVE_INFINITY)) taken = e;
    return taken;
  };
}
