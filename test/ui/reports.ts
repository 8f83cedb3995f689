/**
 * Small reports for the UI tests, made by running real scenarios through the core
 * (parseScenario + simulateSync), never hand-written: the panels see what a run gives.
 */
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import type { Report } from '../../src/report/types.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { simulateSync } from '../../src/simulate.ts';

/** An overloaded run in the shape of the 2024-04-15 incident: most traffic on one small backend. */
export const OVERLOADED_YAML = `
name: incident-mini
seed: 7
start: 2024-04-15T10:00:00Z
duration: 2m
timeout: 2s
traffic:
  synthetic:
    # Silent for its last second, so every request has finished by the end: the series end at 2m, not with an interval of draining after it.
    profile: [{ at: 0s, rate: 300/s }, { at: 30s, rate: 300/s }, { at: 30s, rate: 1500/s }, { at: 90s, rate: 1500/s }, { at: 90s, rate: 300/s }, { at: 119s, rate: 300/s }, { at: 119s, rate: 0/s }]
    service: { distribution: exponential, mean: 4ms }
balancer: { algorithm: weighted-round-robin }
backends:
  - { name: api-a, weight: 8, concurrency: 2, queue: 50 }
  - { name: api-b, weight: 1, concurrency: 4, queue: 200 }
  - { name: api-c, weight: 1, concurrency: 4, queue: 200 }
report: { interval: 5s }
slo: { p99: 250ms, errors: 1% }
`;

/** A run in which no request arrives. */
export const EMPTY_YAML = `
name: empty
duration: 10s
traffic:
  synthetic:
    rate: 0.000001/s
    service: { distribution: constant, mean: 1ms }
balancer: { algorithm: round-robin }
backends:
  - { name: web, count: 2 }
`;

/** A calm run: no queueing to speak of, no failures. */
export const CALM_YAML = `
name: calm
seed: 3
duration: 1m
traffic:
  synthetic:
    rate: 200/s
    service: { distribution: exponential, mean: 2ms }
balancer: { algorithm: least-connections }
backends:
  - { name: web, count: 4, concurrency: 2 }
report: { interval: 2s }
`;

const cache = new Map<string, Report>();

export function reportOf(yaml: string): Report {
  let r = cache.get(yaml);
  if (r === undefined) {
    const scenario = parseScenario(yaml);
    r = simulateSync(scenario, BUILTIN_BALANCERS.get(scenario.balancer.algorithm)!);
    cache.set(yaml, r);
  }
  return r;
}

/** A fleet of 40 small backends picked at random: short queues everywhere, mean queues below 1. */
export const FLEET_YAML = `
name: fleet
seed: 11
duration: 20s
traffic:
  synthetic:
    rate: 1000/s
    service: { distribution: exponential, mean: 10ms }
balancer: { algorithm: random }
backends:
  - { name: web, count: 40, concurrency: 1 }
report: { interval: 1s }
`;
