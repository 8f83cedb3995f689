import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { LbsimError } from '../../errors.ts';
import { formatValidation, validateText } from '../../workflows/validate.ts';
import { emit } from '../output.ts';

/** Exit codes: 0 clean, 1 errors (or warnings with --strict), 2 unreadable (from main). */
export function validateCommand(): Command {
  return new Command('validate')
    .description('check a balancer configuration statically, before any run: skewed or zero weights, unpickable backends, capacity below the traffic, tiny queues, short timeouts')
    .argument('<config>', 'scenario file (YAML or JSON)')
    .option('--strict', 'exit 1 on warnings too')
    .addOption(new Option('--format <format>', 'output').choices(['text', 'json']).default('text'))
    .action(async (file: string, opts: { strict?: boolean; format: 'text' | 'json' }) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new LbsimError(code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE', `${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read: ${(e as Error).message}`}`);
      }
      const v = validateText(text, file);
      await emit(opts.format === 'json' ? `${JSON.stringify(v, null, 2)}\n` : formatValidation(v), undefined);
      if (v.errors > 0 || (opts.strict && v.warnings > 0)) process.exitCode = 1;
    });
}
