/**
 * Pieces shared by balancers' saveState()/loadState() (see Balancer in types.ts). A saved
 * state must be canonical: two balancers that will behave alike must save equal arrays,
 * or a time-split replay never sees its fix-up meet the first run. Counters that only
 * order entries (an eb-tree's insertion order, an EDF scheduler's order_offset) grow
 * with history, so they are saved as ranks: only their relative order matters.
 */

/**
 * The rank (0, 1, ...) of each entry's `order` among the entries for which `present(i)`
 * holds, or -1 for the others. Orders of present entries are distinct.
 */
export function orderRanks(order: ArrayLike<number>, present: (i: number) => boolean): number[] {
  const idx: number[] = [];
  for (let i = 0; i < order.length; i++) if (present(i)) idx.push(i);
  idx.sort((x, y) => order[x]! - order[y]!);
  const rank = new Array<number>(order.length).fill(-1);
  idx.forEach((i, r) => (rank[i] = r));
  return rank;
}

/** Reads a saved state front to back (loadState's side of a flat number array). */
export class StateReader {
  private at = 0;
  constructor(private readonly state: readonly number[]) {}

  next(): number {
    if (this.at >= this.state.length) throw new Error(`balancer state too short: ${this.state.length} numbers`);
    return this.state[this.at++]!;
  }

  /** Fills `into` with the next `into.length` numbers. */
  fill(into: { length: number; [i: number]: number }): void {
    for (let i = 0; i < into.length; i++) into[i] = this.next();
  }

  /** The next `n` numbers as an array. */
  take(n: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.next());
    return out;
  }
}

/**
 * saveState/loadState of a balancer whose choices depend only on the request, the
 * backends' view and structures rebuilt from it on every down/up (a hash ring, a server
 * map): it has nothing of its own to save, and says so, so a replay can be split.
 */
export const STATELESS = {
  saveState: (): number[] => [],
  loadState: (_state: readonly number[]): void => {},
} as const;
