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
 * loader; in tsc's dist/src it is plain JS two folders up; in dist/bundle (what
 * bin/lbsim.js runs) the worker is an entry point beside every chunk of the bundle.
 */
export function workerScript(name: string): { filename: string; execArgv?: string[] } {
  if (typeof LBSIM_BUNDLE !== 'undefined') return { filename: new URL(`./${name}.js`, import.meta.url).href };
  const fromSource = import.meta.url.endsWith('.ts');
  const filename = new URL(`../../workers/${name}.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;
  return fromSource ? { filename, execArgv: [...process.execArgv, '--import', 'tsx'] } : { filename };
}
