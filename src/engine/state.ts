/**
 * The engine's state at an instant, in a canonical form two runs can compare: if two
 * simulations of the same traffic have equal states at the same boundary, everything
 * after it is identical. It holds what the future depends on and nothing else:
 * - per backend: outage depth, busy slots, and its waiting line in order;
 * - every request in service with its completion time, in the order the completions
 *   will run (time, then scheduling order: the relative order of equal-time events is
 *   all that the heap's sequence numbers mean);
 * - the balancer's own state (its saveState());
 * - what the balancer knows of its servers (server-health.ts: beliefs, check counters,
 *   passive-check and ejection state, slow-start ramps), empty without health knobs;
 * - the proxy layer's part (proxy-state.ts: its queues, retries waiting, pending timers
 *   in the order they will run, each request's attempt state), empty without the layer.
 * Requests are named by their sequence number or their place in a list, never by the
 * engine's internal slot.
 * Encoded as one Float64Array so it crosses threads cheaply and compares element-wise.
 */

export type EngineState = Float64Array;

export interface StateRequest {
  request: number;
  arrival: number;
  work: number;
  backend: number;
  counted: number;
}

export interface DecodedState {
  downDepth: number[];
  busy: number[];
  inService: (StateRequest & { finish: number })[];
  waiting: StateRequest[][];
  balancer: number[];
  health: number[];
  /** The proxy layer's part (proxy-state.ts); empty for the plain engine. */
  proxy: number[];
}

export function writeState(s: DecodedState): EngineState {
  const out: number[] = [s.downDepth.length];
  for (let b = 0; b < s.downDepth.length; b++) out.push(s.downDepth[b]!, s.busy[b]!);
  out.push(s.inService.length);
  for (const r of s.inService) out.push(r.finish, r.request, r.arrival, r.work, r.backend, r.counted);
  for (const line of s.waiting) {
    out.push(line.length);
    for (const r of line) out.push(r.request, r.arrival, r.work, r.counted);
  }
  out.push(s.balancer.length, ...s.balancer);
  out.push(s.health.length, ...s.health);
  // A loop, not a spread: under overload the proxy's queues hold more numbers than a call takes arguments.
  out.push(s.proxy.length);
  for (const x of s.proxy) out.push(x);
  return Float64Array.from(out);
}

export function readState(state: EngineState, backends: number): DecodedState {
  let i = 0;
  // A state crosses threads as an array of doubles, so every number read from it is a heap
  // number, even a count. Written into a field or a closure the engine's optimized code
  // holds as a small integer (a request number, a round-robin index), it deoptimizes that
  // code for the whole thread: a fix-up's first 22 k events ran ~4× slower. Math.floor
  // gives back a small integer as one.
  const next = () => {
    const v = state[i++]!;
    return Number.isInteger(v) ? Math.floor(v) : v;
  };
  if (next() !== backends) throw new Error(`engine state is for ${state[0]} backends, not ${backends}`);
  const downDepth: number[] = [];
  const busy: number[] = [];
  for (let b = 0; b < backends; b++) {
    downDepth.push(next());
    busy.push(next());
  }
  const inService: DecodedState['inService'] = [];
  for (let n = next(); n > 0; n--) {
    const finish = next();
    inService.push({ finish, request: next(), arrival: next(), work: next(), backend: next(), counted: next() });
  }
  const waiting: StateRequest[][] = [];
  for (let b = 0; b < backends; b++) {
    const line: StateRequest[] = [];
    for (let n = next(); n > 0; n--) line.push({ request: next(), arrival: next(), work: next(), backend: b, counted: next() });
    waiting.push(line);
  }
  const balancer: number[] = [];
  for (let n = next(); n > 0; n--) balancer.push(next());
  const health: number[] = [];
  for (let n = next(); n > 0; n--) health.push(next());
  const proxy: number[] = [];
  for (let n = next(); n > 0; n--) proxy.push(next());
  return { downDepth, busy, inService, waiting, balancer, health, proxy };
}

/**
 * Whether a state with these counts could be `state`: false when a server's outage depth,
 * its busy slots or the requests waiting at it differ. Read off the state's layout
 * (writeState) without decoding it, so a fix-up can skip building a snapshot that cannot
 * match: under overload a snapshot lists every queued request (~65 ms for 180 k of them).
 */
export function countsMatch(state: EngineState, downDepth: ArrayLike<number>, busy: ArrayLike<number>, queued: ArrayLike<number>): boolean {
  const B = downDepth.length;
  if (state[0] !== B) return false;
  for (let b = 0; b < B; b++) if (state[1 + 2 * b] !== downDepth[b] || state[2 + 2 * b] !== busy[b]) return false;
  // Past the requests in service (6 numbers each), then each backend's waiting line (4 each).
  let i = 1 + 2 * B;
  i += 1 + 6 * state[i]!;
  for (let b = 0; b < B; b++) {
    const n = state[i]!;
    if (n !== queued[b]) return false;
    i += 1 + 4 * n;
  }
  return true;
}

export function sameState(a: EngineState, b: EngineState): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
