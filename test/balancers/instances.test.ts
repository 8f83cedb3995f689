import { describe, expect, it } from 'vitest';
import { envoyRoundRobin } from '../../src/balancers/envoy/round-robin.ts';
import { applyInstances } from '../../src/balancers/instances.ts';
import { leastConnections } from '../../src/balancers/least-connections.ts';
import { roundRobin } from '../../src/balancers/round-robin.ts';
import type { BalancerModule } from '../../src/balancers/types.ts';
import { simulateObject } from '../helpers/simulate.ts';
import { harness } from './harness.ts';

function wrapped(module: BalancerModule, weights: number[], options: Record<string, unknown>, seed = 1) {
  const lb = applyInstances(module, options);
  return harness(lb.module, weights, lb.options, seed);
}

describe('balancer.instances', () => {
  it('instances: 1 (or absent) is the algorithm itself, and strips the wrapper options', () => {
    const lb = applyInstances(leastConnections, { instances: 1, instance_by: 'random', x: 1 });
    expect(lb.module).toBe(leastConnections);
    expect(lb.options).toEqual({ x: 1 });
  });

  it('each instance sees only its own requests in flight: least-connections collides', () => {
    // One balancer: a, b, a, b (it sees the held requests). Two instances taking turns:
    // each sees an idle a at first, so both send there.
    const one = harness(leastConnections, [1, 1]);
    expect(Array.from({ length: 4 }, () => one.view.names[one.hold()]).join('')).toBe('abab');
    const two = wrapped(leastConnections, [1, 1], { instances: 2, instance_by: 'round-robin' });
    expect(Array.from({ length: 4 }, () => two.view.names[two.hold()]).join('')).toBe('aabb');
  });

  it('instance_counts: shared: every instance sees all requests in flight (Envoy workers share a host\'s rq_active), so least-connections does not collide', () => {
    const shared = wrapped(leastConnections, [1, 1], { instances: 2, instance_by: 'round-robin', instance_counts: 'shared' });
    // Each sees the other's requests: never two on a while b is idle. (At 1–1 each copy breaks
    // the tie by its own rotation: copy 0, having sent to a, now sends to b.)
    expect(Array.from({ length: 4 }, () => shared.view.names[shared.hold()]).join('')).toBe('abba');
    // The counts are the backends' own: nothing is counted twice.
    expect(Array.from(shared.view.inFlight)).toEqual([2, 2]);
    shared.complete(0);
    expect(Array.from(shared.view.inFlight)).toEqual([1, 2]);
    expect(() => wrapped(leastConnections, [1, 1], { instances: 2, instance_counts: 'global' })).toThrow(/balancer\.instance_counts: expected own .* or shared/);
  });

  it('a whole run (scenarios/instances-unbalance.yaml, shortened): eight copies with their own counts double the mean latency; with shared counts they do as one', () => {
    const run = (extra: Record<string, unknown>) =>
      simulateObject({
        name: 'instances',
        seed: 7,
        duration: '60s',
        warmup: '10s',
        traffic: { synthetic: { rate: '900/s', service: { distribution: 'exponential', mean: '10ms' }, clients: { count: 50000, skew: 0.5 } } },
        balancer: { algorithm: 'least-connections', ...extra },
        backends: [{ name: 'app', count: 10, concurrency: 1, queue: 200 }],
      }).latency.mean;
    const one = run({});
    const own = run({ instances: 8, instance_by: 'client' });
    const shared = run({ instances: 8, instance_by: 'client', instance_counts: 'shared' });
    expect(own).toBeGreaterThan(1.5 * one);
    expect(Math.abs(shared / one - 1)).toBeLessThan(0.1);
  });

  it('completions are returned to the instance that sent the request, with its own count', () => {
    // A spy algorithm: always backend 0; records which copy is told of each completion and
    // what in-flight count that copy sees.
    const log: string[] = [];
    let made = 0;
    const spy: BalancerModule = {
      name: 'spy',
      description: 'test',
      create({ backends }) {
        const id = made++;
        return {
          pick: () => 0,
          onComplete: (b) => log.push(`${id}:${backends.inFlight[b]}:${backends.inFlightTotal}`),
        };
      },
    };
    const h = wrapped(spy, [1], { instances: 3, instance_by: 'round-robin' });
    for (let i = 0; i < 6; i++) {
      h.now = 10 + i * 0.1; // arrivals 10.0 .. 10.5: requests 0..5 to copies 0,1,2,0,1,2
      h.hold();
    }
    // Complete out of order, as the engine names them: request 4 (arrived at 10.4, copy 1),
    // then request 0 (copy 0), then request 5 (copy 2).
    h.now = 20;
    h.complete(0, 20 - 10.4, 4);
    h.complete(0, 20 - 10, 0);
    h.complete(0, 20 - (10 + 5 * 0.1), 5);
    // Each copy had two requests in flight; it sees one left after its completion, at the backend and in all.
    expect(log).toEqual(['1:1:1', '0:1:1', '2:1:1']);
  });

  it('instance_by client keeps a client on one instance', () => {
    const h = wrapped(roundRobin, [1, 1, 1], { instances: 4, instance_by: 'client' });
    // One client: one instance, so its requests rotate exactly as a single round robin.
    expect(h.sequence(6, () => 42).join('')).toBe('abcabc');
    // Many clients over four instances: each instance rotates on its own, so the overall
    // sequence is not a b c a b c.
    const h2 = wrapped(roundRobin, [1, 1, 1], { instances: 4, instance_by: 'client' });
    expect(h2.sequence(30, (i) => i).join('')).not.toBe('abc'.repeat(10));
  });

  it('Envoy workers get different seeds (set-up draws differ per instance)', () => {
    // Eight equal-weight Envoy round robins: with one shared seed every worker would
    // start on the same host; with their own seeds the first picks spread.
    const h = wrapped(envoyRoundRobin, [1, 1, 1, 1, 1, 1, 1, 1], { instances: 8, instance_by: 'round-robin' }, 3);
    expect(new Set(h.sequence(8)).size).toBeGreaterThan(3);
  });

  it('rejects a bad instance count or mode, naming the option', () => {
    expect(() => applyInstances(roundRobin, { instances: 0 })).toThrow(/^balancer\.instances: /);
    expect(() => applyInstances(roundRobin, { instances: 2, instance_by: 'hash' })).toThrow(/^balancer\.instance_by: /);
  });
});
