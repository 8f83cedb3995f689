/** The dashboard as a whole: layout at 80×24 and 160×48, and the keys. */
import { describe, expect, it } from 'vitest';
import { Dashboard } from '../../src/ui/dashboard.tsx';
import { fitKeyLine } from '../../src/ui/dashboard-header.tsx';
import { ms, pct } from '../../src/ui/format.ts';
import { dashboardToString } from '../../src/ui/terminal.tsx';
import { frameOf, frameWhen, KEYS, renderAt, settle, UnmountProbe, widestLine } from './helpers.tsx';
import { EMPTY_YAML, OVERLOADED_YAML, reportOf } from './reports.ts';

describe('dashboard layout', () => {
  for (const [columns, rows] of [
    [80, 24],
    [160, 48],
  ] as const) {
    for (const panel of ['latency', 'queues', 'overload', 'backends', 'distribution', 'backend'] as const) {
      it(`${panel} fills but never overflows ${columns}×${rows}`, () => {
        for (const yaml of [OVERLOADED_YAML, EMPTY_YAML]) {
          const frame = dashboardToString(reportOf(yaml), { columns, rows, panel });
          expect(widestLine(frame)).toBeLessThanOrEqual(columns);
          // One row spare: ink clears the whole screen for frames as tall as the terminal.
          expect(frame.split('\n').length).toBeLessThan(rows);
          expect(frame.split('\n').length).toBeGreaterThan(rows / 2);
        }
      });
    }
  }

  it('wide terminals show a companion panel beside the chosen one', () => {
    const r = reportOf(OVERLOADED_YAML);
    const wide = dashboardToString(r, { columns: 160, rows: 40, panel: 'latency' });
    const narrow = dashboardToString(r, { columns: 80, rows: 40, panel: 'latency' });
    expect(wide).toContain('Latency distribution');
    expect(narrow).not.toContain('Latency distribution');
  });

  it('the header carries the headline numbers and the SLO verdict', () => {
    const r = reportOf(OVERLOADED_YAML);
    const frame = dashboardToString(r, { columns: 120, rows: 30 });
    expect(frame.split('\n')[0]).toContain('incident-mini · weighted-round-robin · seed 7');
    expect(frame.split('\n')[0]).toContain(`${r.requests.total.toLocaleString('en-US')} requests`);
    // p99 is under the 250 ms SLO in this run, but far more than its 1% of requests failed: the SLO is not met.
    expect(r.latency.p99).toBeLessThan(250);
    expect(r.requests.failedShare).toBeGreaterThan(0.01);
    expect(frame.split('\n')[0]).toContain(`failed ${pct(r.requests.failedShare)} · p99 ${ms(r.latency.p99)} · ✗ SLO: failed > 1.00%`);
    const met = reportOf(OVERLOADED_YAML.replace('errors: 1%', 'errors: 50%'));
    expect(dashboardToString(met, { columns: 160, rows: 30 }).split('\n')[0]).toContain('✓ SLO: p99 ≤ 250.0ms, failed ≤ 50.0%');
    // Clients pinned to servers (balancer.persistence): the algorithm says so.
    const sticky = dashboardToString({ ...r, persistence: { maxIdle: null, maxLife: null } }, { columns: 160, rows: 30 }).split('\n')[0];
    expect(sticky).toContain('incident-mini · weighted-round-robin (sticky) · seed 7');
  });

  it('at 80 columns the header keeps the verdict (failed, p99, SLO) and sheds the rest; the key line keeps q quit', () => {
    const r = reportOf(OVERLOADED_YAML.replace('name: incident-mini', 'name: incident-2024-04-15-misconfigured'));
    for (const columns of [80, 100]) {
      const lines = renderAt(<Dashboard report={r} columns={columns} rows={24} wallSeconds={3.21} />, columns).lastFrame()!.split('\n');
      expect(lines[0]!.length).toBeLessThanOrEqual(columns);
      expect(lines[0]).toContain('incident-2024-04-15-misconfigured');
      expect(lines[0]).toMatch(new RegExp(`failed ${pct(r.requests.failedShare).replace('.', '\\.')} · p99 ${ms(r.latency.p99).replace('.', '\\.')} · ✗ SLO`));
      expect(lines.at(-1)).toMatch(/q quit$/);
      expect(lines.at(-1)!.length).toBeLessThanOrEqual(columns);
    }
    // A name too long for any level gives way itself, still leaving the verdict whole.
    const long = reportOf(OVERLOADED_YAML.replace('name: incident-mini', `name: ${'x'.repeat(90)}`));
    const header = dashboardToString(long, { columns: 80, rows: 24 }).split('\n')[0]!;
    expect(header).toMatch(/^x+… │ failed .* · ✗ SLO$/);
    expect(header.length).toBeLessThanOrEqual(80);
  });

  it('the key line sheds its least useful hints before q quit', () => {
    expect(fitKeyLine(200)).toBe('1-6/tab panels · ↑↓ backend · enter inspect · ←→ pan · +/- zoom · 0 all · L log · s sort · q quit');
    // At 80 columns `0 all` gives way first (pan and zoom reset with a few presses too).
    expect(fitKeyLine(80)).toBe('1-6 panels  ↑↓ pick  enter inspect  ←→ pan  +- zoom  L log  s sort  q quit');
    expect(fitKeyLine(40)).toMatch(/^1-6 panels {2}↑↓ pick.* {2}q quit$/);
    expect(fitKeyLine(40).length).toBeLessThanOrEqual(40);
    expect(fitKeyLine(5)).toBe('q quit');
  });
});

