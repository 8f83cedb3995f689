import type { BalancerContext } from '../balancers/types.ts';
import { Purpose, streamKey, uniform } from '../random/counter-rng.ts';
import type { BackendState } from './backends.ts';

/** Draw indices a balancer may use per request through ctx.random(request, draw) with precomputed keys; more are derived on demand. */
const PRECOMPUTED_DRAWS = 8;

/**
 * What the engine gives a balancer it creates: the backends, the simulated clock, the
 * scenario's balancer options, and random numbers keyed by (seed, request, draw), so a
 * pick draws the same numbers however the run is split in time.
 */
export function balancerContext(backends: BackendState, seed: number, options: Record<string, unknown>, now: () => number, firstBackupRule?: Uint8Array): BalancerContext {
  const keys = Array.from({ length: PRECOMPUTED_DRAWS }, (_, k) => streamKey(seed, Purpose.Balancer, k));
  return {
    backends,
    now,
    options,
    ...(firstBackupRule === undefined ? {} : { firstBackupRule }),
    random(request, draw) {
      const k = draw < PRECOMPUTED_DRAWS ? keys[draw]! : streamKey(seed, Purpose.Balancer, draw);
      return uniform(k.k1, k.k2, request);
    },
  };
}
