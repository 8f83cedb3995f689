/**
 * Several balancer instances: `balancer.instances: N` runs N independent copies of the
 * algorithm, as real deployments do (nginx worker processes without a shared `zone`,
 * Envoy worker threads, a fleet of LB nodes behind ECMP). Each copy keeps its own state
 * and, by default, sees only its own requests in flight at each backend, so load-aware
 * algorithms decide on a partial view: with 8 copies of least-connections, each sees
 * about an eighth of the load and their choices collide (see
 * scenarios/instances-unbalance.yaml). `instance_counts` (below) says what they see.
 *
 * Which instance takes a request, `instance_by` (@default client):
 * - `client`: a seeded hash of the client key, as ECMP or an L4 balancer in front hashes a
 *   connection's addresses (one client always reaches the same instance);
 * - `round-robin`: instances in turn (a DNS round robin over LB nodes, or an accept queue
 *   shared by workers that take connections in turn);
 * - `random`: a seeded hash of the request number (independent of client).
 *
 * What an instance sees: the real backends' names, weights, concurrency and up/down state
 * (health is shared: every instance learns of an outage), but `inFlight` counts only the
 * requests it sent that have not completed, and `queued` is 0 (how a backend's queue
 * splits among instances is not observable) — unless `instance_counts: shared`: then
 * every instance reads the backends' real in-flight and queued counts. Envoy's worker
 * threads are that case (each has its own load balancer, but a host's rq_active, which
 * least_request and bounded loads read, is one counter for all of them); separate proxy
 * processes or nodes, and nginx workers without a `zone`, the default (@default own). Draws: instances use ctx.random as given
 * (each request goes to one instance, so draws never collide), except set-up draws
 * (draw >= SETUP_DRAW, made once at create time, e.g. Envoy's per-worker seed), which are
 * shifted per instance so every copy gets its own.
 *
 * Completions: each dispatch is booked per backend with its request number, and the
 * engine's onComplete(backend, latency, request) names the request that finished, so it
 * goes back to the instance that sent it.
 */
import { LbsimError } from '../errors.ts';
import { pcgHash } from '../random/counter-rng.ts';
import { totalInFlight } from './eligible.ts';
import { StateReader } from './saved-state.ts';
import type { BackendView, Balancer, BalancerContext, BalancerModule } from './types.ts';

/** Draw numbers from here up are per-balancer set-up draws (see above). */
export const SETUP_DRAW = 1_000_000;

export type InstanceBy = 'client' | 'round-robin' | 'random';
export type InstanceCounts = 'own' | 'shared';
export const INSTANCES_DEFAULTS = { instances: 1, instance_by: 'client' as InstanceBy, instance_counts: 'own' as InstanceCounts } as const;
const INSTANCE_KEYS = ['instances', 'instance_by', 'instance_counts'];

/** Reads and removes the wrapper's options; throws on bad values. */
export function instanceOptions(options: Readonly<Record<string, unknown>>): { instances: number; by: InstanceBy; counts: InstanceCounts; rest: Record<string, unknown> } {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (!INSTANCE_KEYS.includes(k)) rest[k] = v;
  const n = options.instances ?? INSTANCES_DEFAULTS.instances;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1024) {
    throw new LbsimError('SCENARIO_INVALID', `balancer.instances: expected a whole number of balancer instances in 1..1024, got ${JSON.stringify(n)}`);
  }
  const by = options.instance_by ?? INSTANCES_DEFAULTS.instance_by;
  if (by !== 'client' && by !== 'round-robin' && by !== 'random') {
    throw new LbsimError('SCENARIO_INVALID', `balancer.instance_by: expected client, round-robin or random, got ${JSON.stringify(by)}`);
  }
  const counts = options.instance_counts ?? INSTANCES_DEFAULTS.instance_counts;
  if (counts !== 'own' && counts !== 'shared') {
    throw new LbsimError('SCENARIO_INVALID', `balancer.instance_counts: expected own (each instance sees its own requests in flight) or shared (every instance sees all of them), got ${JSON.stringify(counts)}`);
  }
  return { instances: n, by, counts, rest };
}

