// An example of your own balancer for lbsim: "sticky with spill-over".
//
// Each client key sticks to one backend (key mod the number of backends), which keeps a
// client's cache warm; when that backend is down, drained (weight 0) or already has
// `spillAt` requests in flight, the request spills to the least busy eligible backend.
//
// Use it from a scenario with a path relative to the scenario file:
//
//   balancer: { algorithm: ./my-balancer.js, spillAt: 4 }
//
// Every key of the `balancer` section other than `algorithm` reaches the balancer as
// `ctx.options`. The file is a plain ES module (no build step): its default export is
// `{ name, description, create(ctx) }`, and `create` is called once per run with
//
//   ctx.backends   live, read-only view of the backends (typed arrays, index = backend):
//                  count, names, weight, concurrency, up (1/0), inFlight (in service +
//                  queued), queued, upCount
//   ctx.random(request, draw)  a uniform number in (0, 1) that depends only on the run's
//                  seed, the request's sequence number and `draw` (0, 1, ...): use it
//                  instead of Math.random so a run repeats exactly
//   ctx.now()      simulated time of the current event, ms
//   ctx.options    the scenario's balancer options
//
// `create` returns an object with `pick(request, client, route)`, which returns a backend
// index, or -1 to reject the request (a 503). It must never return a backend that is
// down. Optional hooks: onDispatch(backend, request), onComplete(backend, latencyMs,
// request), onBackendDown(backend), onBackendUp(backend), onWeightChange(backend). With
// saveState() (the whole state as an array of finite numbers) and loadState(state) too,
// `run --threads N` can split a run in time (README, "Your own balancer"); this example
// has neither, so such a run stays on one thread and says so. lbsim runs a custom
// balancer behind a guard: if a hook throws or returns something it should not, the run
// stops with one message naming this file and the hook (exit code 2).
//
// pick() runs once per request, millions of times a run: keep it free of allocation.

/** @type {{ spillAt: number }} */
const DEFAULTS = { spillAt: 4 };

export default {
  name: 'sticky-spill',
  description: 'client keys stick to one backend; spill to the least busy when it is down or busy',
  create(ctx) {
    const { backends } = ctx;
    const spillAt = ctx.options.spillAt ?? DEFAULTS.spillAt;
    if (!Number.isInteger(spillAt) || spillAt < 1) throw new Error(`spillAt: expected a whole number >= 1, got ${JSON.stringify(spillAt)}`);
    const eligible = (b) => backends.up[b] === 1 && backends.weight[b] > 0;
    return {
      pick(request, client) {
        const home = client % backends.count;
        if (eligible(home) && backends.inFlight[home] < spillAt) return home;
        // Spill: the least busy eligible backend, the lowest index on a tie.
        let best = -1;
        for (let b = 0; b < backends.count; b++) {
          if (eligible(b) && (best < 0 || backends.inFlight[b] < backends.inFlight[best])) best = b;
        }
        return best;
      },
    };
  },
};
