/**
 * Writing results. A file is written to a temporary name beside it and renamed into
 * place, so a crash or Ctrl-C never leaves a half-written report.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
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
