/**
 * Taking the engine's state (state.ts) from a simulation and putting it into a new one:
 * the backends, the requests at them, the balancer's and the health checks' own state.
 * The proxy layer adds its part (proxy-state.ts), naming requests by their place in the
 * lists these return. Off the hot path: a window's start and its checkpoints only.
 */
import type { Balancer } from '../balancers/types.ts';
import type { Recorder } from '../metrics/recorder.ts';
import type { BackendState } from './backends.ts';
import type { EventQueue } from './event-queue.ts';
import { EventKind } from './events.ts';
import type { RequestSlots } from './request-slots.ts';
import type { ServerHealth } from './server-health.ts';
import type { DecodedState } from './state.ts';

/** The request slots a state lists at the backends: in service (in completion order) and in each backend's line. */
export interface StateSlots {
  inService: number[];
  waiting: number[][];
}

/** What of a Simulation its state is read from and written to. */
export interface EngineParts {
  backends: BackendState;
  queue: EventQueue;
  slots: RequestSlots;
  balancer: Balancer;
  /** null when no health knob is used. */
  health: ServerHealth | null;
  recorder: Recorder;
}

/**
 * The canonical state (its proxy part empty) and, beside it, the slot of each request
 * it lists: in service (in completion order) and waiting at each backend.
 */
export function captureEngine(p: EngineParts): { state: DecodedState; slots: StateSlots } {
  const bs = p.backends;
  const sl = p.slots;
  const completions = p.queue.pendingOf(EventKind.Completion);
  const slotOf = (s: number) => ({ request: sl.request[s]!, arrival: sl.arrival[s]!, work: sl.work[s]!, backend: sl.backend[s]!, counted: sl.counted[s]! });
  const slots: StateSlots = { inService: completions.map((c) => c.payload), waiting: Array.from({ length: bs.count }, (_, b) => bs.waiting(b)) };
  const state: DecodedState = {
    downDepth: Array.from(bs.downDepth),
    busy: Array.from(bs.busy),
    inService: completions.map((c) => ({ ...slotOf(c.payload), finish: c.time })),
    waiting: slots.waiting.map((line) => line.map(slotOf)),
    balancer: p.balancer.saveState?.() ?? [],
    health: p.health?.saveState() ?? [],
    proxy: [],
  };
  return { state, slots };
}

/**
 * Writes `s` (taken at this simulation's start in another run) into a simulation that
 * has simulated nothing yet; returns the slots it filled, in the order the state lists them.
 */
export function restoreEngine(p: EngineParts, s: DecodedState): StateSlots {
  const bs = p.backends;
  for (let b = 0; b < bs.count; b++) {
    bs.downDepth[b] = s.downDepth[b]!;
    bs.serving[b] = s.downDepth[b] === 0 ? 1 : 0;
    if (p.health === null) bs.up[b] = bs.serving[b]!;
    bs.busy[b] = s.busy[b]!;
  }
  if (p.health === null) {
    // Written only when it changes: V8 treats a field never written since construction as a
    // constant, and writing it deoptimizes all the code that assumed so (measured: a
    // fix-up's first 22 k events ran ~5× slower after a restore that wrote the same count).
    const up = s.downDepth.filter((x) => x === 0).length;
    if (bs.upCount !== up) bs.upCount = up;
  }
  // The beliefs, and the balancer told of what they change, before it loads its own state.
  else p.health.loadState(s.health);
  const slots: StateSlots = { inService: [], waiting: [] };
  for (const r of s.inService) {
    const slot = p.slots.fill(r.request, r.arrival, r.work, r.backend, r.counted === 1);
    p.queue.push(r.finish, EventKind.Completion, EventKind.Completion, slot);
    slots.inService.push(slot);
  }
  s.waiting.forEach((line, b) => {
    const filled: number[] = [];
    for (const r of line) {
      const slot = p.slots.fill(r.request, r.arrival, r.work, b, r.counted === 1);
      bs.enqueue(b, slot);
      filled.push(slot);
    }
    slots.waiting.push(filled);
  });
  bs.inFlightTotal = 0;
  for (let b = 0; b < bs.count; b++) bs.inFlightTotal += bs.inFlight[b] = bs.busy[b]! + bs.queued[b]!;
  if (s.balancer.length > 0) p.balancer.loadState?.(s.balancer);
  p.recorder.attach(bs.busy, bs.queued);
  return slots;
}
