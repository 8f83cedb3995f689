/**
 * A stick table's `size` (HAProxy 2.6 `stick-table ... size N`, src/stick_table.c), for
 * session persistence (persistence.ts): at most N clients are held. The table's expire
 * task drops an entry once it is idle past `max_idle` (stktable_trash_expired); creating
 * an entry in a full table first trashes the oldest ones (stksess_new →
 * stktable_trash_oldest, a batch of size / 256 + 1), and when none can be trashed the entry
 * is not created, so the client is not pinned.
 *
 * HAProxy keeps each entry's node in a tree ordered by expiry (equal keys in insertion
 * order) and moves it lazily: a touch (a match or a store: stktable_touch_local) only
 * changes the entry's expiry; a walk that meets a node whose key is no longer the entry's
 * expiry re-inserts it there, and for the trash walk that is one of its `max_search` =
 * 2 × batch steps. Here a heap of (key, insertion number) nodes, one per entry, does the
 * same; a node's key is the entry's last touch, which orders as its expiry (touch + expire)
 * does. The expire task runs lazily, just before an entry is created, which leaves the
 * table as HAProxy's task would have at that moment.
 */
import type { Uint32Table } from '../collections/uint32-table.ts';

export class StickTableLimit {
  /** The heap: node i's key (a touch time), insertion number and client. */
  private time = new Float64Array(256);
  private seq = new Float64Array(256);
  private client = new Uint32Array(256);
  private nodes = 0;
  private inserted = 0;
  /** stktable_trash_oldest's batch: size >> 8, plus one. */
  private readonly batch: number;

  /**
   * `table`: the persistence table, whose column `usedCol` holds each client's last touch
   * (NaN once a server without a cookie unpinned it). `maxIdleMs`: the table's expire.
   */
  constructor(
    readonly size: number,
    private readonly table: Uint32Table,
    private readonly usedCol: number,
    private readonly maxIdleMs: number,
  ) {
    this.batch = Math.floor(size / 256) + 1;
  }

  /** A new entry for `client` was stored at `now` (after makeRoom): its node. */
  stored(client: number, now: number): void {
    this.push(now, client);
  }

  /**
   * Whether the table can take a new client at `now`: the expire task's work first (the
   * entries idle past `max_idle` dropped), then, still full, the oldest batch trashed.
   * False when nothing could be trashed: the client is not stored.
   */
  makeRoom(now: number): boolean {
    // stktable_trash_expired: the nodes whose key has expired, oldest first.
    while (this.nodes > 0 && now - this.time[0]! > this.maxIdleMs) {
      const client = this.client[0]!;
      this.pop();
      const slot = this.table.find(client);
      const used = this.usedOf(slot);
      if (used !== this.time[this.nodes] && now - used <= this.maxIdleMs) this.push(used, client);
      else this.table.remove(slot);
    }
    if (this.table.size < this.size) return true;
    // stktable_trash_oldest: at most 2 × batch nodes looked at, a re-inserted one included.
    let trashed = 0;
    for (let search = 2 * this.batch; trashed < this.batch && this.nodes > 0 && --search >= 0; ) {
      const t = this.time[0]!;
      const client = this.client[0]!;
      this.pop();
      const slot = this.table.find(client);
      const used = this.usedOf(slot);
      if (used !== t && !Number.isNaN(used)) {
        this.push(used, client);
        continue;
      }
      this.table.remove(slot);
      trashed++;
    }
    return trashed > 0;
  }

  /** The last touch of the entry in `slot` (every node's client is held). */
  private usedOf(slot: number): number {
    return this.table.values[slot * this.table.width + this.usedCol]!;
  }

  private less(i: number, j: number): boolean {
    const a = this.time[i]!;
    const b = this.time[j]!;
    return a < b || (a === b && this.seq[i]! < this.seq[j]!);
  }

  private swap(i: number, j: number): void {
    const { time, seq, client } = this;
    [time[i], time[j]] = [time[j]!, time[i]!];
    [seq[i], seq[j]] = [seq[j]!, seq[i]!];
    [client[i], client[j]] = [client[j]!, client[i]!];
  }

  private push(t: number, client: number): void {
    if (this.nodes === this.time.length) this.grow();
    let i = this.nodes++;
    this.time[i] = Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
    this.seq[i] = this.inserted++;
    this.client[i] = client;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!this.less(i, up)) break;
      this.swap(i, up);
      i = up;
    }
  }

  /** Removes the smallest node; its fields are left at index `nodes` (read them before the next push). */
  private pop(): void {
    const last = --this.nodes;
    this.swap(0, last);
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= last) break;
      const c = l + 1 < last && this.less(l + 1, l) ? l + 1 : l;
      if (!this.less(c, i)) break;
      this.swap(i, c);
      i = c;
    }
  }

  private grow(): void {
    const n = this.time.length * 2;
    const time = new Float64Array(n);
    const seq = new Float64Array(n);
    const client = new Uint32Array(n);
    time.set(this.time);
    seq.set(this.seq);
    client.set(this.client);
    this.time = time;
    this.seq = seq;
    this.client = client;
  }
}
