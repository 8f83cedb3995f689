/**
 * Latency histograms: hdr-histogram-js (HdrHistogram), WebAssembly build. Values are
 * recorded in integer microseconds so histograms merge exactly across windows and
 * threads. The WebAssembly build records in ~20 ns here against ~125 ns for the JS
 * build; it must be initialised once per thread (done on import) and each histogram
 * freed with `destroy()`.
 */
// The modules used, not the package's index: the index also loads its log reader and
// writer, whose formatter builds an Intl.NumberFormat on load (ICU: ~15 ms of every
// process's and every worker thread's start, for nothing lbsim uses).
import type { Histogram as HdrHistogram } from 'hdr-histogram-js';
import { build } from 'hdr-histogram-js/dist/HistogramBuilder.js';
import { initWebAssemblySync, WasmHistogram } from 'hdr-histogram-js/dist/wasm/index.js';
import { markMutable } from '../jit/mutable-fields.ts';

initWebAssemblySync();

export type Histogram = HdrHistogram;

/** Highest latency tracked exactly: one day. Longer values are clamped to it. */
export const HIGHEST_TRACKABLE_US = 86_400_000_000;

/** 3 significant digits (0.1% resolution) for run and backend totals. */
export function createHistogram(significantDigits: 2 | 3 = 3): Histogram {
  const h = build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: significantDigits,
    useWebAssembly: true,
  });
  // reset(), at each interval boundary, writes the library's `tag` field a second time,
  // after the hot loop is optimized: see jit/mutable-fields.ts.
  markMutable(h, ['tag']);
  return h;
}

/**
 * A recorder bound to one histogram for the hot loop. The public `recordValue` of the
 * WebAssembly build goes through AssemblyScript's loader, whose wrapper spreads rest
 * arguments (an allocation per call); the loader keeps the raw export as
 * `method.original`, taking the instance pointer first. Bound once, calling it skips the
 * wrapper: ~13 ns per record instead of ~18 ns here. If the library's internals ever
 * differ (another version), it falls back to the public method.
 */
export type UsRecorder = (us: number) => void;

export function boundRecorder(h: Histogram): UsRecorder {
  const inner = (h as unknown as { _wasmHistogram?: { recordValue?: { original?: unknown }; valueOf(): unknown } })._wasmHistogram;
  const raw = inner?.recordValue?.original;
  const ptr = inner?.valueOf();
  if (typeof raw === 'function' && typeof ptr === 'number') {
    const f = raw as (self: number, value: number) => void;
    return (us) => f(ptr, us < HIGHEST_TRACKABLE_US ? us : HIGHEST_TRACKABLE_US);
  }
  return (us) => h.recordValue(us < HIGHEST_TRACKABLE_US ? us : HIGHEST_TRACKABLE_US);
}

/**
 * A histogram's counts as bytes (HdrHistogram's V2 encoding, not deflated), to cross
 * threads or machines. Deflating (the library's compressed base64) cost ~5× as much to
 * encode and ~2× to decode, on the critical path of a time-split run; the bytes are about
 * as many here, as the counts are run-length coded already.
 */
export function encodeHistogram(h: Histogram): Uint8Array {
  return (h as WasmHistogram).encode();
}

export function decodeHistogram(encoded: Uint8Array): Histogram {
  return WasmHistogram.decode(encoded, 32);
}

/** Latency summary in ms, rounded to the microsecond the histograms record. */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

const usToMs = (us: number): number => Math.round(us) / 1000;

/**
 * Summarises a histogram. `sumUs` and `maxUs` are the exact sum and maximum of the
 * recorded microseconds, kept beside the histogram, so the mean and max are exact rather
 * than bucket estimates (a histogram decoded from another thread knows its max only to
 * its bucket).
 */
export function summarize(h: Histogram, sumUs: number, maxUs: number): LatencySummary {
  const count = h.totalCount;
  if (count === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  // A percentile is reported as the top of its bucket (highestEquivalentValue), which can
  // lie above the largest value recorded; no percentile may exceed the maximum.
  const max = maxUs;
  const at = (p: number) => usToMs(Math.min(h.getValueAtPercentile(p), max));
  return {
    count,
    mean: Math.round(sumUs / count) / 1000,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    max: usToMs(max),
  };
}
