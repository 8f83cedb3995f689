/**
 * Traffic reaches the engine as columnar chunks of requests in arrival order. A source
 * fills a chunk the engine owns, so streaming a trace of any length allocates nothing
 * per request and keeps memory bounded by the chunk size.
 */

/** Request flags, stored one byte per request. */
export const RequestFlag = {
  /** The request failed in the recorded log (status >= 500 or a -1 timing): kept as an arrival, flagged. */
  RecordedFailure: 1,
  /** The recorded work was unknown and estimated. */
  WorkEstimated: 2,
  /** A copy added by replay scaling (scale > 1). */
  ScaledCopy: 4,
} as const;

export class RequestChunk {
  count = 0;
  /** Arrival time, ms since the start of the run. Non-decreasing within and across chunks. */
  readonly arrival: Float64Array;
  /** Service demand in ms at speed 1.0. */
  readonly work: Float64Array;
  readonly client: Uint32Array;
  readonly route: Uint32Array;
  readonly flags: Uint8Array;
  /**
   * Each request's whole-target key beside `route` (a trace's uri column), for a reader of
   * the trace itself (`trace info`); only a TraceReader fills it, and only when asked
   * (`withUri`): the engine takes the one key its balancer hashes, as `route`.
   */
  readonly uri: Uint32Array | undefined;

  constructor(
    readonly capacity = 16_384,
    withUri = false,
  ) {
    this.arrival = new Float64Array(capacity);
    this.work = new Float64Array(capacity);
    this.client = new Uint32Array(capacity);
    this.route = new Uint32Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.uri = withUri ? new Uint32Array(capacity) : undefined;
  }
}

export interface TrafficSource {
  /**
   * Fills `chunk` with the next requests (up to its capacity) and sets `chunk.count`.
   * A count of 0 means the traffic has ended. Sources are synchronous: anything that
   * needs asynchronous I/O prepares its data (for example imports a log into a .lbt
   * trace) before the run starts.
   */
  fill(chunk: RequestChunk): void;
  /** Simulated time at which the traffic ends (the scenario duration or the trace's last arrival). */
  readonly endTime: number;
  /** Releases file handles. Optional. */
  close?(): void;
}
