/**
 * meanRate: the time-averaged rate that validate's queue checks and capacity's static bound
 * start from; fleetOf / withFleetSize: the group capacity planning resizes.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.ts';
import { fleetOf, meanRate, withFleetSize } from '../../src/workflows/variants.ts';

const scenario = (duration: string, traffic: string) => parseScenario(`name: m\nduration: ${duration}\ntraffic: { synthetic: { ${traffic}, service: { distribution: constant, mean: 1ms } } }\nbalancer: { algorithm: round-robin }\nbackends: [{ name: a }]\n`, { file: 'm.yaml' });

describe('meanRate', () => {
  it('is the rate itself at a constant rate', () => {
    expect(meanRate(scenario('1m', 'rate: 250/s'))).toBe(250);
  });

  it("is a profile's exact integral over the run, over its length: ramps, steps, flat ends", () => {
    // 0 → 100/s over 10 s (500 requests), 100/s for 10 s (1,000): 1,500 in 20 s.
    expect(meanRate(scenario('20s', 'profile: [{ at: 0s, rate: 0/s }, { at: 10s, rate: 100/s }]'))).toBeCloseTo(75, 9);
    // A step at 5 s from 40/s to 200/s, the run 8 s long: (5 · 40 + 3 · 200) / 8.
    expect(meanRate(scenario('8s', 'profile: [{ at: 0s, rate: 40/s }, { at: 5s, rate: 40/s }, { at: 5s, rate: 200/s }]'))).toBeCloseTo(100, 9);
    // Flat before the first point: 60/s until 30 s, then a ramp to 120/s at 60 s, cut at 45 s: (30 · 60 + 15 · 75) / 45.
    expect(meanRate(scenario('45s', 'profile: [{ at: 30s, rate: 60/s }, { at: 60s, rate: 120/s }]'))).toBeCloseTo(65, 9);
  });
});

describe('fleetOf', () => {
  it('leaves backups and lower Envoy priority levels out of the resized group, however alike their size', () => {
    const s = parseScenario(
      'name: f\nduration: 1s\ntraffic: { synthetic: { rate: 10/s, service: { distribution: constant, mean: 1ms } } }\nbalancer: { algorithm: envoy/round_robin }\nbackends:\n  - { name: api, count: 3 }\n  - { name: standby, count: 2, priority: 1 }\n  - { name: spare, backup: true }\n',
      { file: 'f.yaml' },
    );
    const fleet = fleetOf(s);
    expect(fleet.members.map((i) => s.backends[i]!.name)).toEqual(['api-1', 'api-2', 'api-3']);
    const grown = withFleetSize(s, fleet, 5).backends;
    expect(grown.map((b) => [b.name, b.priority ?? 0, b.backup ?? false])).toEqual([
      ['api-1', 0, false],
      ['api-2', 0, false],
      ['api-3', 0, false],
      ['api-4', 0, false],
      ['api-5', 0, false],
      ['standby-1', 1, false],
      ['standby-2', 1, false],
      ['spare', 0, true],
    ]);
  });
});
