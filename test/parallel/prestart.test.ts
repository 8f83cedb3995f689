/**
 * Worker threads started from the command line before the CLI's modules load
 * (src/parallel/prestart.ts): which command lines start them, and that a pool takes
 * them only when they are what it would start itself. (The binary's own runs with them,
 * their failures included, are in test/e2e/bundle.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { discardPrestarted, prestart, takePrestarted, workersAskedFor } from '../../src/parallel/prestart.ts';

const argv = (...args: string[]) => ['node', 'lbsim', ...args];

describe('threads started before the CLI loads', () => {
  afterEach(() => discardPrestarted());

  it('are asked for by `lbsim run … --threads N` (N ≥ 2, not on a cluster), one fewer than N', () => {
    expect(workersAskedFor(argv('run', 's.yaml', '--threads', '2'))).toBe(1);
    expect(workersAskedFor(argv('run', '--threads', '4', 's.yaml'))).toBe(3);
    expect(workersAskedFor(argv('run', 's.yaml', '--threads=3'))).toBe(2);
    expect(workersAskedFor(argv('run', 's.yaml', '--threads', '1'))).toBe(0);
    expect(workersAskedFor(argv('run', 's.yaml'))).toBe(0);
    expect(workersAskedFor(argv('run', 's.yaml', '--threads', 'x'))).toBe(0);
    expect(workersAskedFor(argv('run', 's.yaml', '--threads', '2', '--redis', 'redis://r'))).toBe(0);
    expect(workersAskedFor(argv('run', 's.yaml', '--redis=redis://r', '--threads', '2'))).toBe(0);
    expect(workersAskedFor(argv('compare', 's.yaml', '--threads', '2'))).toBe(0);
    expect(workersAskedFor(argv('validate', 's.yaml', '--threads', '2'))).toBe(0);
    expect(workersAskedFor(argv())).toBe(0);
  });

  it('a pool that would start as many, pinged, takes them, once', async () => {
    await prestart(argv('run', 's.yaml', '--threads', '2'));
    expect(takePrestarted(2, true)).toBeUndefined(); // not what it would start: left, and stopped
    expect(takePrestarted(1, true)).toBeUndefined(); // so no longer there
    await discardPrestarted();

    await prestart(argv('run', 's.yaml', '--threads', '2'));
    const w = takePrestarted(1, true);
    expect(w?.count).toBe(1);
    expect(takePrestarted(1, true)).toBeUndefined();
    await discardPrestarted(); // taken: the pool's to stop, not this
    // Up and answering: the ping prestart sent comes back.
    await expect.poll(() => w!.up, { timeout: 30_000 }).toBe(1);
    expect(w!.failure).toBeUndefined();
    await w!.stop();
  });

  it('a command line that asks for none starts none', async () => {
    await prestart(argv('run', 's.yaml'));
    expect(takePrestarted(1, true)).toBeUndefined();
  });
});
