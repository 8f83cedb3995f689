/**
 * The binary's entry point (bin/lbsim.js runs the bundle of this file): starts the worker
 * threads the command line asks for (src/parallel/prestart.ts), then loads the command
 * line's modules — a chunk of their own — and runs the command.
 */
import { discardPrestarted, prestart } from '../parallel/prestart.ts';

export async function main(argv: readonly string[]): Promise<number> {
  await prestart(argv);
  try {
    const cli = await import('./main.ts');
    return await cli.main(argv);
  } finally {
    await discardPrestarted();
  }
}
