/**
 * Who takes the traffic while every server is up, and in what shares, for `validate`'s
 * static checks: backups wait for every primary (HAProxy, nginx), an Envoy priority level
 * below the highest that has hosts waits for the levels above it, and with Envoy's
 * locality weighting a locality takes its weight's share of the level (a locality without
 * weight none, while another has one), split among its hosts. Weighted algorithms split
 * by weight, the others evenly.
 */
import type { BackendSpec } from '../engine/backends.ts';

export interface SteadyShares {
  /** Per backend: takes traffic while every server is up. */
  steady: boolean[];
  /** Per backend: its share of the traffic then (0 for the others). */
  share: number[];
  /** Localities without weight whose backends therefore take nothing (locality weighting on, another locality weighted). */
  unweighted: string[];
  /** True when the shares follow locality weights. */
  byLocality: boolean;
}

export function steadyShares(backends: readonly BackendSpec[], pickable: readonly boolean[], weighted: boolean, options: Readonly<Record<string, unknown>>, algorithm: string): SteadyShares {
  const primaries = backends.map((b, i) => pickable[i]! && b.backup !== true);
  const anyPrimary = primaries.some(Boolean);
  const top = Math.min(...backends.filter((_, i) => (anyPrimary ? primaries[i] : pickable[i])).map((b) => b.priority ?? 0));
  const steady = backends.map((b, i) => (anyPrimary ? primaries[i]! : pickable[i]!) && (b.priority ?? 0) === top);
  const own = (b: BackendSpec) => (weighted ? b.weight : 1);
  const localityWeights = localityWeightsOf(options, algorithm);
  const unweighted: string[] = [];
  if (localityWeights !== undefined) {
    const names = [...new Set(backends.filter((_, i) => steady[i]).map((b) => b.locality ?? ''))];
    const total = names.reduce((s, n) => s + (localityWeights.get(n) ?? 0), 0);
    // Ring hash and Maglev with every locality weight 0 build an empty ring: nobody takes anything.
    if (total === 0 && HASHING.includes(algorithm)) return { steady: steady.map(() => false), share: steady.map(() => 0), unweighted: names, byLocality: true };
    if (total > 0) {
      for (const n of names) if ((localityWeights.get(n) ?? 0) === 0) unweighted.push(n);
      const inLocality = new Map<string, number>();
      backends.forEach((b, i) => {
        if (steady[i]) inLocality.set(b.locality ?? '', (inLocality.get(b.locality ?? '') ?? 0) + own(b));
      });
      const share = backends.map((b, i) => {
        const n = b.locality ?? '';
        return steady[i] ? ((localityWeights.get(n) ?? 0) / total) * (own(b) / inLocality.get(n)!) : 0;
      });
      return { steady: steady.map((s, i) => s && share[i]! > 0), share, unweighted, byLocality: true };
    }
  }
  const total = backends.reduce((s, b, i) => s + (steady[i] ? own(b) : 0), 0);
  return { steady, share: backends.map((b, i) => (steady[i] && total > 0 ? own(b) / total : 0)), unweighted, byLocality: false };
}

const HASHING = ['envoy/ring_hash', 'envoy/maglev'];

/** The locality weights when the algorithm weighs localities (envoy/*, with locality_weighted_lb). */
function localityWeightsOf(options: Readonly<Record<string, unknown>>, algorithm: string): Map<string, number> | undefined {
  if (!algorithm.startsWith('envoy/') || options.locality_weighted_lb !== true) return undefined;
  const w = options.locality_weights;
  const out = new Map<string, number>();
  if (typeof w === 'object' && w !== null) for (const [k, v] of Object.entries(w)) if (typeof v === 'number') out.set(k, v);
  return out;
}
