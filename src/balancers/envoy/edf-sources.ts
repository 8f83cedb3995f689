/**
 * The EDF schedulers of Envoy's weighted algorithms, one per priority level and host source
 * (EdfLoadBalancerBase::refresh(priority) and scheduler_, keyed by HostsSource, Envoy
 * 1.28). When a level's hosts change, Envoy rebuilds the schedulers of all its sources
 * (all its hosts, the panic source; its healthy hosts; each locality's healthy hosts), and
 * no other level's; a source
 * whose hosts all weigh the same gets no scheduler (hostWeightsAreEqual and no host in
 * slow start) and is rotated instead. Each rebuilt scheduler adds its hosts in order and
 * then makes seed % hosts picks, so that Envoys do not all start alike. A level that
 * enters or leaves panic without a change of its own hosts goes on with the scheduler it
 * was left with, as in Envoy.
 */
import type { StateReader } from '../saved-state.ts';
import { EdfScheduler } from './edf.ts';
import type { PrioritySet } from './priority-set.ts';

export class EdfSources {
  /** By PrioritySet.sourceIndex. */
  private readonly schedulers: EdfScheduler[];
  private readonly weighted: Uint8Array;

  constructor(
    private readonly set: PrioritySet,
    count: number,
    private readonly weight: (host: number) => number,
    private readonly seed: number,
  ) {
    this.schedulers = Array.from({ length: set.sourceCount }, () => new EdfScheduler(count));
    this.weighted = new Uint8Array(set.sourceCount);
    for (let l = 0; l < set.levels; l++) this.rebuild(l);
  }

  /** After `level`'s hosts changed (and the set was refreshed): all its sources start over. */
  rebuild(level: number): void {
    for (let source = 0; source < this.set.sourcesOf(level); source++) this.rebuildSource(level, source);
  }

  private rebuildSource(level: number, source: number): void {
    const i = this.set.sourceIndex(level, source);
    const n = this.set.size(level, source);
    const edf = this.schedulers[i]!;
    this.weighted[i] = this.set.equalWeights(level, source) ? 0 : 1;
    if (this.weighted[i] === 1) edf.rebuild(this.set.hosts(level, source), n, this.weight, n === 0 ? 0 : this.seed % n);
    else edf.clear();
  }

  /** True when (level, source) picks by EDF; false when its hosts rotate or are sampled. */
  isWeighted(level: number, source: number): boolean {
    return this.weighted[this.set.sourceIndex(level, source)] === 1;
  }

  /** The next host of (level, source)'s scheduler, re-added with its weight now. Precondition: isWeighted. */
  pick(level: number, source: number): number {
    return this.schedulers[this.set.sourceIndex(level, source)]!.pickAndAdd(this.weight);
  }

  saveTo(out: number[]): void {
    for (const s of this.schedulers) s.saveTo(out);
  }

  loadFrom(r: StateReader): void {
    for (const s of this.schedulers) s.loadFrom(r);
  }
}
