/**
 * Every dashboard panel at 80 and 160 columns, for an empty run and an overloaded one.
 * Reports come from real runs (test/ui/reports.ts). Checks: the panel says what the
 * report says, and it stays inside its box.
 */
import { describe, expect, it } from 'vitest';
import { BackendPanel } from '../../src/ui/panels/backend-panel.tsx';
import { BackendsPanel } from '../../src/ui/panels/backends-panel.tsx';
import { DistributionPanel } from '../../src/ui/panels/distribution-panel.tsx';
import { LatencyPanel } from '../../src/ui/panels/latency-panel.tsx';
import { OverloadPanel } from '../../src/ui/panels/overload-panel.tsx';
import type { PanelProps } from '../../src/ui/panels/panel-props.ts';
import { QueuePanel } from '../../src/ui/panels/queue-panel.tsx';
import { heatThresholds } from '../../src/ui/charts/heat-strip.tsx';
import { ms, pct } from '../../src/ui/format.ts';
import { fullWindow } from '../../src/ui/time-window.ts';
import type { Report } from '../../src/report/types.ts';
import { frameOf, renderAt, widestLine } from './helpers.tsx';
import { CALM_YAML, EMPTY_YAML, FLEET_YAML, OVERLOADED_YAML, reportOf } from './reports.ts';

const overloaded = () => reportOf(OVERLOADED_YAML);
const empty = () => reportOf(EMPTY_YAML);

function props(report: Report, width: number, height = 20, selected = 0): PanelProps {
  return { report, window: fullWindow([report]), width, height, selected };
}

/** The line of a frame that starts with `prefix`. */
function lineStarting(frame: string, prefix: string): string {
  const line = frame.split('\n').find((l) => l.startsWith(prefix));
  if (line === undefined) throw new Error(`no line starts with ${JSON.stringify(prefix)} in:\n${frame}`);
  return line;
}

const PANELS = { LatencyPanel, QueuePanel, OverloadPanel, BackendsPanel, DistributionPanel, BackendPanel } as const;

describe('every panel fits its box', () => {
  for (const [name, Panel] of Object.entries(PANELS)) {
    for (const width of [80, 160]) {
      for (const [kind, report] of [
        ['empty', empty],
        ['overloaded', overloaded],
      ] as const) {
        it(`${name} at ${width} columns, ${kind} run`, () => {
          const height = width === 80 ? 20 : 36;
          const frame = frameOf(renderAt(<Panel {...props(report(), width, height)} />, width));
          expect(frame.length).toBeGreaterThan(0);
          expect(widestLine(frame)).toBeLessThanOrEqual(width);
          expect(frame.split('\n').length).toBeLessThanOrEqual(height);
        });
      }
    }
  }
});