/** Per-backend book of requests in flight: request number and instance, unordered. */
class InFlightBook {
  private request: Float64Array[];
  private inst: Int32Array[];
  private readonly size: Int32Array;
  constructor(backends: number) {
    this.request = Array.from({ length: backends }, () => new Float64Array(16));
    this.inst = Array.from({ length: backends }, () => new Int32Array(16));
    this.size = new Int32Array(backends);
  }
  add(b: number, request: number, i: number): void {
    let n = this.size[b]!;
    if (n === this.request[b]!.length) {
      const r2 = new Float64Array(n * 2);
      r2.set(this.request[b]!);
      this.request[b] = r2;
      const i2 = new Int32Array(n * 2);
      i2.set(this.inst[b]!);
      this.inst[b] = i2;
    }
    this.request[b]![n] = request;
    this.inst[b]![n] = i;
    this.size[b] = ++n;
  }
  /** Entries at backend `b` as (request, instance) pairs sorted by request: a canonical order. */
  sorted(b: number): number[] {
    const n = this.size[b]!;
    const at = Array.from({ length: n }, (_, k) => k).sort((x, y) => this.request[b]![x]! - this.request[b]![y]!);
    const out: number[] = [];
    for (const k of at) out.push(this.request[b]![k]!, this.inst[b]![k]!);
    return out;
  }
  clear(): void {
    this.size.fill(0);
  }
  /** Removes the entry of request number `request`; returns its instance, or -1. */
  take(b: number, request: number): number {
    const n = this.size[b]!;
    const requests = this.request[b]!;
    let best = -1;
    for (let k = 0; k < n; k++) {
      if (requests[k] === request) {
        best = k;
        break;
      }
    }
    if (best < 0) return -1;
    const inst = this.inst[b]![best]!;
    requests[best] = requests[n - 1]!;
    this.inst[b]![best] = this.inst[b]![n - 1]!;
    this.size[b] = n - 1;
    return inst;
  }
}

/** A view of the backends as one instance sees them: shared state, and in-flight counts of its own unless `counts` is shared. */
function instanceView(shared: BackendView, counts: InstanceCounts): BackendView & { inFlight: Int32Array; inFlightTotal: number } {
  const inFlight = counts === 'shared' ? shared.inFlight : new Int32Array(shared.count);
  const queued = counts === 'shared' ? shared.queued : new Int32Array(shared.count);
  return {
    count: shared.count,
    names: shared.names,
    weight: shared.weight,
    concurrency: shared.concurrency,
    up: shared.up,
    ...(shared.effectiveWeight === undefined ? {} : { effectiveWeight: shared.effectiveWeight }),
    ...(shared.priority === undefined ? {} : { priority: shared.priority }),
    ...(shared.locality === undefined ? {} : { locality: shared.locality }),
    ...(shared.backup === undefined ? {} : { backup: shared.backup }),
    ...(shared.believed === undefined ? {} : { believed: shared.believed }),
    inFlight,
    queued,
    // Own counts: the wrapper keeps the total with them; shared: the engine's, and with them
    // the proxy's served and held slots (HAProxy's threads share a server's). Own counts
    // model separate processes: each sees only its own requests, and no held slot.
    ...(counts === 'shared'
      ? {
          get inFlightTotal() {
            return totalInFlight(shared);
          },
          ...(shared.served === undefined ? {} : { served: shared.served }),
          ...(shared.held === undefined
            ? {}
            : {
                held: shared.held,
                get heldTotal() {
                  return shared.heldTotal;
                },
              }),
        }
      : { inFlightTotal: 0 }),
    // The proxy's limits and queues are shared by every instance (as HAProxy threads share a server's).
    maxconn: shared.maxconn,
    maxqueue: shared.maxqueue,
    proxyQueued: shared.proxyQueued,
    full: shared.full,
    get upCount() {
      return shared.upCount;
    },
  };
}

/**
 * Where the balancer is created: splits the scenario's balancer options into the
 * wrapper's (`instances`, `instance_by`) and the algorithm's, and wraps the module when
 * instances > 1. Pass `options` (never the original) to the engine.
 */
export function applyInstances(module: BalancerModule, options: Readonly<Record<string, unknown>>): { module: BalancerModule; options: Record<string, unknown> } {
  const { rest } = instanceOptions(options);
  return { module: withInstances(module, options), options: rest };
}

/**
 * `module` itself when `instances` is 1 (or absent); otherwise a module that creates N
 * copies and routes each request to one. Its create() expects ctx.options without the
 * wrapper's keys (see applyInstances).
 */
