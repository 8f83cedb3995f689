/**
 * The proxy layer's part of the canonical engine state (state.ts), so a run with it is
 * split in time exactly like a plain run (src/parallel/time-split.ts): two runs whose
 * states are equal at a boundary go on identically. It holds what ProxySimulation
 * (proxy.ts) keeps between events:
 * - its counters: requests held, open on backends, attempts that are retries (Envoy's
 *   budget); per backend, the requests open on it (`served`) and whether it is full;
 * - each request at a backend (the engine's part lists those, in service in completion
 *   order, then each backend's line): awaited, or abandoned after a per-try timeout (an
 *   orphan the backend still works on); its attempt and when that was sent; for an
 *   awaited one what a retry needs (client, route, the hosts tried);
 * - the proxy's queues in order (the backend-wide one, then each server's), each request
 *   with when it joined and its retry state (attempt, last server, keepServer, hosts tried,
 *   whether it still goes where its client is pinned);
 * - the retries waiting out a back-off or turn-around, in the order their Retry events run
 *   (under holdServer one going back to its server holds a place in that server's `served`);
 * - the pending queue and per-try timeouts, in the order they will run.
 * Requests are named by their place in these lists, never by slot, and a slot's columns
 * are written only where they are read again (a slot reused by a new request keeps stale
 * values the proxy never reads: keepServer of a first attempt, hosts past its attempt).
 *
 * Event order: at equal times the heap runs events of one kind in the order they were
 * scheduled; kinds have their own priorities. So the timers and retries are listed in
 * the order they will run, and a restore schedules them in that order (the completions
 * likewise, in state.ts), which gives them the same relative order in the new heap.
 *
 * Timers the heap still holds for a request that moved on (a queue timeout of a request
 * since sent, a try timeout of one since answered) do nothing when they run, but for
 * moving the clock; they are left out (the engine counts them in `idleTimers`, 0 after a
 * restore). Such a timer can never act later: a request that takes its slot joins a
 * queue or is sent after the boundary, so its own deadline is later. Of two timers with
 * the same deadline for one request (put back in a queue at the instant it joined), the
 * first acts: it is the one listed.
 */
import type { BackendState } from './backends.ts';
import type { EventQueue } from './event-queue.ts';
import { EventKind, PROXY_PRIORITY } from './events.ts';
import { AT_PROXY, type ProxySlots, SlotStatus } from './proxy-slots.ts';
import type { ProxyQueues } from './proxy-queues.ts';
import type { StateSlots } from './snapshot.ts';

export interface ProxyCounters {
  held: number;
  open: number;
  activeRetries: number;
}

/** What of ProxySimulation the capture reads and the restore writes. */
export interface ProxyParts {
  backends: BackendState;
  queues: ProxyQueues;
  timeoutQueueMs: number;
  perTryTimeoutMs: number;
  /** ProxyOptions.holdServer: a waiting retry that goes back to its server holds a slot of it. */
  holdServer: boolean;
  counters: ProxyCounters;
  queue: EventQueue;
  /** Its columns grow: read them again after slots.fill(). */
  slots: ProxySlots;
}

/** The proxy's part of the state; `atBackends` are the slots the engine's part lists (Simulation.capture). */
export function captureProxyState(p: ProxyParts, atBackends: StateSlots): number[] {
  const c = p.slots;
  const bs = p.backends;
  const out: number[] = [p.counters.held, p.counters.open, p.counters.activeRetries];
  for (let b = 0; b < bs.count; b++) out.push(bs.served[b]!, bs.full[b]!);
  const index = new Map<number, number>();
  const name = (slot: number) => index.set(slot, index.size);
  for (const slot of [...atBackends.inService, ...atBackends.waiting.flat()]) {
    name(slot);
    writeSlot(out, c, slot, false);
  }
  const lines = [p.queues.shared.items(0), ...Array.from({ length: bs.count }, (_, b) => p.queues.server.items(b))];
  for (const line of lines) {
    out.push(line.length);
    for (const slot of line) {
      name(slot);
      writeSlot(out, c, slot, true);
    }
  }
  const retries = p.queue.pendingOf(EventKind.Retry);
  out.push(retries.length);
  for (const { time, payload: slot } of retries) {
    name(slot);
    out.push(time);
    writeSlot(out, c, slot, true);
  }
  // The timers that will act, in the order they will run: one per request queued (sent) when the timeout is set.
  const timers = (kind: number, status: number, since: Float64Array, timeoutMs: number) => {
    const acting: number[] = [];
    const seen = new Set<number>();
    for (const { time, payload: slot } of p.queue.pendingOf(kind)) {
      if (c.state[slot] !== status || since[slot]! + timeoutMs !== time || seen.has(slot)) continue;
      seen.add(slot);
      acting.push(index.get(slot)!);
    }
    const expected = timeoutMs === Number.POSITIVE_INFINITY ? 0 : [...index.keys()].filter((slot) => c.state[slot] === status).length;
    if (acting.length !== expected) throw new Error(`proxy state: ${acting.length} timers of kind ${kind} for ${expected} requests`);
    out.push(acting.length);
    for (const x of acting) out.push(x);
  };
  timers(EventKind.QueueTimeout, SlotStatus.Queued, c.queuedAt, p.timeoutQueueMs);
  timers(EventKind.TryTimeout, SlotStatus.Sent, c.sentAt, p.perTryTimeoutMs);
  return out;
}

/**
 * Writes the proxy's part of a state taken at this run's start; `atBackends` are the slots
 * the engine filled for its part (Simulation.restoreDecoded). The proxy's queues and
 * counters must be empty. Returns the counters to set.
 */