describe('the overloaded run reads off the panels', () => {
  it('the overloaded report really is overloaded (the fixture guards the tests below)', () => {
    const r = overloaded();
    expect(r.overload.some((o) => o.backend === 'api-a' && o.kind === 'rejecting')).toBe(true);
    expect(Math.max(...r.timeseries.failedShare)).toBeGreaterThan(0.3);
    expect(r.slo?.p99).toBe(250);
  });

  it('latency: p50/p90/p99 legend, the SLO line and wall-clock times on the axis', () => {
    const frame = frameOf(renderAt(<LatencyPanel {...props(overloaded(), 80)} />, 80));
    expect(frame).toContain('SLO p99 250.0ms');
    expect(frame).toMatch(/━━ p99/);
    // The SLO line crosses the plot: a row of ╌ at least 60 wide.
    expect(frame).toMatch(/╌{60}/);
    expect(frame).toContain('10:00:00');
    expect(frame).toContain('10:01:00');
  });

  it('latency: the chart peaks where the report p99 peaks', () => {
    const r = overloaded();
    const frame = frameOf(renderAt(<LatencyPanel {...props(r, 160, 36)} />, 160));
    // Top axis label is a round number at or above the highest p99 of any interval.
    const top = Math.max(...r.timeseries.p99);
    const label = frame.split('\n')[2]!.trim().split('┤')[0]!;
    expect(label).toMatch(/ms$/);
    expect(Number.parseFloat(label)).toBeGreaterThanOrEqual(top);
    expect(Number.parseFloat(label)).toBeLessThan(top * 4);
  });

  it('overload: api-a rejecting only from 10:00:30 to 10:01:30, api-b never', () => {
    const r = overloaded();
    const width = 80;
    const frame = frameOf(renderAt(<OverloadPanel {...props(r, width)} />, width));
    const a = lineStarting(frame, 'api-a');
    const b = lineStarting(frame, 'api-b');
    expect(b).not.toMatch(/[█▓]/);
    const plot = a.slice(a.indexOf('│') + 1);
    const range = r.overload.find((o) => o.backend === 'api-a')!;
    const span = fullWindow([r]).to;
    const first = plot.indexOf('█');
    const last = plot.lastIndexOf('█');
    expect(Math.abs(first - (range.from / span) * plot.length)).toBeLessThanOrEqual(1);
    expect(Math.abs(last + 1 - (range.to / span) * plot.length)).toBeLessThanOrEqual(1);
  });

  it('overload: the failed share axis reads in quarters and names the worst interval', () => {
    const r = overloaded();
    const frame = frameOf(renderAt(<OverloadPanel {...props(r, 80)} />, 80));
    for (const q of ['0%', '25%', '50%', '75%', '100%']) expect(frame).toMatch(new RegExp(`\\s${q}┤`));
    const worst = Math.max(...r.timeseries.failedShare);
    expect(frame).toContain(`worst interval ${pct(worst)} failed at 10:0`);
    expect(frame).toContain(`failed overall ${pct(r.requests.failedShare)}`);
  });

  it('queues: the overloaded backend is darkest, idle ones stay blank', () => {
    const frame = frameOf(renderAt(<QueuePanel {...props(overloaded(), 80)} />, 80));
    expect(lineStarting(frame, 'api-a')).toContain('█');
    expect(lineStarting(frame, 'api-b')).not.toMatch(/[▒▓█]/);
  });

  it('queues: with mean queues below 1 the legend still tells the four shades apart, and each bound holds', () => {
    const r = reportOf(FLEET_YAML);
    let max = 0;
    for (const b of r.timeseries.backends) for (const v of b.meanQueue) max = Math.max(max, v);
    expect(max).toBeGreaterThan(0.25);
    expect(max).toBeLessThan(1);
    const frame = frameOf(renderAt(<QueuePanel {...props(r, 80, 50)} />, 80));
    // The strips use all four shades, so the legend must tell all four apart.
    const strips = frame.split('\n').filter((l) => l.startsWith('web-')).join('');
    for (const shade of ['░', '▒', '▓', '█']) expect(strips).toContain(shade);
    const legend = lineStarting(frame, '· 0');
    const bounds = [...legend.matchAll(/≤([\d.,]+)/g)].map((m) => Number(m[1]!.replace(/,/g, '')));
    expect(bounds).toHaveLength(4);
    for (let level = 1; level <= 4; level++) {
      // Rounded up, never down: every value drawn in the shade is at most its bound.
      expect(bounds[level - 1]).toBeGreaterThanOrEqual((max * level) / 4);
      expect(bounds[level - 1]! - (max * level) / 4).toBeLessThan(max / 40);
      if (level > 1) expect(bounds[level - 1]).toBeGreaterThan(bounds[level - 2]!);
    }
  });

  it('heat thresholds: two significant digits of the top, rounded up, apart however small', () => {
    expect(heatThresholds(0.81)).toEqual(['0.21', '0.41', '0.61', '0.81']);
    expect(heatThresholds(49.3)).toEqual(['13', '25', '37', '50']);
    expect(heatThresholds(4)).toEqual(['1.0', '2.0', '3.0', '4.0']);
    expect(heatThresholds(20_000)).toEqual(['5,000', '10,000', '15,000', '20,000']);
    expect(new Set(heatThresholds(0.0031)).size).toBe(4);
  });

  it('backends table: the report figures, more columns when wide, the picked row, the overload mark', () => {
    const r = overloaded();
    const narrow = frameOf(renderAt(<BackendsPanel {...props(r, 80)} />, 80));
    const wide = frameOf(renderAt(<BackendsPanel {...props(r, 160, 36, 1)} />, 160));
    const a = r.backends[0]!;
    expect(lineStarting(narrow, '● api-a')).toContain(pct(a.share));
    expect(lineStarting(narrow, '● api-a')).toContain(ms(a.latency.p99));
    expect(lineStarting(narrow, '● api-a')).toContain(a.rejected.toLocaleString('en-US'));
    expect(lineStarting(narrow, '  api-b')).toContain(pct(r.backends[1]!.utilization));
    expect(narrow).not.toContain('max in flight');
    expect(wide).toContain('max in flight');
    expect(wide).toContain(r.backends[0]!.requests.toLocaleString('en-US'));
  });

  it('backends table: each backend\'s weight when the weights differ, at 80 columns and beside another panel (72)', () => {
    for (const width of [72, 80, 100, 120]) {
      const frame = frameOf(renderAt(<BackendsPanel {...props(overloaded(), width)} />, width));
      expect(widestLine(frame)).toBeLessThanOrEqual(width);
      expect(lineStarting(frame, '  backend')).toMatch(/^ {2}backend +weight +(requests +)?share/);
      expect(lineStarting(frame, '● api-a')).toMatch(/^● api-a +8 +([\d,]+ +)?80\.0%/);
      expect(lineStarting(frame, '  api-b')).toMatch(/^ {2}api-b +1 +([\d,]+ +)?10\.00%/);
    }
    // Equal weights say nothing: the column stays among the extras of wide panels.
    const calm = reportOf(CALM_YAML);
    expect(lineStarting(frameOf(renderAt(<BackendsPanel {...props(calm, 120)} />, 120)), '  backend')).not.toContain('weight');
  });

  it('distribution: the percentile ladder from report.latencyPercentiles, the SLO marked', () => {
    const r = overloaded();
    const frame = frameOf(renderAt(<DistributionPanel {...props(r, 80)} />, 80));
    const p99 = r.latencyPercentiles.find((p) => p.p === 99)!;
    expect(lineStarting(frame, 'p99 ')).toContain(ms(p99.ms));
    expect(lineStarting(frame, 'max')).toContain(ms(r.latency.max));
    expect(frame).toContain('┃ SLO p99 250.0ms');
  });

  it('inspect: the picked backend, its charts and its overload ranges', () => {
    const r = overloaded();
    const a = frameOf(renderAt(<BackendPanel {...props(r, 80, 20, 0)} />, 80));
    const b = frameOf(renderAt(<BackendPanel {...props(r, 80, 20, 1)} />, 80));
    expect(a).toMatch(/^api-a \(1 of 3/);
    expect(a).toContain('10:00:30–10:01:30 rejecting');
    expect(b).toMatch(/^api-b \(2 of 3/);
    expect(b).toContain('never overloaded');
  });
});

describe('the empty run', () => {
  it('says there is nothing rather than drawing zeros', () => {
    const r = empty();
    expect(r.requests.total).toBe(0);
    expect(frameOf(renderAt(<LatencyPanel {...props(r, 80)} />, 80))).toContain('no request completed in this run');
    expect(frameOf(renderAt(<DistributionPanel {...props(r, 80)} />, 80))).toContain('no request completed in this run');
    expect(frameOf(renderAt(<QueuePanel {...props(r, 80)} />, 80))).toContain('no request ever waited');
    expect(frameOf(renderAt(<OverloadPanel {...props(r, 80)} />, 80))).toContain('(0 ranges)');
  });
});
