/**
 * What the balancer knows vs the truth (src/engine/server-health.ts): active health
 * checks, backups and slow start, through the real engine with exact arrivals.
 */
import { describe, expect, it } from 'vitest';
import { ChashRing } from '../../src/balancers/haproxy/chash-ring.ts';
import { BUILTIN_BALANCERS } from '../../src/balancers/registry.ts';
import type { BalancerModule } from '../../src/balancers/types.ts';
import type { BackendSpec } from '../../src/engine/backends.ts';
import { backend, burst, run, steady } from '../helpers/server-health.ts';

const algo = (name: string): BalancerModule => BUILTIN_BALANCERS.get(name)!;
const check = { interMs: 2000, rise: 2, fall: 3 };

describe('active health checks (HAProxy check inter rise fall)', () => {
  // a and b, round robin, a request every 100 ms; b is in an outage from 5 s to 15 s.
  // Checks: mininter 2000 × srvpos / 2 → a at 0, 2, 4 s ..., b at 1, 3, 5, 7, 9 s ...
  const outage = [{ from: 5000, to: 15_000 }];

  it('the outage goes unnoticed until fall × inter; requests sent meanwhile fail; rise × inter to come back', () => {
    const r = run([backend('a', { check }), backend('b', { check, outages: outage })], algo('round-robin'), steady(100, 20_000));
    const t = r.sim.recorder.totals;
    // b fails its checks at 5, 7 and 9 s (the one at 5 s runs after the outage starts): marked down at 9 s.
    // Meanwhile round robin sends it every other request, 5.1, 5.3, ... 8.9 s: 20 requests, all refused.
    expect(r.count(1, 5000, 9000)).toBe(20);
    expect(t.sentWhileDown[1]).toBe(20);
    expect(t.rejectedBy[1]).toBe(20);
    expect(t.markedDown[1]).toBe(1);
    expect(t.markedDown[0]).toBe(0);
    // Down for the balancer from 9 s; checks pass again at 15 and 17 s: back at 17 s, not at 15 s.
    expect(r.count(1, 9000, 17_000)).toBe(0);
    expect(r.count(1, 17_000, 20_000)).toBe(15);
    expect(t.rejected).toBe(20);
  });

  it('without checks the balancer knows at once (lbsim\'s default)', () => {
    const r = run([backend('a'), backend('b', { outages: outage })], algo('round-robin'), steady(100, 20_000));
    const t = r.sim.recorder.totals;
    expect(r.count(1, 5000, 15_000)).toBe(0);
    expect(r.count(1, 15_000, 17_000)).toBe(10);
    expect([t.rejected, t.sentWhileDown[1], t.markedDown[1]]).toEqual([0, 0, 0]);
  });

  it('phases follow start_checks(): mininter × srvpos / nbcheck', () => {
    // Checked: a, c, d (nbcheck 3, mininter 2000): 0, 666, 1333 ms (integer division), then every inter; b unchecked.
    const s = run([backend('a', { check: { ...check, interMs: 3000 } }), backend('b'), backend('c', { check: { ...check, interMs: 2000 } }), backend('d', { check: { ...check, interMs: 4000 } })], algo('round-robin'), steady(100, 1));
    // One request at 0 ending at 1 ms: a was checked at 0 (next at 3 s), c and d not yet.
    expect(Array.from(s.sim.health!.active.next)).toEqual([3000, Number.POSITIVE_INFINITY, 666, 1333]);
  });

  it('at start a server has health = rise: one failure before its first success marks it down', () => {
    // b's outage starts at 0; its first check (at 1 s) fails once and marks it down.
    const r = run([backend('a', { check }), backend('b', { check, outages: [{ from: 0, to: 60_000 }] })], algo('round-robin'), steady(100, 3000));
    expect(r.count(1, 0, 1000)).toBe(5);
    expect(r.count(1, 1000)).toBe(0);
    expect(r.sim.recorder.totals.sentWhileDown[1]).toBe(5);
  });
});

