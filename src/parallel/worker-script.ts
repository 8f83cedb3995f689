/**
 * Where piscina finds a worker script (`workers/<name>`), in each layout lbsim runs from.
 * Its own module: the worker threads a run asks for are started before the CLI's modules
 * load (src/parallel/prestart.ts), and that must not wait for the engine's.
 */

/** Set to true by scripts/bundle.ts in the bundle the binary runs; undefined elsewhere. */
declare const LBSIM_BUNDLE: boolean | undefined;

/**
 * How piscina starts `workers/<name>`, in each of the three layouts this module runs in:
 * from sources (vitest, tsx) the worker is TypeScript two folders up and needs tsx's
 * loader; in tsc's dist/src it is plain JS two folders up, started without the parent's
 * node options; in dist/bundle (what bin/lbsim.js runs) the worker is an entry point
 * beside every chunk of the bundle.
 */
export function workerScript(name: string): { filename: string; execArgv?: string[] } {
  if (typeof LBSIM_BUNDLE !== 'undefined') return { filename: new URL(`./${name}.js`, import.meta.url).href };
  const fromSource = import.meta.url.endsWith('.ts');
  const filename = new URL(`../../workers/${name}.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;
  if (fromSource) return { filename, execArgv: [...process.execArgv, '--import', 'tsx'] };
  // dist/src is what a program importing lbsim's modules runs, the benchmarks among them,
  // which run under tsx. A worker inherits its parent's node options, tsx's loader with
  // them, and under that loader a worker's simulation took ~40% more CPU (2026-11-26: a
  // sweep's workers 2.5 → 3.5 s each; the main thread was not slowed). The worker is plain
  // JS and needs no option. (The binary, dist/bundle, is started by plain node, and its
  // workers keep its options: `node --cpu-prof bin/lbsim.js` profiles them too.)
  return { filename, execArgv: [] };
}