export function withInstances(module: BalancerModule, options: Readonly<Record<string, unknown>>): BalancerModule {
  const { instances, by, counts } = instanceOptions(options);
  if (instances === 1) return module;
  // With shared counts the views read the engine's arrays, which the engine keeps: the wrapper counts nothing.
  const own = counts === 'own';
  return {
    name: module.name,
    description: `${module.description} (${instances} independent instances, by ${by}${own ? '' : ', shared in-flight counts'})`,
    ...(module.follows === undefined ? {} : { follows: module.follows }),
    ...(module.spreadsBackups === undefined ? {} : { spreadsBackups: module.spreadsBackups }),
    ...(module.priorityLevels === undefined ? {} : { priorityLevels: module.priorityLevels }),
    create(ctx: BalancerContext): Balancer {
      const rest = instanceOptions(ctx.options).rest;
      const views = Array.from({ length: instances }, () => instanceView(ctx.backends, counts));
      const copies = views.map((view, i) =>
        module.create({
          backends: view,
          now: ctx.now,
          options: rest,
          ...(ctx.firstBackupRule === undefined ? {} : { firstBackupRule: ctx.firstBackupRule }),
          random: (request, draw) => ctx.random(request, draw >= SETUP_DRAW ? draw + i * 1009 : draw),
        }),
      );
      const book = new InFlightBook(ctx.backends.count);
      const key = Math.floor(ctx.random(0, SETUP_DRAW - 1) * 4294967296) >>> 0;
      let turn = 0;
      let last = 0;
      const balancer: Balancer = {
        pick(request, client, route) {
          let i: number;
          if (by === 'round-robin') {
            i = turn;
            turn = turn + 1 === instances ? 0 : turn + 1;
          } else {
            i = pcgHash(pcgHash(((by === 'client' ? client : request) ^ key) >>> 0) ^ 0x5bd1e995) % instances;
          }
          last = i;
          return copies[i]!.pick(request, client, route);
        },
        onDispatch(b, request) {
          if (own) {
            views[last]!.inFlight[b]!++;
            views[last]!.inFlightTotal++;
          }
          book.add(b, request, last);
          copies[last]!.onDispatch?.(b, request);
        },
        onComplete(b, latencyMs, request) {
          const i = book.take(b, request);
          if (i < 0) return;
          if (own) {
            views[i]!.inFlight[b]!--;
            views[i]!.inFlightTotal--;
          }
          copies[i]!.onComplete?.(b, latencyMs, request);
        },
        onBackendDown(b) {
          for (const c of copies) c.onBackendDown?.(b);
        },
        onBackendUp(b) {
          for (const c of copies) c.onBackendUp?.(b);
        },
        onWeightChange(b) {
          for (const c of copies) c.onWeightChange?.(b);
        },
        // Refusals come straight after the pick that chose the backend, or to a retry going
        // back to it: the instance that picked last is told (each instance's own view keeps
        // no count of held retries).
        onRefused(b) {
          copies[last]!.onRefused?.(b);
        },
      };
      if (copies.every((c) => typeof c.saveState === 'function' && typeof c.loadState === 'function')) {
        const n = ctx.backends.count;
        /**
         * The turn, each instance's own state (length first), and the book of requests in
         * flight by backend in request order; each instance's in-flight counts follow
         * from the book.
         */
        balancer.saveState = () => {
          const out = [turn];
          for (const c of copies) {
            const own = c.saveState!();
            out.push(own.length, ...own);
          }
          for (let b = 0; b < n; b++) {
            const entries = book.sorted(b);
            out.push(entries.length / 2, ...entries);
          }
          return out;
        };
        balancer.loadState = (state) => {
          const r = new StateReader(state);
          turn = r.next();
          for (const c of copies) {
            const own = r.take(r.next());
            if (own.length > 0) c.loadState!(own);
          }
          book.clear();
          if (own) {
            for (const v of views) {
              v.inFlight.fill(0);
              v.inFlightTotal = 0;
            }
          }
          for (let b = 0; b < n; b++) {
            for (let k = r.next(); k > 0; k--) {
              const request = r.next();
              const i = r.next();
              book.add(b, request, i);
              if (own) {
                views[i]!.inFlight[b]!++;
                views[i]!.inFlightTotal++;
              }
            }
          }
        };
      }
      /**
       * In turn: instance i has had the requests i, i + N, ... before the window; otherwise
       * about requests / N each (a guess, as any).
       */
      balancer.assumePicks = (requests) => {
        if (by === 'round-robin') turn = requests % instances;
        copies.forEach((c, i) => c.assumePicks?.(by === 'round-robin' ? Math.max(0, Math.ceil((requests - i) / instances)) : Math.round(requests / instances)));
      };
      return balancer;
    },
  };
}
