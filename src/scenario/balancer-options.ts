/**
 * The balancer section's options are checked when the scenario is loaded, not when a run
 * first creates the balancer: so `validate` finds a wrong option too, and the error names
 * the scenario's file and the line of the offending key, as every other scenario error
 * does. A built-in algorithm reads (and checks) its options in create(), so creating it
 * once on the scenario's backends is the check: no second list of option names to keep in
 * step. A user's balancer file gets every key beside `algorithm` as its own (it is loaded
 * only when the run starts, and decides itself what it takes); only the `instances`
 * wrapper's keys are checked for it.
 */
import type { Document } from 'yaml';
import { checkPriorityLevels } from '../balancers/envoy/priority-set.ts';
import { instanceOptions } from '../balancers/instances.ts';
import { BUILTIN_BALANCERS } from '../balancers/registry.ts';
import { BackendState } from '../engine/backends.ts';
import { balancerContext } from '../engine/balancer-context.ts';
import { isLbsimError, LbsimError } from '../errors.ts';
import type { Scenario } from './load.ts';
import { expandNames } from './schema.ts';

/** Throws the first option error as `FILE:LINE: balancer.<option>: ...` (exit 2). */
export function checkBalancerOptions(scenario: Scenario, file: string, doc: Document, lineOf: (path: readonly PropertyKey[]) => number | undefined): void {
  try {
    const { rest } = instanceOptions(scenario.balancer.options);
    const module = BUILTIN_BALANCERS.get(scenario.balancer.algorithm);
    if (module !== undefined) checkPriorityLevels(scenario.backends, module);
    module?.create(balancerContext(new BackendState(scenario.backends), scenario.seed, rest, () => 0));
  } catch (e) {
    if (!isLbsimError(e) || e.code !== 'SCENARIO_INVALID') throw e;
    const line = lineOf(pathOf(e.message, doc));
    throw new LbsimError(e.code, `${file}${line ? `:${line}` : ''}: ${e.message}`, { cause: e });
  }
}

/**
 * The YAML path an algorithm's error names: `balancer.<option>: ...`, or
 * `backends.<name>.<field>: ...` (a weight the proxy refuses) at the list entry that
 * declares that backend (a group's `count` expands to several names).
 */
function pathOf(message: string, doc: Document): PropertyKey[] {
  const option = /^balancer\.([^:.\s]+)/.exec(message);
  if (option) return ['balancer', option[1]!];
  const backend = /^backends\.(\S+)\.(\w+):/.exec(message);
  if (!backend) return ['balancer'];
  const raw = doc.toJS() as { backends?: { name?: string; count?: number }[] };
  const entry = (raw.backends ?? []).findIndex((b) => typeof b?.name === 'string' && expandNames(b.name, b.count).includes(backend[1]!));
  return entry < 0 ? ['backends'] : ['backends', entry, backend[2]!];
}
