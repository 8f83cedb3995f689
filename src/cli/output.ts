/**
 * Writing results. A file is written to a temporary name beside it and renamed into
 * place, so a crash or Ctrl-C never leaves a half-written report.
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { LbsimError } from '../errors.ts';

export async function writeAtomically(file: string, content: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(tmp, content);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new LbsimError('FILE_UNREADABLE', `${file}: cannot write: ${(e as Error).message}`, { cause: e });
  }
}

/** Writes to --out atomically, or to stdout. */
export async function emit(content: string, out: string | undefined): Promise<void> {
  if (out === undefined || out === '-') {
    await new Promise<void>((resolve, reject) => process.stdout.write(content, (err) => (err ? reject(err) : resolve())));
  } else {
    await writeAtomically(out, content);
  }
}

/**
 * Fails before any work when `--out FILE` cannot be written — its folder is missing, or
 * FILE is a folder — so a long run does not end in "cannot write" with nothing to show.
 */
export function checkOutputPath(file: string): void {
  const dir = dirname(resolve(file));
  const dirStat = statSync(dir, { throwIfNoEntry: false });
  if (dirStat === undefined) throw new LbsimError('USAGE', `${file}: cannot write: the folder ${dir} does not exist`);
  if (!dirStat.isDirectory()) throw new LbsimError('USAGE', `${file}: cannot write: ${dir} is not a folder`);
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new LbsimError('USAGE', `${file}: is a directory; --out expects a file name`);
}

/**
 * Fails before any work when `--out FILE` is one of the command's `inputs` (files named on
 * the command line or by a scenario): the output would replace it (`lbsim import good.csv
 * -o good.csv` turned the CSV into a trace). Compared by device and inode, so another
 * spelling, a symlink or a hard link of an input is caught too. Inputs that do not exist
 * are skipped (the command reports them itself).
 */
export function checkOutputNotInput(out: string | undefined, inputs: readonly string[]): void {
  if (out === undefined || out === '-') return;
  const target = statSync(out, { throwIfNoEntry: false });
  if (target === undefined) return;
  for (const input of inputs) {
    const s = statSync(input, { throwIfNoEntry: false });
    if (s !== undefined && s.dev === target.dev && s.ino === target.ino) {
      const what = resolve(out) === resolve(input) ? 'is an input' : `is the same file as ${input}, an input`;
      throw new LbsimError('USAGE', `--out ${out}: ${what} of this command; writing the output there would replace it (choose another file)`);
    }
  }
}

/** The output format an --out file's extension names. */
const FORMAT_BY_EXTENSION: Readonly<Record<string, string>> = { '.json': 'json', '.csv': 'csv', '.md': 'markdown', '.markdown': 'markdown', '.txt': 'text' };

/**
 * A command's output --format left at its default (text) follows the --out file's
 * extension when the command offers that format: `-o report.json` writes the JSON report,
 * `-o series.csv` the CSV time series, where both wrote the text summary under those
 * names. An explicit --format always wins. Sets and returns the format implied, if any.
 */
export function implyFormatFromOut(cmd: Command): string | undefined {
  const out: unknown = cmd.opts().out;
  const option = cmd.options.find((o) => o.attributeName() === 'format');
  if (typeof out !== 'string' || out === '-' || option === undefined || option.defaultValue !== 'text') return undefined;
  if (cmd.getOptionValueSource('format') !== 'default') return undefined;
  const format = FORMAT_BY_EXTENSION[extname(out).toLowerCase()];
  if (format === undefined || option.argChoices?.includes(format) !== true) return undefined;
  cmd.setOptionValueWithSource('format', format, 'implied');
  return format;
}
