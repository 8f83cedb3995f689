/**
 * Properties every proxy-exact and latency-aware algorithm must keep, over random weights,
 * outages and loads (fast-check): a pick is a backend that is up with weight > 0 (Envoy in
 * panic excepted: it may pick a host in an outage, by design), -1 only when no backend
 * can be picked, and the same inputs give the same sequence (determinism).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import { harness } from './harness.ts';

const PROXY_ALGOS = [...BUILTIN_BALANCERS.keys()].filter((n) => n.includes('/') || n === 'peak-ewma' || n === 'least-response-time');

const scenario = fc.record({
  weights: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 7 }),
  ops: fc.array(
    fc.oneof(
      fc.record({ op: fc.constant('pick' as const), client: fc.nat(), route: fc.nat({ max: 1000 }), hold: fc.boolean() }),
      fc.record({ op: fc.constant('toggle' as const), b: fc.nat({ max: 6 }) }),
      fc.record({ op: fc.constant('complete' as const), b: fc.nat({ max: 6 }) }),
    ),
    { maxLength: 60 },
  ),
});

function run(name: string, weights: number[], ops: { op: string; client?: number; route?: number; hold?: boolean; b?: number }[]): number[] {
  // Small rings and tables keep the hundreds of rebuilds fast; the structure is the same.
  const options: Record<string, unknown> =
    name === 'envoy/ring_hash' ? { minimum_ring_size: 64 } : name === 'envoy/maglev' ? { table_size: 251 } : name === 'envoy/round_robin' || name === 'envoy/least_request' ? { initial_index: 0 } : {};
  const h = harness(BUILTIN_BALANCERS.get(name)!, weights, options, 3, weights.map((_, i) => `10.0.0.${i + 1}:80`));
  const v = h.view;
  const out: number[] = [];
  const usable = () => weights.some((w, b) => w > 0 && v.up[b] === 1);
  let t = 0;
  for (const o of ops) {
    h.now = t += 1;
    if (o.op === 'pick') {
      const b = h.hold(o.client, o.route);
      out.push(b);
      if (b >= 0) {
        expect(weights[b]).toBeGreaterThan(0);
        if (!name.startsWith('envoy/')) expect(v.up[b]).toBe(1);
        if (!o.hold) h.complete(b, 1 + (o.route! % 7));
      } else {
        expect(usable()).toBe(false);
      }
    } else if (o.op === 'toggle') {
      const b = o.b! % weights.length;
      if (v.up[b] === 1) h.down(b);
      else h.upAgain(b);
    } else {
      const b = o.b! % weights.length;
      if (v.inFlight[b]! > 0) h.complete(b, 3);
    }
  }
  return out;
}

describe.each(PROXY_ALGOS)('%s', (name) => {
  it('picks only usable backends, -1 only when none is, and repeats exactly', () => {
    fc.assert(
      fc.property(scenario, ({ weights, ops }) => {
        if (!weights.some((w) => w > 0)) weights[0] = 1;
        const first = run(name, weights, ops);
        expect(run(name, weights, ops)).toEqual(first);
      }),
      { numRuns: 40, seed: 42 },
    );
  });
});
