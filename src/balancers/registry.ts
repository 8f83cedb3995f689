import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LbsimError } from '../errors.ts';
import { envoyLeastRequest } from './envoy/least-request.ts';
import { envoyMaglev } from './envoy/maglev.ts';
import { envoyRandom } from './envoy/random.ts';
import { envoyRingHash } from './envoy/ring-hash.ts';
import { envoyRoundRobin } from './envoy/round-robin.ts';
import { haproxyFirst } from './haproxy/first.ts';
import { haproxyHdr, haproxySource, haproxyUri } from './haproxy/hash-balance.ts';
import { haproxyLeastconn } from './haproxy/leastconn.ts';
import { haproxyRandom } from './haproxy/random.ts';
import { haproxyRoundrobin } from './haproxy/roundrobin.ts';
import { haproxyStaticRr } from './haproxy/static-rr.ts';
import { leastResponseTime } from './latency/least-response-time.ts';
import { peakEwma } from './latency/peak-ewma.ts';
import { leastConnections } from './least-connections.ts';
import { nginxHash } from './nginx/hash.ts';
import { nginxIpHash } from './nginx/ip-hash.ts';
import { nginxLeastConn } from './nginx/least-conn.ts';
import { nginxRandom } from './nginx/random.ts';
import { nginxRoundRobin } from './nginx/round-robin.ts';
import { powerOfTwo } from './power-of-two.ts';
import { random } from './random.ts';
import { roundRobin } from './round-robin.ts';
import type { Balancer, BalancerContext, BalancerModule, WholeKey } from './types.ts';
import { weightedLeastConnections } from './weighted-least-connections.ts';
import { weightedRoundRobin } from './weighted-round-robin.ts';
import type { RouteKey } from '../traffic/lbt/reader.ts';

/** Every built-in algorithm, by the name scenarios use. Adding one is one file and one line here. */
export const BUILTIN_BALANCERS: ReadonlyMap<string, BalancerModule> = new Map(
  [
    roundRobin, leastConnections, weightedRoundRobin, weightedLeastConnections, random, powerOfTwo,
    haproxyRoundrobin,
    haproxyStaticRr,
    haproxyLeastconn,
    haproxyFirst,
    haproxySource,
    haproxyUri,
    haproxyHdr,
    haproxyRandom,
    nginxRoundRobin,
    nginxLeastConn,
    nginxIpHash,
    nginxHash,
    nginxRandom,
    envoyRoundRobin,
    envoyLeastRequest,
    envoyRingHash,
    envoyMaglev,
    envoyRandom,
    peakEwma,
    leastResponseTime,
  ].map((m) => [m.name, m]),
);

/** A path rather than a name: starts with ./, ../ or /, or ends in .js/.mjs/.ts. */
export function isBalancerPath(algorithm: string): boolean {
  return /^(\.{1,2}[\\/]|[\\/])/.test(algorithm) || /\.(m?js|ts)$/.test(algorithm);
}

/**
 * Resolves an algorithm name or a file path (relative to `baseDir`, the scenario's
 * folder) to its module. A user's file must default-export a BalancerModule.
 */
export async function loadBalancerModule(algorithm: string, baseDir: string): Promise<BalancerModule> {
  if (!isBalancerPath(algorithm)) {
    const builtin = BUILTIN_BALANCERS.get(algorithm);
    if (!builtin) {
      throw new LbsimError(
        'BALANCER_UNKNOWN',
        `unknown algorithm '${algorithm}'; expected one of ${[...BUILTIN_BALANCERS.keys()].join(', ')} or a path to a balancer file (./my-balancer.js)`,
      );
    }
    return builtin;
  }
  const file = isAbsolute(algorithm) ? algorithm : resolve(baseDir, algorithm);
  // Only the file itself missing is "not found": a module it imports that is missing fails its loading (below).
  if (!existsSync(file)) throw new LbsimError('FILE_NOT_FOUND', `${file}: balancer file not found`);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    throw loadError(file, e);
  }
  const m = mod.default as Partial<BalancerModule> | undefined;
  if (!m || typeof m !== 'object' || typeof m.create !== 'function') {
    throw new LbsimError('BALANCER_FAILED', `${file}: expected a default export { name, description, create(ctx) } (a BalancerModule)`);
  }
  const { routeKey, followsLoad, hashesWhole } = m;
  type Options = Readonly<Record<string, unknown>>;
  return wrapCustom(file, {
    name: typeof m.name === 'string' ? m.name : algorithm,
    description: typeof m.description === 'string' ? m.description : `custom balancer from ${algorithm}`,
    create: m.create.bind(m),
    // What the module declares beside create (README, "Your own balancer"): priority levels, the key it hashes, and its spread for validate.
    ...(m.priorityLevels === true ? { priorityLevels: true } : {}),
    ...(typeof routeKey === 'function' ? { routeKey: (options: Options) => checkedAnswer(file, 'routeKey()', () => routeKey.call(m, options), isRouteKey, "'path' or 'uri'") } : {}),
    ...(m.ignoresWeights === true ? { ignoresWeights: true } : {}),
    ...(typeof followsLoad === 'function' ? { followsLoad: (options: Options) => checkedAnswer(file, 'followsLoad()', () => followsLoad.call(m, options), isBoolean, 'true or false') } : {}),
    ...(typeof hashesWhole === 'function' ? { hashesWhole: (options: Options) => checkedAnswer(file, 'hashesWhole()', () => hashesWhole.call(m, options), isWholeKeyOrNone, "undefined or { key: 'client' | 'route', field, bound }") } : {}),
  });
}