export function restoreProxyState(p: ProxyParts, state: readonly number[], atBackends: StateSlots): ProxyCounters {
  let at = 0;
  const next = () => state[at++]!;
  const counters: ProxyCounters = { held: next(), open: next(), activeRetries: next() };
  const bs = p.backends;
  for (let b = 0; b < bs.count; b++) {
    bs.served[b] = next();
    bs.full[b] = next();
  }
  const slots: number[] = [];
  for (const slot of [...atBackends.inService, ...atBackends.waiting.flat()]) {
    at = readSlot(state, at, p.slots, slot);
    slots.push(slot);
  }
  /** A request the engine's part does not list: a new slot, waiting at the proxy. */
  const fill = () => {
    const slot = p.slots.fill(next(), next(), next(), AT_PROXY, next() === 1);
    at = readSlot(state, at, p.slots, slot);
    slots.push(slot);
    return slot;
  };
  for (let line = -1; line < bs.count; line++) {
    for (let n = next(); n > 0; n--) {
      const slot = fill();
      p.slots.line[slot] = line;
      if (line < 0) p.queues.shared.push(0, slot);
      else p.queues.server.push(line, slot);
    }
  }
  p.queues.depth[0] = p.queues.shared.lengths[0]! + bs.proxyQueued.reduce((a, n) => a + n, 0);
  const c = p.slots;
  // `served` (read above) counts the slots held by retries; which ones hold follows from their state.
  bs.held.fill(0);
  bs.heldTotal = 0;
  for (let n = next(); n > 0; n--) {
    const time = next();
    const slot = fill();
    p.queue.push(time, PROXY_PRIORITY.Retry, EventKind.Retry, slot);
    if (p.holdServer && c.attempt[slot]! > 0 && c.keepServer[slot] === 1) {
      bs.held[c.lastBackend[slot]!]!++;
      bs.heldTotal++;
    }
  }
  for (let n = next(); n > 0; n--) {
    const slot = slots[next()]!;
    p.queue.push(c.queuedAt[slot]! + p.timeoutQueueMs, PROXY_PRIORITY.QueueTimeout, EventKind.QueueTimeout, slot);
  }
  for (let n = next(); n > 0; n--) {
    const slot = slots[next()]!;
    p.queue.push(c.sentAt[slot]! + p.perTryTimeoutMs, PROXY_PRIORITY.TryTimeout, EventKind.TryTimeout, slot);
  }
  if (at !== state.length) throw new Error(`proxy state: read ${at} of ${state.length} numbers`);
  return counters;
}

/**
 * One request's proxy fields, as far as they are read again: an orphan's only feed its
 * completion (attempt, sentAt); a sent attempt's feed a retry after a try timeout too.
 * `withRequest`: also the engine's fields (the engine's part does not list it).
 */
function writeSlot(out: number[], c: ProxySlots, slot: number, withRequest: boolean): void {
  if (withRequest) out.push(c.request[slot]!, c.arrival[slot]!, c.work[slot]!, c.counted[slot]!);
  const status = c.state[slot]!;
  const attempt = c.attempt[slot]!;
  out.push(status, attempt);
  if (status === SlotStatus.Orphan) return void out.push(c.sentAt[slot]!);
  if (status === SlotStatus.Sent) out.push(c.sentAt[slot]!);
  else if (status === SlotStatus.Queued) out.push(c.queuedAt[slot]!);
  else if (status !== SlotStatus.Waiting) throw new Error(`proxy state: slot ${slot} listed as ${status}`);
  // direct: whether it still goes where its client is pinned (SF_DIRECT).
  out.push(c.client[slot]!, c.route[slot]!, c.direct[slot]!);
  // Where a retry goes: read by the attempt a retry holds, not yet sent.
  if (status !== SlotStatus.Sent && attempt > 0) out.push(c.lastBackend[slot]!, c.keepServer[slot]!);
  // Hosts tried: the attempts before this one, and this one's once it is sent.
  const hosts = c.triedStride === 0 ? 0 : status === SlotStatus.Sent ? attempt + 1 : attempt;
  for (let i = 0; i < hosts; i++) out.push(c.tried[slot * c.triedStride + i]!);
}

/** The inverse of writeSlot (without the engine's fields); returns where the next record starts. */
function readSlot(state: readonly number[], at: number, c: ProxySlots, slot: number): number {
  const status = state[at++]!;
  const attempt = state[at++]!;
  c.state[slot] = status;
  c.attempt[slot] = attempt;
  c.keepServer[slot] = 0;
  c.lastBackend[slot] = status === SlotStatus.Sent || status === SlotStatus.Orphan ? c.backend[slot]! : -1;
  if (status === SlotStatus.Orphan) {
    c.sentAt[slot] = state[at++]!;
    return at;
  }
  if (status === SlotStatus.Sent) c.sentAt[slot] = state[at++]!;
  else if (status === SlotStatus.Queued) c.queuedAt[slot] = state[at++]!;
  c.client[slot] = state[at++]!;
  c.route[slot] = state[at++]!;
  c.direct[slot] = state[at++]!;
  if (status !== SlotStatus.Sent && attempt > 0) {
    c.lastBackend[slot] = state[at++]!;
    c.keepServer[slot] = state[at++]!;
  }
  const hosts = c.triedStride === 0 ? 0 : status === SlotStatus.Sent ? attempt + 1 : attempt;
  for (let i = 0; i < hosts; i++) c.tried[slot * c.triedStride + i] = state[at++]!;
  return at;
}
