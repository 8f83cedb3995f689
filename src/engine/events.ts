/**
 * The engine's kinds of scheduled event, and their order at equal times (part of the
 * determinism contract):
 *   1. completions, 2. backends coming back up, 3. backends going down,
 *   4. server-health work (server-health.ts), in this order: health checks, passive-check
 *      recoveries, outlier-detection sweeps, slow-start weight ticks;
 *   5. proxy queue timeouts, 6. per-try timeouts (both only with the proxy layer,
 *      proxy.ts: a request whose queue timeout falls at the instant a slot frees is
 *      served — it waited exactly `timeout_queue`, not longer — and an answer arriving at
 *      the instant its try times out counts as an answer); 7. retries whose back-off or
 *      turn-around ends (proxy layer); 8. arrivals (not in the heap: simulation.ts).
 * Within one kind, the event scheduled first runs first (health work has at most one
 * pending event per sub-kind, and handles every backend due then in index order).
 * So a request arriving at the instant another finishes sees the freed slot, a request
 * arriving at the instant an outage starts is refused, and a health check at that
 * instant fails.
 */

/**
 * Event kinds double as their priority at equal times (lower runs first); a Health event's
 * payload is its HealthTask, and its priority is HEALTH_PRIORITY + task.
 */
export const EventKind = { Completion: 0, BackendUp: 1, BackendDown: 2, Health: 3, QueueTimeout: 4, TryTimeout: 5, Retry: 6 } as const;
export const HEALTH_PRIORITY = 3;
/** Priorities of the proxy layer's events: after the four health tasks (HEALTH_PRIORITY + 0..3). */
export const PROXY_PRIORITY = { QueueTimeout: HEALTH_PRIORITY + 4, TryTimeout: HEALTH_PRIORITY + 5, Retry: HEALTH_PRIORITY + 6 } as const;

/**
 * The time of an event that never comes: +Infinity, as a module constant for the engine's
 * hot code. Where its rare branches read `Number.POSITIVE_INFINITY` (a queue found empty,
 * the traffic's end), that property load had never run when the loop was optimized, and
 * V8, with no feedback for it, threw the optimized loop away the first time it did
 * (`--trace-deopt`: "Insufficient type feedback"). An imported constant needs no feedback.
 * But V8 reads it from the module's cell as a tagged heap number: a time that may be NEVER
 * (`a ? NEVER : t`) is tagged too, and the hot loop boxed such times on every event. Test
 * for it in conditions; the event queue keeps +Infinity in its storage (peekTime).
 */
export const NEVER = Number.POSITIVE_INFINITY;
