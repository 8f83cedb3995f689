/**
 * A pool whose threads were started before the program knew it would need them: booting a
 * worker (a thread, then the engine's modules) takes ~0.1–0.3 s, which a CLI can overlap
 * with loading itself and the scenario (src/cli/early-pool.ts). The next `takePool` that
 * fits adopts it; `endEarlyPool` ends it if nothing did, so an unused pool never keeps the
 * process alive. Kept apart from pool.ts so that ending it loads no piscina.
 */
import type { SimulationPool } from './pool.ts';

let early: SimulationPool | undefined;

export function keepEarly(pool: SimulationPool): void {
  void early?.destroy();
  early = pool;
}

export function takeEarly(): SimulationPool | undefined {
  const pool = early;
  early = undefined;
  return pool;
}

export async function endEarlyPool(): Promise<void> {
  await takeEarly()?.destroy();
}
