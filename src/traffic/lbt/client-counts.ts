/**
 * Requests per client key for `lbsim trace info`: an open-addressing table of uint32 keys
 * and counts (8 bytes a slot, at most half full), so a trace's distinct clients and its
 * heaviest ones come from one pass in a fraction of a Set's memory. Past `cap` distinct
 * clients, new ones are not counted (the caller says the figures are then lower bounds).
 */
export class ClientCounts {
  private mask = 4095;
  /** 32 − log2(slots): the hash is the product's high bits (Fibonacci hashing). */
  private shift = 20;
  private used = new Uint8Array(4096);
  private keys = new Uint32Array(4096);
  private counts = new Float64Array(4096);
  /** Distinct clients counted. */
  size = 0;

  constructor(private readonly cap: number) {}

  /** Counts one request of `client`; false when the table is full and `client` is new (not counted). */
  add(client: number): boolean {
    let i = Math.imul(client, 0x9e3779b1) >>> this.shift;
    while (this.used[i] === 1 && this.keys[i] !== client) i = (i + 1) & this.mask;
    if (this.used[i] === 0) {
      if (this.size >= this.cap) return false;
      if (2 * (this.size + 1) > this.mask + 1) {
        this.grow();
        return this.add(client);
      }
      this.used[i] = 1;
      this.keys[i] = client;
      this.size++;
    }
    this.counts[i]!++;
    return true;
  }

  /** The `n` largest counts, largest first. */
  top(n: number): number[] {
    const out: number[] = [];
    for (let i = 0; i <= this.mask; i++) if (this.used[i] === 1) out.push(this.counts[i]!);
    return out.sort((a, b) => b - a).slice(0, n);
  }

  private grow(): void {
    const { used, keys, counts } = this;
    const n = (this.mask + 1) * 2;
    this.mask = n - 1;
    this.shift--;
    this.used = new Uint8Array(n);
    this.keys = new Uint32Array(n);
    this.counts = new Float64Array(n);
    for (let j = 0; j < used.length; j++) {
      if (used[j] === 0) continue;
      let i = Math.imul(keys[j]!, 0x9e3779b1) >>> this.shift;
      while (this.used[i] === 1) i = (i + 1) & this.mask;
      this.used[i] = 1;
      this.keys[i] = keys[j]!;
      this.counts[i] = counts[j]!;
    }
  }
}
