/** The generic algorithms' own pick rules, pick by pick (the proxy-exact ones have files of their own). */
import { describe, expect, it } from 'vitest';
import { leastConnections } from '../../src/balancers/least-connections.ts';
import { weightedLeastConnections } from '../../src/balancers/weighted-least-connections.ts';
import { harness } from './harness.ts';

describe('least-connections', () => {
  it('ties rotate: idle backends take turns from one past the last pick, not the first one every time', () => {
    expect(harness(leastConnections, [1, 1, 1]).sequence(7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('the fewest in flight wins; among equal loads the scan starts one past the last pick', () => {
    const h = harness(leastConnections, [1, 1, 1, 1]);
    const names = h.view.names;
    // Held picks: a, b, c, d (each then has 1), then a again (all tied at 1: one past d is a).
    expect([0, 1, 2, 3, 4].map(() => names[h.hold()])).toEqual(['a', 'b', 'c', 'd', 'a']);
    h.complete(2); // c drops to 0: it wins outright
    expect(names[h.hold()]).toBe('c');
    // Now a 2, b 1, c 1, d 1: the scan starts at d (one past c), and d ties b and c first.
    expect(names[h.hold()]).toBe('d');
    expect(names[h.hold()]).toBe('b');
  });
});

describe('weighted-least-connections', () => {
  it('in flight / weight decides, cross-multiplied; ties rotate', () => {
    const h = harness(weightedLeastConnections, [2, 1]);
    const names = h.view.names;
    // Loads (a/2, b/1) before each pick: 0,0 tie → a; 1,0 → b; 1,1 → a (½ < 1); 2,1 tie from
    // one past a → b; 2,2 → a (1 < 2); 3,2 → a (1.5 < 2).
    expect([0, 1, 2, 3, 4, 5].map(() => names[h.hold()])).toEqual(['a', 'b', 'a', 'b', 'a', 'a']);
  });
});
