/**
 * How many requests a sampled or scaled replay (replay.ts) emits before a point of its
 * timeline, without replaying it. Whether a trace request is kept and how many copies it
 * has are draws keyed by its number in the trace, so counting them reads nothing; only
 * the point itself is read (its first request, and the one before it, between which that
 * request's copies arrive — some of them before the point).
 *
 * A run split in time numbers each window's requests from the count before it
 * (parallel/windows.ts): round-robin's counters and every per-request draw depend on it.
 */
import { TraceReader } from './lbt/reader.ts';
import { ReplayDraws } from './replay.ts';
import { RequestChunk } from './source.ts';

/** The replayed trace and its transforms (a resolved trace spec: prepare.ts). */
export interface ReplayedTrace {
  file: string;
  /** The replay's window, trace ms. */
  from: number;
  to: number;
  speed: number;
  scale: number;
  sample: number;
}

/** A point of the replay's timeline, as a window starting there is opened (parallel/windows.ts). */
export interface ReplayPoint {
  /** Trace-wide number of the first request at or after the point (past the replay's end: the first after it). */
  index: number;
  /** That request's copies that arrive before the point: the replay emits them before it, in the window before. */
  copiesBefore: number;
}

/** Trace requests per block that byBlock counts (~1 ms of draws). */
export const COUNT_BLOCK = 65_536;

export class ReplayCounter {
  readonly draws: ReplayDraws;
  private readonly times: Float64Array;
  private readonly one = new RequestChunk(1);

  constructor(
    private readonly trace: ReplayedTrace,
    seed: number,
  ) {
    this.draws = new ReplayDraws(trace, seed);
    this.times = new Float64Array(Math.max(1, this.draws.maxCopies));
  }

  /**
   * The point at replay time `ms` (≥ 0): a seek of the trace's index, a chunk read (two
   * when the request before lies in the chunk before). The reader is opened as a window's
   * is, and the copies placed as the replay places them, so the numbers are the same bits.
   */
  point(ms: number): ReplayPoint {
    const t = this.trace;
    const reader = new TraceReader(t.file, { origin: t.from, from: Math.min(t.from + ms * t.speed, t.to), to: t.to });
    try {
      const index = reader.nextIndex;
      const prev = reader.previousArrival(t.from) / this.draws.speed;
      reader.fill(this.one);
      const d = this.draws;
      if (this.one.count === 0 || !d.kept(index)) return { index, copiesBefore: 0 };
      const copies = d.copies(index);
      const arrival = this.one.arrival[0]! / d.speed;
      const times = this.times;
      d.copyOffsets(index, copies, times);
      // As ReplaySource.fill places them (replay.ts): the same expression, the same bits.
      const from = Number.isNaN(prev) ? arrival : prev;
      for (let c = 0; c < copies; c++) times[c] = from + times[c]! * (arrival - from);
      let before = 0;
      while (before < copies && times[before]! < ms) before++;
      return { index, copiesBefore: before };
    } finally {
      reader.close();
    }
  }

  /** Requests the replay emits from point a up to point b (a at or before b). */
  between(a: ReplayPoint, b: ReplayPoint): number {
    return this.draws.emitted(a.index, b.index) + b.copiesBefore - a.copiesBefore;
  }

  /** Requests the replay emits for each block of COUNT_BLOCK trace requests in [from, to) (the first and last cut to them). */
  byBlock(from: number, to: number): number[] {
    const out: number[] = [];
    for (let a = from; a < to; a += COUNT_BLOCK) out.push(this.draws.emitted(a, Math.min(to, a + COUNT_BLOCK)));
    return out;
  }
}
