/**
 * Building a Simulation for a scenario (or one window of it): its traffic source, its
 * balancer (with `instances`), its engine (plain or with the proxy layer). The worker
 * threads need this and nothing of reporting or log import, so it lives apart from the
 * facade in simulate.ts, which re-exports it.
 */
import { checkPriorityLevels } from './balancers/envoy/priority-set.ts';
import { applyInstances } from './balancers/instances.ts';
import { withPersistence } from './balancers/persistence.ts';
import { BUILTIN_BALANCERS } from './balancers/registry.ts';
import type { Balancer, BalancerModule } from './balancers/types.ts';
import { createEngine } from './engine/proxy.ts';
import type { Simulation } from './engine/simulation.ts';
import type { Scenario } from './scenario/load.ts';
import type { RouteKey } from './traffic/lbt/reader.ts';
import { createTraceTraffic } from './traffic/replay.ts';
import type { TrafficSource } from './traffic/source.ts';
import { SyntheticTraffic } from './traffic/synthetic.ts';

/** The request key `module` hashes as the route key with the scenario's options (BalancerModule.routeKey). */
export function routeKeyFor(module: BalancerModule, scenario: Scenario): RouteKey {
  return module.routeKey?.(scenario.balancer.options) ?? 'path';
}

/**
 * Why the replay cannot give a built-in algorithm the key it hashes, for people: a
 * version 1 trace has no uri keys, so `hash $request_uri` hashes paths alone (as `$uri`).
 * Undefined when it can, or for a user's algorithm (loaded later; it gets path keys then).
 */
export function routeKeyNote(scenario: Scenario): string | undefined {
  const t = scenario.traffic;
  if (t.kind !== 'trace' || t.uriKeys !== false) return undefined;
  const module = BUILTIN_BALANCERS.get(scenario.balancer.algorithm);
  if (module === undefined || routeKeyFor(module, scenario) !== 'uri') return undefined;
  return `${t.file ?? t.source} was imported by an lbsim older than its uri keys (a version 1 .lbt): ${module.name} hashes the path with its query string, and gets the path without it; re-import the log (lbsim import) so requests that differ only in their query string are told apart`;
}

/** The scenario's traffic; a trace gives `routeKey` as each request's route key (synthetic routes have no query). */
export function createTraffic(scenario: Scenario, seed: number, routeKey: RouteKey = 'path'): TrafficSource {
  const t = scenario.traffic;
  // A trace was imported and resolved when the scenario was loaded (loadScenario); replay reads it synchronously.
  if (t.kind === 'trace') return createTraceTraffic(t, seed, routeKey);
  return new SyntheticTraffic({ rate: t.rate, service: t.service, clients: t.clients, routes: t.routes, durationMs: scenario.durationMs, seed });
}

/** A window [startMs, endMs) of a run, simulated on its own (src/parallel/time-split.ts). */
export interface SimulationWindow {
  startMs: number;
  endMs: number;
  /** Sequence number of the window's first request. */
  firstRequest: number;
  /** The window's arrivals, on the run's timeline. */
  traffic: TrafficSource;
  /** Where the whole run's traffic ends (for the timeout cut-off). */
  trafficEndMs: number;
}

export function createSimulation(scenario: Scenario, balancer: BalancerModule, seed: number, window?: SimulationWindow): Simulation {
  checkPriorityLevels(scenario.backends, balancer);
  // `balancer.instances: N` runs N independent copies of the algorithm (src/balancers/instances.ts).
  const lb = applyInstances(balancer, scenario.balancer.options);
  // Persistence sits in front of the instances: a cookie names a server, whichever instance reads it.
  const module = scenario.persistence === undefined ? lb.module : withPersistence(lb.module, scenario.persistence);
  const sim = createEngine(
    {
      backends: scenario.backends,
      balancer: module,
      balancerOptions: lb.options,
      seed,
      intervalMs: scenario.intervalMs,
      warmupMs: scenario.warmupMs,
      timeoutMs: scenario.timeoutMs,
      serverSet: scenario.serverSet,
      ...(window === undefined
        ? {}
        : { startMs: window.startMs, endMs: window.endMs, firstRequest: window.firstRequest, trafficEndMs: window.trafficEndMs }),
    },
    scenario.proxy,
    window?.traffic ?? createTraffic(scenario, seed, routeKeyFor(balancer, scenario)),
  );
  // A window may start inside an outage: the engine starts those backends down, but the
  // balancer was created with every backend up. Tell it, as the single run told it when
  // the outage began, so state it derives from up/down and does not save (a hash ring, a
  // server map, a host set) is the single run's at the window's start.
  // (With server-health knobs there are no windows, and a backend down at the start is a hidden backup the balancer already saw down.)
  if (sim.health === null) for (let b = 0; b < sim.backends.count; b++) if (sim.backends.up[b] === 0) sim.balancer.onBackendDown?.(b);
  return sim;
}

/** A traffic source with no request. */
const NO_TRAFFIC: TrafficSource = { endTime: 0, fill: (c) => void (c.count = 0) };

/**
 * The balancer `scenario` runs, created as a run creates it (instances, persistence, the
 * engine's view) over no traffic, and the probe let go: a user's create(), or an option
 * given on the command line, may refuse it here (a thrown LbsimError), before any run.
 */
export function probeBalancer(scenario: Scenario, balancer: BalancerModule, seed: number): Balancer {
  const probe = createSimulation(scenario, balancer, seed, { startMs: 0, endMs: 0, firstRequest: 0, traffic: NO_TRAFFIC, trafficEndMs: 0 });
  probe.recorder.totals.destroy();
  return probe.balancer;
}
