import { describe, expect, it } from 'vitest';
import { leastResponseTime } from '../../src/balancers/latency/least-response-time.ts';
import { peakEwma } from '../../src/balancers/latency/peak-ewma.ts';
import { harness, tally } from './harness.ts';

describe('peak-ewma (Finagle P2C PeakEwma)', () => {
  it('prefers the backend with the lower latency cost', () => {
    const h = harness(peakEwma, [1, 1]);
    h.balancer.onComplete!(0, 100, 0);
    h.balancer.onComplete!(1, 10, 0);
    expect(tally(h.sequence(50, undefined))).toEqual({ b: 50 });
  });
  it('multiplies the cost by requests in flight + 1', () => {
    const h = harness(peakEwma, [1, 1]);
    h.balancer.onComplete!(0, 10, 0);
    h.balancer.onComplete!(1, 50, 0);
    h.view.inFlight[0] = 9; // load 10 * 10 = 100 > 50
    expect(h.view.names[h.balancer.pick(0, 0, 0)]).toBe('b');
    h.view.inFlight[0] = 3; // 10 * 4 = 40 < 50
    expect(h.view.names[h.balancer.pick(1, 0, 0)]).toBe('a');
  });
  it('takes a slower observation at once (the peak), unlike a plain average', () => {
    const h = harness(peakEwma, [1, 1]);
    h.balancer.onComplete!(0, 10, 0);
    h.balancer.onComplete!(0, 100, 0); // same instant: cost 100, not an average of 55
    h.balancer.onComplete!(1, 60, 0);
    expect(h.view.names[h.balancer.pick(0, 0, 0)]).toBe('b');
  });
  it('decays toward faster observations with time (decay 10s: weight e^-1 after 10s)', () => {
    const h = harness(peakEwma, [1, 1], { decay: '10s' });
    h.balancer.onComplete!(0, 100, 0);
    h.now = 10_000;
    h.balancer.onComplete!(0, 10, 0); // a: 100 e^-1 + 10 (1 - e^-1) = 43.1
    h.balancer.onComplete!(1, 45, 0); // b: 45 (a peak: first observation)
    expect(h.view.names[h.balancer.pick(0, 0, 0)]).toBe('a');
    const h2 = harness(peakEwma, [1, 1], { decay: '20s' });
    h2.balancer.onComplete!(0, 100, 0);
    h2.now = 10_000;
    h2.balancer.onComplete!(0, 10, 0); // a: 100 e^-0.5 + 10 (1 - e^-0.5) = 64.6
    h2.balancer.onComplete!(1, 45, 0);
    expect(h2.view.names[h2.balancer.pick(0, 0, 0)]).toBe('b');
  });
  it('penalizes a backend with requests in flight and no latency known yet', () => {
    const h = harness(peakEwma, [1, 1]);
    h.balancer.onComplete!(0, 100, 0);
    h.view.inFlight[0] = 5; // 600
    h.view.inFlight[1] = 1; // no cost yet: penalty
    expect(h.view.names[h.balancer.pick(0, 0, 0)]).toBe('a');
  });
  it('draws two distinct backends: the worst of three is never chosen when idle', () => {
    const h = harness(peakEwma, [1, 1, 1], {}, 5);
    h.balancer.onComplete!(0, 30, 0);
    h.balancer.onComplete!(1, 20, 0);
    h.balancer.onComplete!(2, 10, 0);
    const t = tally(h.sequence(3000));
    expect(t.a).toBeUndefined();
    // c wins whenever drawn (2/3 of pairs), b otherwise
    expect(Math.abs(t.c! / 3000 - 2 / 3)).toBeLessThan(4 * Math.sqrt((2 / 9) / 3000));
  });
  it('rejects a bad decay naming the option', () => {
    expect(() => harness(peakEwma, [1], { decay: 'soon' })).toThrow(/^balancer\.decay: /);
  });
});

describe('least-response-time', () => {
  it('tries every backend first, then the fastest not-busy one', () => {
    const h = harness(leastResponseTime, [1, 1, 1]);
    expect(h.sequence(3, undefined).join('')).toBe('abc');
    h.balancer.onComplete!(0, 30, 0);
    h.balancer.onComplete!(1, 10, 0);
    h.balancer.onComplete!(2, 20, 0);
    expect(h.view.names[h.balancer.pick(0, 0, 0)]).toBe('b');
    h.view.inFlight[1] = 2; // b: 3 x 10 = 30 > c: 20
    expect(h.view.names[h.balancer.pick(1, 0, 0)]).toBe('c');
  });
  it('averages latency with weight alpha per completion', () => {
    const h = harness(leastResponseTime, [1, 1], { alpha: 0.5 });
    h.balancer.onComplete!(0, 10, 0);
    h.balancer.onComplete!(0, 50, 0); // a: 10 + 0.5 * 40 = 30
    h.balancer.onComplete!(1, 29, 0);
    expect(h.view.names[h.balancer.pick(0, 0, 0)]).toBe('b');
    h.balancer.onComplete!(1, 33, 0); // b: 29 + 0.5 * 4 = 31
    expect(h.view.names[h.balancer.pick(1, 0, 0)]).toBe('a');
  });
  it('rejects alpha outside (0, 1]', () => {
    expect(() => harness(leastResponseTime, [1], { alpha: 2 })).toThrow(/^balancer\.alpha: /);
  });
});