describe('dashboard keys', () => {
  const start = () => {
    let unmounted = false;
    const r = renderAt(
      <UnmountProbe onUnmount={() => (unmounted = true)}>
        <Dashboard report={reportOf(OVERLOADED_YAML)} columns={100} rows={30} />
      </UnmountProbe>,
      100,
    );
    return { r, unmounted: () => unmounted };
  };

  it('number keys and tab switch panels', async () => {
    const { r } = start();
    expect(frameOf(r)).toContain('Response time per interval');
    r.stdin.write('3');
    expect(await frameWhen(r, (f) => f.includes('Failed requests per interval'))).toContain('Failed requests per interval');
    r.stdin.write(KEYS.tab);
    expect(await frameWhen(r, (f) => f.includes('Backends in scenario order'))).toContain('Backends in scenario order');
    r.stdin.write('5');
    expect(await frameWhen(r, (f) => f.includes('Latency distribution'))).toContain('Latency distribution');
    r.unmount();
  });

  it('s lists the backends busiest first, then slowest first, then in scenario order; the pick follows the list', async () => {
    // Three orders that differ: api-b is the busiest (weight 6), api-a the slowest (a quarter of the speed), api-c neither.
    const fleet = reportOf(
      'name: sorted-fleet\nseed: 3\nduration: 30s\ntraffic: { synthetic: { rate: 200/s, service: { distribution: exponential, mean: 5ms } } }\nbalancer: { algorithm: weighted-round-robin }\nbackends:\n  - { name: api-c, weight: 1 }\n  - { name: api-a, weight: 1, speed: 0.25 }\n  - { name: api-b, weight: 6 }\n',
    );
    const r = renderAt(<Dashboard report={fleet} columns={100} rows={30} />, 100);
    r.stdin.write('4');
    const rows = (f: string) => f.split('\n').filter((l) => /^[● ] api-\w/.test(l)).map((l) => l.slice(2).split(/ +/)[0]);
    expect(rows(await frameWhen(r, (f) => f.includes('Backends in scenario order')))).toEqual(['api-c', 'api-a', 'api-b']);
    r.stdin.write('s');
    expect(rows(await frameWhen(r, (f) => f.includes('Backends busiest first')))).toEqual(['api-b', 'api-a', 'api-c']);
    // enter inspects the first of this list.
    r.stdin.write(KEYS.enter);
    const picked = (f: string) => f.split('\n')[2] ?? '';
    expect(picked(await frameWhen(r, (f) => picked(f).startsWith('api-b (1 of 3')))).toMatch(/^api-b \(1 of 3/);
    r.stdin.write('4');
    r.stdin.write('s');
    expect(rows(await frameWhen(r, (f) => f.includes('Backends slowest p99 first')))).toEqual(['api-a', 'api-b', 'api-c']);
    r.stdin.write('s');
    expect(rows(await frameWhen(r, (f) => f.includes('Backends in scenario order')))).toEqual(['api-c', 'api-a', 'api-b']);
    r.unmount();
  });

  it('↓ picks the next backend and enter inspects it', async () => {
    const { r } = start();
    r.stdin.write('4');
    await frameWhen(r, (f) => f.includes('Backends in scenario order'));
    r.stdin.write(KEYS.down);
    // The pick shows only as inverse video (colour is off here); enter then opens it.
    await settle();
    r.stdin.write(KEYS.enter);
    const picked = (f: string) => f.split('\n')[2] ?? '';
    expect(picked(await frameWhen(r, (f) => /^api-b \(2 of 3/.test(picked(f))))).toMatch(/^api-b \(2 of 3/);
    r.stdin.write(KEYS.up);
    expect(picked(await frameWhen(r, (f) => /^api-a \(1 of 3/.test(picked(f))))).toMatch(/^api-a \(1 of 3/);
    r.unmount();
  });

  it('keys that arrive together (typed fast, a paste, tmux send-keys) each count', async () => {
    const { r } = start();
    const picked = (f: string) => f.split('\n')[2] ?? '';
    // ink hands a run of plain characters to the input handler as one string.
    r.stdin.write('4jj\r');
    expect(picked(await frameWhen(r, (f) => /^api-c \(3 of 3/.test(picked(f))))).toMatch(/^api-c \(3 of 3/);
    r.stdin.write('kk');
    expect(picked(await frameWhen(r, (f) => /^api-a \(1 of 3/.test(picked(f))))).toMatch(/^api-a \(1 of 3/);
    r.stdin.write(KEYS.down + KEYS.down);
    expect(picked(await frameWhen(r, (f) => /^api-c \(3 of 3/.test(picked(f))))).toMatch(/^api-c \(3 of 3/);
    r.stdin.write('++');
    expect(await frameWhen(r, (f) => /zoom 10:00:45–10:01:15/.test(f))).toMatch(/zoom 10:00:45–10:01:15/);
    r.unmount();
  });

  it('+ zooms the time axis, → pans, 0 shows everything again', async () => {
    const { r } = start();
    const axis = () => frameOf(r).split('\n').find((l) => /^\s+10:00/.test(l)) ?? '';
    expect(axis()).toContain('10:02:00');
    r.stdin.write('+');
    expect(await frameWhen(r, (f) => /zoom 10:00:30–10:01:30/.test(f))).toMatch(/zoom 10:00:30–10:01:30/);
    expect(axis()).not.toContain('10:02:00');
    r.stdin.write(KEYS.right);
    expect(await frameWhen(r, (f) => /zoom 10:00:45–10:01:45/.test(f))).toMatch(/zoom 10:00:45–10:01:45/);
    r.stdin.write('0');
    expect(await frameWhen(r, (f) => !/zoom 10:/.test(f))).not.toMatch(/zoom 10:/);
    r.unmount();
  });

  it('q quits', async () => {
    const { r, unmounted } = start();
    r.stdin.write('x');
    await settle();
    expect(unmounted()).toBe(false);
    r.stdin.write('q');
    const until = Date.now() + 3000;
    while (!unmounted() && Date.now() < until) await settle();
    expect(unmounted()).toBe(true);
  });
});
