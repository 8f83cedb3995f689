/**
 * Passive health checks (nginx max_fails / fail_timeout), Envoy outlier detection and the
 * Envoy panic threshold under health checks, through the real engine with exact arrivals.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import type { BalancerModule } from '../../src/balancers/types.ts';
import { OUTLIER_DEFAULTS, type OutlierSpec } from '../../src/engine/server-health.ts';
import { backend, run, steady } from '../helpers/server-health.ts';

const algo = (name: string): BalancerModule => BUILTIN_BALANCERS.get(name)!;
const passive = { maxFails: 1, failTimeoutMs: 10_000 };

describe('nginx max_fails / fail_timeout', () => {
  it('a failed peer is skipped for fail_timeout, then gets one probe request at a time', () => {
    const r = run([backend('a', { passive }), backend('b', { passive, outages: [{ from: 1000, to: 30_000 }] })], algo('nginx/round_robin'), steady(100, 40_000));
    const t = r.sim.recorder.totals;
    const bPicks = r.picks.filter((p) => p.b === 1 && p.t >= 1000 && p.t < 30_000).map((p) => p.t);
    // One refused request opens each 10 s window: at 1.1 s, then right after each window ends.
    expect(bPicks.length).toBe(3);
    expect(bPicks[0]).toBe(1100);
    for (let i = 1; i < bPicks.length; i++) {
      expect(bPicks[i]! - bPicks[i - 1]!).toBeGreaterThanOrEqual(10_000);
      expect(bPicks[i]! - bPicks[i - 1]!).toBeLessThanOrEqual(10_200);
    }
    expect(t.sentWhileDown[1]).toBe(3);
    // The first probe after the outage succeeds (accessed < checked: fails = 0) and b is back for good.
    expect(Math.abs(r.count(1, 32_000, 40_000) - 40)).toBeLessThanOrEqual(1);
    // Marked down at each failure and at each probe's pick (checked = now blocks it while the probe runs): 3 + 1.
    expect(t.markedDown[1]).toBe(4);
  });

  it('max_fails counts failures within fail_timeout of the last one', () => {
    const twoBlips = (gapMs: number) =>
      run(
        [backend('a', { passive: { maxFails: 2, failTimeoutMs: 10_000 } }), backend('b', { passive: { maxFails: 2, failTimeoutMs: 10_000 }, outages: [{ from: 1000, to: 1150 }, { from: 1000 + gapMs, to: 1150 + gapMs }] })],
        algo('nginx/round_robin'),
        steady(100, 30_000),
      );
    // 4 s apart: the second failure comes within fail_timeout, b is out for 10 s.
    const near = twoBlips(4000);
    expect(near.sim.recorder.totals.sentWhileDown[1]).toBe(2);
    expect(near.count(1, 5200, 15_000)).toBe(0);
    // 15 s apart: a success after the window reset fails to 0; b is never out.
    const far = twoBlips(15_000);
    expect(far.sim.recorder.totals.sentWhileDown[1]).toBe(2);
    expect(far.sim.recorder.totals.markedDown[1]).toBe(0);
    expect(far.count(1, 16_200, 26_000)).toBe(49);
  });

  it('when every peer has failed, the request fails (502) and all are marked live again', () => {
    const r = run([backend('a', { passive, outages: [{ from: 1000, to: 5000 }] }), backend('b', { passive, outages: [{ from: 1000, to: 5000 }] })], algo('nginx/round_robin'), steady(100, 6000));
    const t = r.sim.recorder.totals;
    // a refused, b refused, no live peer (502, no pick: fails reset), a refused, ...: 40 requests, 27 refused, 13 × 502.
    const picked = r.picks.filter((p) => p.t >= 1000 && p.t < 5000).map((p) => p.t);
    expect(picked.length).toBe(27);
    expect(t.sentWhileDown[0]! + t.sentWhileDown[1]!).toBe(27);
    expect(t.rejectedNoBackend).toBe(13);
    // The 502s fall on every third request: 1.2 s, 1.5 s, ...
    for (let k = 0; k < 13; k++) expect(picked).not.toContain(1200 + 300 * k);
  });
});

describe('Envoy outlier detection', () => {
  const hosts = (n: number, down: Record<number, { from: number; to: number }>) => Array.from({ length: n }, (_, i) => backend(`h${i}`, down[i] ? { outages: [down[i]!] } : {}));
  const od = (fields: Partial<OutlierSpec> = {}): OutlierSpec => ({ ...OUTLIER_DEFAULTS, enforcingSuccessRate: 0, ...fields });
  const rr = { balancerOptions: { initial_index: 0, healthy_panic_threshold: 0 } };

  it('ejects after consecutive_5xx failures, returns at a sweep after base × times ejected, ejecting longer each time', () => {
    const r = run(hosts(10, { 0: { from: 1000, to: 200_000 } }), algo('envoy/round_robin'), steady(10, 220_000), { ...rr, serverSet: { allBackups: false, outlier: od() } });
    const t = r.sim.recorder.totals;
    // Failures at 1.0, 1.1, ... 1.4 s: ejected at 1.4 s. Sweeps every 10 s; back at the first sweep
    // 30 s after (40 s), five more failures, ejected for 60 s (back at the 110 s sweep), then 90 s (210 s).
    expect(r.count(0, 1000, 1500)).toBe(5);
    expect(r.count(0, 1500, 40_000)).toBe(0);
    expect(r.count(0, 40_000, 41_000)).toBe(5);
    expect(r.count(0, 41_000, 110_000)).toBe(0);
    expect(r.count(0, 110_000, 111_000)).toBe(5);
    expect(r.count(0, 111_000, 210_000)).toBe(0);
    expect(t.ejections[0]).toBe(3);
    expect(t.sentWhileDown[0]).toBe(15);
    expect(r.count(0, 211_000, 220_000)).toBe(90);
  });

  it('max_ejection_percent: with 10 hosts at 10 %, a second bad host is not ejected while the first is', () => {
    const r = run(hosts(10, { 0: { from: 1000, to: 100_000 }, 1: { from: 1000, to: 100_000 } }), algo('envoy/round_robin'), steady(10, 30_000), { ...rr, serverSet: { allBackups: false, outlier: od() } });
    const t = r.sim.recorder.totals;
    expect(t.ejections[0]).toBe(1);
    expect(t.ejections[1]).toBe(0);
    expect(t.sentWhileDown[1]).toBe(r.count(1, 1000, 30_000));
    expect(t.sentWhileDown[1]).toBeGreaterThan(300);
  });

  it('max_ejection_percent below one host of five ejects nobody, unless always_eject_one_host', () => {
    const five = (always: boolean) => run(hosts(5, { 0: { from: 1000, to: 100_000 } }), algo('envoy/round_robin'), steady(10, 20_000), { ...rr, serverSet: { allBackups: false, outlier: od({ alwaysEjectOneHost: always }) } });
    expect(five(false).sim.recorder.totals.ejections[0]).toBe(0);
    expect(five(true).sim.recorder.totals.ejections[0]).toBe(1);
  });

  it('success rate: a host far below the others\' mean is ejected at a sweep', () => {
    const r = run(hosts(10, { 0: { from: 1000, to: 300_000 } }), algo('envoy/round_robin'), steady(10, 40_000), {
      ...rr,
      serverSet: { allBackups: false, outlier: od({ consecutive5xx: 1_000_000, enforcingSuccessRate: 100 }) },
    });
    // h0: 100 requests in [0, 10 s), 90 failed: 10 % against 100 % (threshold 90 - 1.9 × 30 = 33 %).
    expect(r.count(0, 9000, 10_000)).toBe(10);
    expect(r.count(0, 10_000, 40_000)).toBe(0);
    expect(r.sim.recorder.totals.ejections[0]).toBe(1);
  });
});

describe('Envoy panic threshold with health checks', () => {
  const check = { interMs: 1000, rise: 2, fall: 2 };
  const four = () => [backend('h0', { check }), ...[1, 2, 3].map((i) => backend(`h${i}`, { check, outages: [{ from: 1000, to: 10_000 }] }))];
  const refusedIn = (r: ReturnType<typeof run>, from: number, to: number) => r.picks.filter((p) => p.b >= 1 && p.t >= from && p.t < to && p.t >= 1000 && p.t < 10_000).length;

  it('healthy = believed up; below the threshold Envoy balances over every host, believed down or not', () => {
    const r = run(four(), algo('envoy/round_robin'), steady(10, 14_000), { balancerOptions: { initial_index: 0 } });
    // Checks at 0/250/500/750 ms + k s; h1..h3 fail twice: down at 2.25, 2.5, 2.75 s. Then 1 of 4 healthy < 50 %: panic.
    expect(refusedIn(r, 3000, 9000)).toBe(450);
    // After the outage h1..h3 serve again but are believed down until two checks pass (h1 at 11.25 s):
    // in panic they get traffic all the same, and serve it.
    expect(r.count(2, 10_000, 11_250)).toBeGreaterThan(30);
    expect(r.sim.recorder.totals.rejectedBy[2]).toBe(r.sim.recorder.totals.sentWhileDown[2]);
  });

  it('healthy_panic_threshold 0: only the healthy host once the others are detected', () => {
    const r = run(four(), algo('envoy/round_robin'), steady(10, 14_000), { balancerOptions: { initial_index: 0, healthy_panic_threshold: 0 } });
    expect(refusedIn(r, 3000, 9000)).toBe(0);
    expect(r.count(0, 3000, 9000)).toBe(600);
  });
});