describe('backup servers', () => {
  // a, b primaries; c, d backups. a down 1-4 s, b down from 2 s, c down from 3 s.
  const four = () => [
    backend('a', { outages: [{ from: 1000, to: 4000 }] }),
    backend('b', { outages: [{ from: 2000, to: 60_000 }] }),
    backend('c', { backup: true, outages: [{ from: 3000, to: 60_000 }] }),
    backend('d', { backup: true }),
  ];
  const used = (r: ReturnType<typeof run>, from: number, to: number) => [...new Set(r.picks.filter((p) => p.t >= from && p.t < to).map((p) => 'abcd'[p.b]))].sort().join('');

  for (const name of ['round-robin', 'haproxy/leastconn', 'haproxy/roundrobin', 'nginx/round_robin', 'least-connections']) {
    it(`${name}: a backup serves only when every primary is down, and only the first one`, () => {
      const r = run(four(), algo(name), steady(10, 5000));
      expect(used(r, 0, 1000)).toBe('ab');
      expect(used(r, 1000, 2000)).toBe('b');
      expect(used(r, 2000, 3000)).toBe('c');
      expect(used(r, 3000, 4000)).toBe('d');
      expect(used(r, 4000, 5000)).toBe('a');
      expect(r.sim.recorder.totals.rejected).toBe(0);
    });
  }

  // HAProxy 2.6 map-based algorithms: tot_weight is the first usable backup's eweight
  // (update_backend_weight: fbck), but recalc_server_map fills the map from every usable
  // backup. Expected maps from a port of recalc_server_map's loop.
  it('haproxy/static-rr: several backups share the traffic (the map is filled from all of them)', () => {
    const r = run(four(), algo('haproxy/static-rr'), steady(10, 5000));
    expect(used(r, 0, 1000)).toBe('ab');
    expect(used(r, 1000, 2000)).toBe('b');
    // Equal weights (eweights 16 and 16, tot 16): c d c d ...
    expect(r.picks.filter((p) => p.t >= 2000 && p.t < 2080).map((p) => 'abcd'[p.b]).join('')).toBe('cdcdcdcd');
    expect(used(r, 3000, 4000)).toBe('d');
    expect(used(r, 4000, 5000)).toBe('a');
    // haproxy/roundrobin (lb_fwrr.c) takes fbck alone.
    expect(used(run(four(), algo('haproxy/roundrobin'), steady(10, 5000)), 2000, 3000)).toBe('c');
  });

  it('haproxy/static-rr: the map is as long as the first backup\'s weight, whatever the others weigh', () => {
    const fleet = (wb: number, wc: number) => [backend('a', { outages: [{ from: 0, to: 60_000 }] }), backend('b', { backup: true, weight: wb }), backend('c', { backup: true, weight: wc })];
    const counts = (r: ReturnType<typeof run>, n: number) => {
      const first = r.picks.slice(0, n).map((p) => p.b);
      return [first.filter((b) => b === 1).length, first.filter((b) => b === 2).length];
    };
    // b 1, c 3: tot 16 slots, every one c's (c's score outgrows b's at each slot): b, the first backup, takes nothing.
    expect(counts(run(fleet(1, 3), algo('haproxy/static-rr'), steady(10, 1000)), 64)).toEqual([0, 64]);
    // b 3, c 1: 48 slots, 40 b and 8 c.
    expect(counts(run(fleet(3, 1), algo('haproxy/static-rr'), steady(10, 1000)), 96)).toEqual([80, 16]);
    // With allbackups the map holds both by weight (64 slots: 48 b, 16 c).
    expect(counts(run(fleet(3, 1), algo('haproxy/static-rr'), steady(10, 1000), { serverSet: { allBackups: true, outlier: null } }), 64)).toEqual([48, 16]);
  });

  it('haproxy/source: map-based hashing spreads over the backups, consistent hashing takes the first', () => {
    const three = () => [backend('a', { outages: [{ from: 0, to: 60_000 }] }), backend('b', { backup: true }), backend('c', { backup: true })];
    const usedBy = (options: Record<string, unknown>) => [...new Set(run(three(), algo('haproxy/source'), steady(10, 1000), { balancerOptions: options }).picks.map((p) => 'abc'[p.b]))].sort().join('');
    expect(usedBy({})).toBe('bc');
    expect(usedBy({ hash_type: 'consistent' })).toBe('b');
  });

  it('allbackups: every usable backup serves', () => {
    const r = run([backend('a', { outages: [{ from: 1000, to: 60_000 }] }), backend('b', { backup: true }), backend('c', { backup: true })], algo('haproxy/leastconn'), steady(10, 2000, 1), {
      serverSet: { allBackups: true, outlier: null },
    });
    expect(r.picks.filter((p) => p.t >= 1000 && p.t < 1040).map((p) => 'abc'[p.b]).join('')).toBe('bcbc');
  });

  it('backups take over when the primaries are marked down by checks, not when they really go down', () => {
    const r = run([backend('a', { check, outages: [{ from: 5000, to: 60_000 }] }), backend('s', { backup: true })], algo('round-robin'), steady(100, 12_000));
    // a fails its checks at 6, 8 and 10 s (phase 0, 2 s apart... from 0: 0, 2, 4, 6, 8, 10 → down at 10 s)
    expect(r.count(1, 0, 10_000)).toBe(0);
    expect(r.count(1, 10_000, 12_000)).toBe(20);
    expect(r.sim.recorder.totals.sentWhileDown[0]).toBe(50);
  });
});

