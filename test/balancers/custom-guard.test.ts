/**
 * The guard around a user's balancer file (src/balancers/registry.ts wrapCustom): every
 * hook the engine calls is passed on, and a throw or a wrong return becomes one
 * BALANCER_FAILED error naming the file and the hook. (Through the binary:
 * test/e2e/cli-run.test.ts.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBalancerModule } from '../../src/balancers/registry.ts';
import type { BalancerContext } from '../../src/balancers/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'lbsim-guard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ctx = { backends: { count: 2, up: new Uint8Array([1, 1]), names: ['a', 'b'] }, options: {} } as unknown as BalancerContext;

async function create(name: string, body: string) {
  writeFileSync(join(dir, name), `export default { name: 'g', description: 'x', create() { ${body} } };\n`);
  return (await loadBalancerModule(`./${name}`, dir)).create(ctx);
}

describe("a user's balancer behind the guard", () => {
  it('onWeightChange reaches the balancer (it was dropped), and a throw there names the file and the hook', async () => {
    const b = await create('weights.js', "const seen = []; globalThis.seenWeights = seen; return { pick() { return 0; }, onWeightChange(i) { if (i === 1) throw new Error('bad weight'); seen.push(i); } };");
    b.onWeightChange!(0);
    expect((globalThis as { seenWeights?: number[] }).seenWeights).toEqual([0]);
    expect(() => b.onWeightChange!(1)).toThrow(/weights\.js:1: onWeightChange\(\) threw: bad weight$/);
  });

  it('saveState hands out a copy; loadState gets one; assumePicks throwing names the hook', async () => {
    const b = await create('state.js', "const s = [1, 2]; let got; return { pick() { return 0; }, saveState() { return s; }, loadState(x) { got = x; x[0] = 99; }, assumePicks() { throw new Error('no guess'); } };");
    const saved = b.saveState!();
    expect(saved).toEqual([1, 2]);
    const given = [5, 6];
    b.loadState!(given);
    expect(given).toEqual([5, 6]);
    expect(() => b.assumePicks!(10)).toThrow(/state\.js:1: assumePicks\(10\) threw: no guess$/);
  });

  it('saveState returning something other than finite numbers says what it got and what was expected', async () => {
    for (const [ret, got] of [['undefined', 'undefined'], ['{ n: 1 }', 'an object'], ["[1, 'x']", 'an array whose element 1 is "x"'], ['[Infinity]', 'an array whose element 0 is Infinity']]) {
      const b = await create(`ret-${got.length}-${ret.length}.js`, `return { pick() { return 0; }, saveState() { return ${ret}; }, loadState() {} };`);
      expect(() => b.saveState!()).toThrow(`saveState() returned ${got}; expected an array of finite numbers`);
    }
  });

  it('priorityLevels and routeKey reach the engine (they were dropped); a routeKey that throws or answers neither path nor uri names the file', async () => {
    const load = async (name: string, extra: string) => {
      writeFileSync(join(dir, name), `export default { name: 'k', description: 'x', ${extra} create() { return { pick() { return 0; } }; } };\n`);
      return loadBalancerModule(`./${name}`, dir);
    };
    const m = await load('declares.js', "priorityLevels: true, routeKey(o) { return o.whole ? 'uri' : 'path'; },");
    expect(m.priorityLevels).toBe(true);
    expect([m.routeKey!({ whole: true }), m.routeKey!({})]).toEqual(['uri', 'path']);
    const plain = await load('plain.js', '');
    expect([plain.priorityLevels, plain.routeKey]).toEqual([undefined, undefined]);
    expect((await load('bad-key.js', "routeKey() { return 'query'; },")).routeKey!.bind(null, {})).toThrow(/bad-key\.js: routeKey\(\) returned "query"; expected 'path' or 'uri'/);
    expect((await load('throws-key.js', "routeKey() { throw new Error('no'); },")).routeKey!.bind(null, {})).toThrow(/throws-key\.js:1: routeKey\(\) threw: no/);
  });
});
