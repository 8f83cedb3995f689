/**
 * The two pieces of a cluster job that must not lose a bit: the text encoding of tasks and
 * results (typed arrays and non-finite numbers through JSON), and the worker's check that
 * its copy of a trace is the coordinator's (size and SHA-256, by path or by URL).
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJson, encodeJson } from '../../src/cluster/codec.ts';
import { fingerprint, localTrace, traceUrl } from '../../src/cluster/traces.ts';
import { parseFailure, formatFailure } from '../../src/cluster/job.ts';

describe('codec', () => {
  it('round-trips typed arrays bit for bit (NaN payloads, -0, subnormals) and non-finite numbers', () => {
    fc.assert(
      fc.property(fc.array(fc.double()), fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })), fc.oneof(fc.double(), fc.constantFrom(Infinity, -Infinity, NaN)), (doubles, ints, x) => {
        const value = { state: Float64Array.from(doubles), rows: { n: Int32Array.from(ints) }, x, nested: [x, { timeoutMs: Infinity }], name: 'w' };
        const back = decodeJson<typeof value>(encodeJson(value));
        expect(back.state).toBeInstanceOf(Float64Array);
        expect(new Uint8Array(back.state.buffer)).toEqual(new Uint8Array(value.state.buffer));
        expect(back.rows.n).toEqual(value.rows.n);
        expect(Object.is(back.x, x) || (Number.isNaN(back.x) && Number.isNaN(x))).toBe(true);
        expect(back.nested[1]).toEqual({ timeoutMs: Infinity });
      }),
    );
  });

  it('a typed array that is a view into a larger buffer encodes only its own elements', () => {
    const whole = Float64Array.from([1, 2, 3, 4]);
    const back = decodeJson<Float64Array>(encodeJson(whole.subarray(1, 3)));
    expect(Array.from(back)).toEqual([2, 3]);
  });

  it('a failure keeps its code across Redis', () => {
    expect(parseFailure(formatFailure('BALANCER_FAILED', 'x.js: pick() threw\nsecond line'))).toEqual({ code: 'BALANCER_FAILED', message: 'x.js: pick() threw\nsecond line' });
    expect(parseFailure('Error: something else')).toEqual({ code: 'WORKER_FAILED', message: 'Error: something else' });
  });
});

describe('traces on workers', () => {
  let dir: string;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lbsim-traces-'));
    await writeFile(join(dir, 'a.lbt'), 'the recorded traffic');
    await writeFile(join(dir, 'stale.lbt'), 'the recorded traffic, older copy');
    server = createServer((req, res) => {
      void readFile(join(dir, decodeURIComponent(req.url!.slice(1)))).then(
        (b) => res.end(b),
        () => ((res.statusCode = 404), res.end()),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('a shared path whose file matches is used as it is', async () => {
    const path = join(dir, 'a.lbt');
    const f = await fingerprint(path);
    expect(f.size).toBe(20);
    expect(await localTrace({ path, ...f }, join(dir, 'cache'))).toBe(path);
  });

  it("a copy that differs from the coordinator's fails, naming size or checksum", async () => {
    const f = await fingerprint(join(dir, 'a.lbt'));
    await expect(localTrace({ path: join(dir, 'stale.lbt'), ...f }, join(dir, 'cache'))).rejects.toThrow(/stale\.lbt: this worker's copy of the trace differs from the coordinator's \(32 bytes, the coordinator's has 20\)/);
    await writeFile(join(dir, 'same-size.lbt'), 'the recorded TRAFFIC');
    await expect(localTrace({ path: join(dir, 'same-size.lbt'), ...f }, join(dir, 'cache'))).rejects.toThrow(/differs from the coordinator's \(SHA-256 \w+…, the coordinator's is \w+…\)/);
    await expect(localTrace({ path: join(dir, 'missing.lbt'), ...f }, join(dir, 'cache'))).rejects.toThrow(/missing\.lbt: no such file on this worker/);
  });

  it('a URL is downloaded once into the cache and checked', async () => {
    const path = join(dir, 'a.lbt');
    const f = await fingerprint(path);
    const url = traceUrl(`${base}/`, path);
    expect(url).toBe(`${base}/a.lbt`);
    const local = await localTrace({ path: '/elsewhere/a.lbt', url, ...f }, join(dir, 'cache'));
    expect(local).toBe(join(dir, 'cache', `${f.sha256}.lbt`));
    expect(await readFile(local, 'utf8')).toBe('the recorded traffic');
    await expect(localTrace({ path: '/elsewhere/a.lbt', url: `${base}/stale.lbt`, ...f, sha256: '0'.repeat(64) }, join(dir, 'cache2'))).rejects.toThrow(/stale\.lbt: this worker's copy of the trace differs/);
    await expect(localTrace({ path: '/x', url: `${base}/nope.lbt`, ...f, sha256: '1'.repeat(64) }, join(dir, 'cache3'))).rejects.toThrow(/nope\.lbt: cannot download the trace: HTTP 404/);
  });
});