const isRouteKey = (v: unknown): v is RouteKey => v === 'path' || v === 'uri';
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
function isWholeKeyOrNone(v: unknown): v is WholeKey | undefined {
  if (v === undefined) return true;
  const k = v as Partial<WholeKey> | null;
  return typeof k === 'object' && k !== null && (k.key === 'client' || k.key === 'route') && typeof k.field === 'string' && typeof k.bound === 'string';
}

/** What a user module's hook answered, if `valid`; else one BALANCER_FAILED error naming the file, the hook and what was expected. */
function checkedAnswer<T>(file: string, hook: string, call: () => unknown, valid: (v: unknown) => v is T, expected: string): T {
  let v: unknown;
  try {
    v = call();
  } catch (e) {
    throw new LbsimError('BALANCER_FAILED', `${file}${lineOfThrow(file, e)}: ${hook} threw: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (valid(v)) return v;
  throw new LbsimError('BALANCER_FAILED', `${file}: ${hook} returned ${JSON.stringify(v) ?? String(v)}; expected ${expected}`);
}

/**
 * A user's balancer runs behind a guard: an exception or a pick that is not a valid, up
 * backend becomes one BALANCER_FAILED error naming the file and the request, instead of a
 * stack trace or a silently wrong simulation. Built-ins are trusted and run unguarded.
 */
function wrapCustom(file: string, inner: BalancerModule): BalancerModule {
  const fail = (what: string, e?: unknown): never => {
    throw new LbsimError('BALANCER_FAILED', `${file}${lineOfThrow(file, e)}: ${what}${e === undefined ? '' : `: ${e instanceof Error ? e.message : String(e)}`}`, { cause: e });
  };
  // What the module declares beside create (already checked by loadBalancerModule) passes as it is.
  const { create: _create, ...declared } = inner;
  return {
    ...declared,
    create(ctx: BalancerContext): Balancer {
      let b: Balancer;
      try {
        b = inner.create(ctx);
      } catch (e) {
        return fail('create() threw', e);
      }
      if (!b || typeof b.pick !== 'function') return fail('create() must return an object with a pick(request, client, route) method');
      const guarded: Balancer = {
        pick(request, client, route) {
          let chosen: number;
          try {
            chosen = b.pick(request, client, route);
          } catch (e) {
            return fail(`pick() threw on request ${request}`, e);
          }
          if (chosen === -1) return -1;
          if (!Number.isInteger(chosen) || chosen < 0 || chosen >= ctx.backends.count) {
            return fail(`pick() returned ${String(chosen)} on request ${request}; expected a backend index 0..${ctx.backends.count - 1} or -1`);
          }
          if (ctx.backends.up[chosen] !== 1) return fail(`pick() chose backend ${ctx.backends.names[chosen]} on request ${request}, which is down`);
          return chosen;
        },
      };
      for (const hook of ['onDispatch', 'onComplete', 'onBackendDown', 'onBackendUp', 'onWeightChange', 'onRefused'] as const) {
        const fn = b[hook];
        if (typeof fn !== 'function') continue;
        guarded[hook] = (x: number, y?: number, z?: number) => {
          try {
            (fn as (a: number, b?: number, c?: number) => void).call(b, x, y, z);
          } catch (e) {
            fail(`${hook}() threw`, e);
          }
        };
      }
      // A time-split run calls these at its checkpoints (README, "Your own balancer"): a bad state would
      // otherwise surface as a crash deep in the engine, or as two runs compared wrongly.
      if (typeof b.saveState === 'function' && typeof b.loadState === 'function') {
        guarded.saveState = () => {
          let state: unknown;
          try {
            state = b.saveState!();
          } catch (e) {
            return fail('saveState() threw', e);
          }
          const bad = Array.isArray(state) ? state.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x)) : -2;
          if (bad !== -1) {
            const got = bad === -2 ? describeValue(state) : `an array whose element ${bad} is ${describeValue((state as unknown[])[bad])}`;
            return fail(`saveState() returned ${got}; expected an array of finite numbers ([] when the balancer keeps no state)`);
          }
          // A copy: the balancer may keep changing the array it returned, and the checkpoint must not change with it.
          return (state as number[]).slice();
        };
        guarded.loadState = (state) => {
          try {
            b.loadState!(state.slice());
          } catch (e) {
            fail(`loadState() threw on a state of ${state.length} number${state.length === 1 ? '' : 's'}`, e);
          }
        };
      }
      if (typeof b.assumePicks === 'function') {
        guarded.assumePicks = (requests) => {
          try {
            b.assumePicks!(requests);
          } catch (e) {
            fail(`assumePicks(${requests}) threw`, e);
          }
        };
      }
      return guarded;
    },
  };
}

/** A value as a message shows it: `5`, `"x"`, `undefined`, `an object`. */
function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}

/**
 * Why a balancer file that exists failed to load, naming the cause and its line when
 * known: a throw at its top level (the stack has the line), a module it imports that
 * cannot be found (Node's message names it), or a syntax error.
 */
function loadError(file: string, e: unknown): LbsimError {
  const message = e instanceof Error ? e.message : String(e);
  const line = lineOfThrow(file, e);
  if (e instanceof SyntaxError && line === '' && !userFrames(e)) {
    const at = syntaxErrorAt(file);
    if (at !== undefined) {
      const where = at.file === file ? `${file}:${at.line}: loading the balancer failed` : `${file}: loading the balancer failed: ${at.file}:${at.line}`;
      return new LbsimError('BALANCER_FAILED', `${where}: syntax error: ${message}`, { cause: e });
    }
    return new LbsimError('BALANCER_FAILED', `${file}: loading the balancer failed: syntax error: ${message}`, { cause: e });
  }
  return new LbsimError('BALANCER_FAILED', `${file}${line}: loading the balancer failed: ${message}`, { cause: e });
}

/** True when an error's stack has a frame outside Node's internals (it was thrown by running code, not by the compiler). */
function userFrames(e: Error): boolean {
  return (e.stack ?? '').split('\n').some((f) => /^\s+at /.test(f) && !f.includes('node:internal'));
}

/**
 * Where a module's syntax error is. Node keeps the location of an ES module's syntax
 * error out of the error object (only its uncaught-error printout has it), so a child
 * `node FILE` is asked: it fails to compile before running anything, and prints
 * `URL:LINE` first. Only a file that does not compile gets here.
 */
function syntaxErrorAt(file: string): { file: string; line: number } | undefined {
  const child = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'ignore', 'pipe'] });
  const m = /^(file:\/\/\S+|\/\S+):(\d+)\s*$/m.exec((child.stderr ?? '').split('\n')[0] ?? '');
  if (!m) return undefined;
  return { file: m[1]!.startsWith('file:') ? fileURLToPath(m[1]!) : m[1]!, line: Number(m[2]) };
}

/** `:LINE` of the innermost stack frame in the user's balancer file, so the message points at the throw; '' when unknown. */
function lineOfThrow(file: string, e: unknown): string {
  const stack = e instanceof Error ? e.stack : undefined;
  if (stack === undefined) return '';
  const href = pathToFileURL(file).href;
  for (const frame of stack.split('\n')) {
    const at = frame.indexOf(href) >= 0 ? frame.indexOf(href) + href.length : frame.indexOf(file) >= 0 ? frame.indexOf(file) + file.length : -1;
    // `FILE:LINE:COL` in a stack frame; a syntax error's stack starts with `FILE:LINE` alone.
    const m = at >= 0 ? /^:(\d+)(?::\d+|$)/.exec(frame.slice(at)) : null;
    if (m) return `:${m[1]}`;
  }
  return '';
}
