/**
 * Session persistence, `balancer.persistence`: each client keeps going to the server it
 * was sent to, in front of any algorithm. It follows HAProxy 2.6's cookie persistence
 * (`cookie SERVERID insert|rewrite|prefix`, a `cookie` value on each server; src/http_ana.c
 * manage_client_side_cookies, src/backend.c) and `stick on src` with a stick-table (an
 * entry per source address, `expire` as max_idle), and stands for nginx Plus `sticky
 * cookie`: the client key stands for the browser that holds the cookie, or its address.
 *
 * - A client whose cookie names a server the balancer sees up is sent there, and the
 *   algorithm is not asked (HAProxy sets SF_DIRECT|SF_ASSIGNED and never calls
 *   assign_server(), so a round robin does not move). A server of weight 0 still takes
 *   its clients, as in HAProxy: that is how a server is drained without breaking sessions.
 *   A full server (maxconn) queues them, as HAProxy queues a request assigned to it.
 * - A cookie naming a server that is down is ignored (TX_CK_DOWN): the algorithm picks,
 *   and the client's cookie names the new server from then on.
 * - `max_idle` (HAProxy `maxidle`): a cookie not used for longer is ignored; `max_life`
 *   (`maxlife`; nginx `expires=`): one set longer ago is. Unset, a cookie lasts the run
 *   (a session cookie, the browser kept open). The idle clock restarts at every request
 *   here; HAProxy dates the cookie in its responses and may refresh that date less often,
 *   so there an idle cookie can end a little sooner.
 * - Not modelled: `option persist` (sending to a down server anyway), servers without a
 *   cookie value (every server sets one here), and a backup server's clients once the
 *   primaries are back (the balancer then sees the backup down, so they move; HAProxy
 *   would keep them while the backup runs).
 *
 * The table holds one entry per client seen (open addressing on typed arrays: nothing is
 * allocated per request), so its memory follows the distinct clients, not the trace's
 * length. A run with persistence is not split in time (time-split.ts): a window's start
 * would need every earlier client's server.
 *
 * Checked against haproxy 2.6.12 on loopback (a cookie jar per client, a server sent to
 * maint and back, one drained to weight 0): test/balancers/persistence.test.ts.
 */
import type { Balancer, BalancerContext, BalancerModule } from './types.ts';

export interface Persistence {
  /** A cookie unused for longer than this is ignored, ms. @default Infinity */
  maxIdleMs: number;
  /** A cookie set longer ago than this is ignored, ms. @default Infinity */
  maxLifeMs: number;
}

/** Persistence with these limits, each absent one none (a pin lasts the run). */
export function persistenceOf(limits: { maxIdleMs?: number | undefined; maxLifeMs?: number | undefined }): Persistence {
  return { maxIdleMs: limits.maxIdleMs ?? Number.POSITIVE_INFINITY, maxLifeMs: limits.maxLifeMs ?? Number.POSITIVE_INFINITY };
}

/** Client → server, with when the cookie was set and last used: open addressing, linear probing. */
class ClientTable {
  private mask = 1023;
  /** 32 − log2(slots): the hash is the product's high bits. */
  private shift = 22;
  private used = new Uint8Array(1024);
  private keys = new Uint32Array(1024);
  backend = new Int32Array(1024);
  set = new Float64Array(1024);
  last = new Float64Array(1024);
  private size = 0;

  private slotOf(client: number): number {
    // Fibonacci hashing: the product's high bits, which every bit of the key reaches (its low
    // bits depend on the key's low bits alone: IPv4 keys of .0 addresses would share 1/256 of the slots).
    let i = Math.imul(client, 0x9e3779b1) >>> this.shift;
    while (this.used[i] === 1 && this.keys[i] !== client) i = (i + 1) & this.mask;
    return i;
  }

  /** The client's slot, or -1. */
  find(client: number): number {
    const i = this.slotOf(client);
    return this.used[i] === 1 ? i : -1;
  }

  put(client: number, backend: number, now: number): void {
    let i = this.slotOf(client);
    if (this.used[i] === 0) {
      if (2 * (this.size + 1) > this.mask + 1) {
        this.grow();
        i = this.slotOf(client);
      }
      this.used[i] = 1;
      this.keys[i] = client;
      this.size++;
    }
    this.backend[i] = backend;
    this.set[i] = now;
    this.last[i] = now;
  }

  private grow(): void {
    const { used, keys, backend, set, last } = this;
    const n = (this.mask + 1) * 2;
    this.mask = n - 1;
    this.shift--;
    this.used = new Uint8Array(n);
    this.keys = new Uint32Array(n);
    this.backend = new Int32Array(n);
    this.set = new Float64Array(n);
    this.last = new Float64Array(n);
    for (let j = 0; j < used.length; j++) {
      if (used[j] === 0) continue;
      const i = this.slotOf(keys[j]!);
      this.used[i] = 1;
      this.keys[i] = keys[j]!;
      this.backend[i] = backend[j]!;
      this.set[i] = set[j]!;
      this.last[i] = last[j]!;
    }
  }
}

/** `module` behind session persistence (see above); the algorithm keeps its own hooks. */
export function withPersistence(module: BalancerModule, p: Persistence): BalancerModule {
  return {
    ...module,
    description: `${module.description} (with session persistence)`,
    create(ctx: BalancerContext): Balancer {
      const inner = module.create(ctx);
      const up = ctx.backends.up;
      const table = new ClientTable();
      const { maxIdleMs, maxLifeMs } = p;
      const b: Balancer = {
        pick(request, client, route) {
          const now = ctx.now();
          const i = table.find(client);
          if (i >= 0) {
            const s = table.backend[i]!;
            if (up[s] === 1 && now - table.last[i]! <= maxIdleMs && now - table.set[i]! <= maxLifeMs) {
              table.last[i] = now;
              return s;
            }
          }
          const chosen = inner.pick(request, client, route);
          if (chosen >= 0) table.put(client, chosen, now);
          return chosen;
        },
      };
      // The algorithm sees every request taken and dropped, persistent ones too (HAProxy's
      // leastconn repositions a server on each connection, whoever chose it).
      for (const hook of ['onDispatch', 'onComplete', 'onBackendDown', 'onBackendUp', 'onWeightChange'] as const) {
        const fn = inner[hook];
        if (fn !== undefined) b[hook] = fn.bind(inner) as never;
      }
      return b;
    },
  };
}
