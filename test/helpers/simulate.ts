/**
 * Runs a scenario in-process, the way the statistical and property tests need it: a
 * plain object (the YAML file's content) goes through the real scenario parser and a
 * built-in balancer from the registry, then the real engine (`simulateSync`).
 */
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import type { Report } from '../../src/report/types.ts';
import { parseScenario, type Scenario } from '../../src/scenario/load.ts';
import { simulateSync } from '../../src/simulate.ts';

/** Parses a scenario given as an object (JSON is YAML), as a scenario file would be. */
export function scenarioOf(fields: Record<string, unknown>): Scenario {
  return parseScenario(JSON.stringify(fields), { file: 'test-scenario.json' });
}

/** Simulates a scenario object with its built-in balancer; `seed` overrides the scenario's. */
export function simulateObject(fields: Record<string, unknown>, seed?: number): Report {
  const scenario = scenarioOf(fields);
  const balancer = BUILTIN_BALANCERS.get(scenario.balancer.algorithm);
  if (!balancer) throw new Error(`not a built-in balancer: ${scenario.balancer.algorithm}`);
  return simulateSync(scenario, balancer, seed ?? scenario.seed);
}
