/**
 * The lbsim command line. It only wires layers together: each command lives in its own
 * file under commands/ with its own flags and help. User mistakes (LbsimError, bad
 * flags) print one line per problem and exit 2; Ctrl-C exits 130; anything else is a bug
 * and is printed with its stack.
 */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { isLbsimError } from '../errors.ts';
import { algorithmsCommand } from './commands/algorithms.ts';
import { runCommand } from './commands/run.ts';
import { capacityCommand } from './commands/capacity.ts';
import { compareCommand } from './commands/compare.ts';
import { diffCommand } from './commands/diff.ts';
import { validateCommand } from './commands/validate.ts';
import { importCommand } from './commands/import.ts';
import { traceCommand } from './commands/trace.ts';
import { workerCommand } from './commands/worker.ts';
import type { CliContext } from './context.ts';
import { checkOutputPath, implyFormatFromOut } from './output.ts';

const require = createRequire(import.meta.url);

function version(): string {
  for (const p of ['../../package.json', '../../../package.json']) {
    try {
      return (require(p) as { version: string }).version;
    } catch {
      // Compiled (dist/src/cli) and source (src/cli) layouts sit at different depths; try the next.
    }
  }
  return 'unknown';
}

export async function main(argv: readonly string[]): Promise<number> {
  // A reader that stops early (`| head`) is not an error of ours.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  const controller = new AbortController();
  // The first Ctrl-C or SIGTERM cancels (the command cleans up and exits 130); a second one
  // exits at once, for a command stuck in its cleanup. The listeners stay on (not `once`)
  // until main returns: ink's signal-exit (3.x) re-raises a signal it finds no other
  // listener for, and Node drops a `once` listener before the others run, so at a terminal
  // (ink loaded) the first signal killed the process before anything was cleaned up.
  const onSignal = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) controller.abort();
    else process.exit(128 + (osConstants.signals[signal] ?? 2));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let quiet = false;
  const ctx: CliContext = {
    signal: controller.signal,
    info: (m) => {
      if (!quiet) process.stderr.write(`${m}\n`);
    },
  };
  const program = new Command('lbsim')
    .description('traffic-replay load-balancer simulator')
    .version(version())
    .option('-q, --quiet', 'no notes on stderr')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .hook('preAction', (cmd, action) => {
      quiet = Boolean(cmd.opts().quiet);
      const out: unknown = action.opts().out;
      if (typeof out === 'string' && out !== '-') checkOutputPath(out);
      implyFormatFromOut(action);
    });
  for (const cmd of [runCommand(ctx), algorithmsCommand(), compareCommand(ctx), diffCommand(ctx), capacityCommand(ctx), validateCommand(), importCommand(ctx), traceCommand(), workerCommand(ctx)]) {
    program.addCommand(cmd.exitOverride().configureOutput({ writeErr: (s) => process.stderr.write(s) }));
  }
  try {
    await program.parseAsync(argv);
    // Verdict commands (diff, validate, capacity) set exit code 1 for a finding that is not an error.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are successes; every other commander error is a usage error it already printed.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : 2;
    }
    if (isLbsimError(e)) {
      process.stderr.write(`lbsim: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`lbsim: internal error (a bug in lbsim, please report it):\n${(e as Error)?.stack ?? String(e)}\n`);
    return 70;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