describe('slow start', () => {
  // Two servers of weight 1; b is in an outage from 1 s to 2 s, then ramps with slowstart 20s.
  const pair = (slowStart: BackendSpec['slowStart']) => [backend('a'), backend('b', { outages: [{ from: 1000, to: 2000 }], ...(slowStart ? { slowStart } : {}) })];

  it('haproxy/leastconn: 170 requests held at once split by (inflight+1)/eweight, eweight = weight × floor((16 s + ss) / ss)', () => {
    const split = (t: number, slowStart = true) => {
      const r = run(pair(slowStart ? { proxy: 'haproxy', periodMs: 20_000 } : undefined), algo('haproxy/leastconn'), burst(t, 170, 1e6));
      return { a: r.count(0), b: r.count(1) };
    };
    expect(split(2000)).toEqual({ a: 160, b: 10 }); // w = 1: b's eweight 1/16 of a's
    expect(split(3000)).toEqual({ a: 160, b: 10 }); // (16 + 20) / 20 = 1 still
    expect(split(12_000)).toEqual({ a: 109, b: 61 }); // w = (160 + 20) / 20 = 9: 170 × 9/25
    expect(split(22_000)).toEqual({ a: 85, b: 85 }); // done: full weight
    expect(split(2000, false)).toEqual({ a: 85, b: 85 }); // without slowstart, full share at once
  });

  it('haproxy/roundrobin: the returning server\'s share per second follows w / (16 + w)', () => {
    const r = run(pair({ proxy: 'haproxy', periodMs: 20_000 }), algo('haproxy/roundrobin'), steady(1, 25_000));
    for (let k = 0; k < 20; k++) {
      const w = Math.floor((16 * k + 20) / 20);
      const from = 2000 + k * 1000;
      const share = r.count(1, from, from + 1000) / 1000;
      expect(Math.abs(share - w / (16 + w)), `second ${k}: w = ${w}`).toBeLessThan(0.004);
    }
    expect(r.count(1, 22_000, 25_000)).toBe(1500);
  });

  // Consistent hashing and random are dynamic in HAProxy (BE_LB_PROP_DYN): a returning
  // server's ring holds its points i < eweight (chash_queue_dequeue_srv at each warm-up tick).
  // Weight 8 each (128 points at full weight) keeps the ring's shares near the weights.
  for (const [name, options] of [['haproxy/source', { hash_type: 'consistent' }], ['haproxy/uri', { hash_type: 'consistent' }], ['haproxy/random', { draws: 1 }]] as const) {
    it(`${name} ${JSON.stringify(options)}: the returning server's ring points, so its share per second, follow its eweight`, () => {
      const eight = [backend('a', { weight: 8 }), backend('b', { weight: 8, outages: [{ from: 1000, to: 2000 }], slowStart: { proxy: 'haproxy', periodMs: 20_000 } })];
      const r = run(eight, algo(name), steady(1, 25_000), { balancerOptions: options });
      const ring = new ChashRing(Int32Array.from([8, 8]));
      for (let k = 0; k <= 20; k++) {
        const w = k < 20 ? Math.floor((16 * k + 20) / 20) : 16;
        ring.points.set([128, 8 * w]); // a's eweight 8 × 16, b's 8 × w
        ring.rebuild();
        const p = ring.share(1);
        // The ring's share is near eweight / (sum of eweights) = w / (16 + w) ...
        expect(Math.abs(p - w / (16 + w)), `second ${k}: w = ${w}`).toBeLessThan(0.035);
        // ... and the 1000 keys of each second land on it as sampled: 4 standard deviations.
        const from = 2000 + k * 1000;
        expect(Math.abs(r.count(1, from, from + 1000) / 1000 - p), `second ${k}: w = ${w}`).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / 1000));
      }
      // Before the first tick, 8 of b's 128 points: under a tenth of the keys, not half.
      expect(r.count(1, 2000, 3000)).toBeLessThan(100);
    });
  }

  it('haproxy/random: loads are compared by cur_eweight, so many draws split a held burst like leastconn', () => {
    const split = (t: number) => {
      const r = run(pair({ proxy: 'haproxy', periodMs: 20_000 }), algo('haproxy/random'), burst(t, 170, 1e6), { balancerOptions: { draws: 100 } });
      return { a: r.count(0), b: r.count(1) };
    };
    expect(split(2000)).toEqual({ a: 160, b: 10 }); // b's cur_eweight 1 against a's 16
    expect(split(12_000)).toEqual({ a: 109, b: 61 }); // w = 9: 170 × 9/25
    expect(split(22_000)).toEqual({ a: 85, b: 85 }); // done: full weight
  });

  // nginx Plus slow_start is imported as this ramp (src/config-import/nginx.ts): the nginx
  // algorithms must read the ramped weight, or the imported knob would do nothing.
  for (const name of ['nginx/round_robin', 'weighted-round-robin']) {
    it(`${name}: smooth WRR adds the ramped weight, so the returning server's share per second is w / (16 + w)`, () => {
      const r = run(pair({ proxy: 'haproxy', periodMs: 20_000 }), algo(name), steady(1, 25_000));
      for (let k = 0; k < 20; k++) {
        const w = Math.floor((16 * k + 20) / 20);
        const from = 2000 + k * 1000;
        // 1000 picks a second: smooth WRR's share over a second is within a pick or two of exact.
        expect(Math.abs(r.count(1, from, from + 1000) / 1000 - w / (16 + w)), `second ${k}: w = ${w}`).toBeLessThan(0.004);
      }
      expect(r.count(1, 22_000, 25_000)).toBe(1500);
    });
  }

  for (const name of ['nginx/least_conn', 'weighted-least-connections']) {
    it(`${name}: 170 requests held at once split by conns / ramped weight`, () => {
      const split = (t: number, slowStart = true) => {
        const r = run(pair(slowStart ? { proxy: 'haproxy', periodMs: 20_000 } : undefined), algo(name), burst(t, 170, 1e6));
        return { a: r.count(0), b: r.count(1) };
      };
      expect(split(2000)).toEqual({ a: 160, b: 10 }); // b's weight 1/16 of a's
      expect(split(12_000)).toEqual({ a: 109, b: 61 }); // w = 9/16: 170 × 9/25, rounded by the ties' order
      expect(split(22_000)).toEqual({ a: 85, b: 85 });
      expect(split(2000, false)).toEqual({ a: 85, b: 85 });
    });
  }

  it('least-response-time: the score divides by the ramped weight', () => {
    // 50 requests in flight on average, every answer 5 ms (no queueing): scores (inflight + 1) × 5 / w
    // level when b holds ~(50 + 2) / 17 - 1 ≈ 2 of them at w = 1/16, half of them at full weight.
    const share = (slowStart: boolean, from: number) => {
      const r = run(pair(slowStart ? { proxy: 'haproxy', periodMs: 20_000 } : undefined), algo('least-response-time'), steady(0.1, 25_000, 5));
      return r.count(1, from, from + 1000) / (r.count(0, from, from + 1000) + r.count(1, from, from + 1000));
    };
    expect(share(true, 2000)).toBeLessThan(0.08);
    expect(share(false, 2000)).toBeCloseTo(0.5, 1);
    expect(share(true, 23_000)).toBeCloseTo(0.5, 1);
  });

  it('envoy/round_robin: weight × max(min_weight_percent, time_factor^(1/aggression)), following the clock', () => {
    for (const aggression of [1, 2]) {
      const r = run(pair({ proxy: 'envoy', windowMs: 10_000, aggression, minWeightPercent: 10 }), algo('envoy/round_robin'), steady(1, 14_000), { balancerOptions: { initial_index: 0 } });
      for (let k = 0; k < 10; k++) {
        const from = 2000 + k * 1000;
        // Mean weight factor over the second (the share is f / (1 + f) pick by pick).
        let expected = 0;
        for (let ms = 0; ms < 1000; ms++) {
          const f = Math.max(0.1, Math.pow(Math.max(k * 1000 + ms, 1) / 10_000, 1 / aggression));
          expected += f / (1 + f);
        }
        expect(Math.abs(r.count(1, from, from + 1000) - expected), `aggression ${aggression}, second ${k}`).toBeLessThan(3);
      }
      expect(r.count(1, 12_000, 14_000)).toBe(1000);
    }
  });
});
