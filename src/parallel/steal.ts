/**
 * Moving a running window's end earlier, so that an idle thread can take its tail
 * (work stealing, src/parallel/dynamic-windows.ts). The thread that runs the window and the
 * thread that wants its tail share one small SharedArrayBuffer; no message has to wait
 * for the running thread's event loop, which turns only between slices of its simulation.
 *
 * The thief proposes an end; the window takes it between two slices if it has not passed
 * that time yet (it cannot go back) and it is earlier than the end it has. The thief
 * learns which end the window took from the window's result (`endMs`), so the answer is
 * final: a stolen tail counts only if the window ended at or before its start.
 */

/**
 * Int32 slot 0: proposals made so far. BigInt64 slot 1 (byte 8): the proposed end in whole
 * µs (ends are interval boundaries, whole µs), stored atomically so it is never read torn.
 */
const PROPOSED = 0;
const END_US = 1;

/** A new cell, for one window (it crosses threads in the task, shared, not copied). */
export function stealCell(): SharedArrayBuffer {
  return new SharedArrayBuffer(16);
}

/** The thief: proposes `endMs` (an interval boundary) as the window's end. */
export function proposeEnd(cell: SharedArrayBuffer, endMs: number): void {
  Atomics.store(new BigInt64Array(cell, 0, 2), END_US, BigInt(Math.round(endMs * 1000)));
  Atomics.add(new Int32Array(cell, 0, 1), PROPOSED, 1);
}

/**
 * The window's side, a TaskDriver.endAt: between slices, takes a proposed end that lies
 * ahead of `now` and before the end it has, and returns the end it has taken, if any.
 */
export function endTaker(cell: SharedArrayBuffer): (now: number) => number | undefined {
  const flags = new Int32Array(cell, 0, 1);
  const end = new BigInt64Array(cell, 0, 2);
  let seen = 0;
  let taken: number | undefined;
  return (now) => {
    const n = Atomics.load(flags, PROPOSED);
    if (n === seen) return taken;
    seen = n;
    // The same double the thief computed: boundaries are whole µs over 1000 (windows.ts).
    const e = Number(Atomics.load(end, END_US)) / 1000;
    if (e > now && e < (taken ?? Number.POSITIVE_INFINITY)) taken = e;
    return taken;
  };
}
