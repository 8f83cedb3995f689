import type { BalancerModule } from '../balancers/types.ts';
import type { BackendSpec } from './backends.ts';
import type { ServerSetSpec } from './server-health.ts';

/** What a Simulation (simulation.ts) runs: its backends, balancer and clock. */
export interface SimulationOptions {
  backends: readonly BackendSpec[];
  balancer: BalancerModule;
  /** Options of the scenario's balancer section, passed to the balancer. @default {} */
  balancerOptions?: Record<string, unknown>;
  seed: number;
  /** Time-series bucket. @default 1000 */
  intervalMs?: number;
  /** Requests arriving before this are simulated but not counted. @default 0 */
  warmupMs?: number;
  /** Client timeout. @default Infinity (none) */
  timeoutMs?: number;
  /** Start of the window this simulation covers (an interval boundary). @default 0 */
  startMs?: number;
  /** End of the window: stop before the first event at or after it. @default Infinity (run to the end) */
  endMs?: number;
  /** Sequence number of the window's first request (the requests before it). @default 0 */
  firstRequest?: number;
  /** Where the traffic as a whole ends (duration or last arrival), for the timeout cut-off. @default source.endTime */
  trafficEndMs?: number;
  /** Balancer-wide server-health knobs (backups, outlier detection); per-backend ones are in `backends`. @default SERVER_SET_DEFAULTS */
  serverSet?: ServerSetSpec;
}

export const SIMULATION_DEFAULTS = { intervalMs: 1000, warmupMs: 0, timeoutMs: Number.POSITIVE_INFINITY, startMs: 0, endMs: Number.POSITIVE_INFINITY, firstRequest: 0 } as const;
