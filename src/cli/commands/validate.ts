import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { LbsimError } from '../../errors.ts';
import { extname } from 'node:path';
import { formatValidation, validateText } from '../../workflows/validate.ts';
import { validateProxyText } from '../../workflows/validate-proxy.ts';
import { emit } from '../output.ts';

/** Exit codes: 0 clean, 1 errors (or warnings with --strict), 2 unreadable (from main). */
export function validateCommand(): Command {
  return new Command('validate')
    .description('check a balancer configuration statically, before any run: skewed or zero weights, unpickable backends, capacity below the traffic, tiny queues, short timeouts')
    .argument('<config>', 'scenario file (YAML or JSON), or a proxy configuration: haproxy.cfg, nginx.conf (or an Envoy cluster with --cluster)')
    .option('--backend <name>', 'haproxy.cfg: the backend (or listen) section to check')
    .option('--upstream <name>', 'nginx.conf: the upstream block to check')
    .option('--cluster <name>', 'Envoy: the cluster to check (makes a YAML/JSON file an Envoy configuration)')
    .option('--strict', 'exit 1 on warnings too')
    .addOption(new Option('--format <format>', 'output').choices(['text', 'json']).default('text'))
    .action(async (file: string, opts: { strict?: boolean; format: 'text' | 'json'; backend?: string; upstream?: string; cluster?: string }) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new LbsimError(code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE', `${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read: ${(e as Error).message}`}`);
      }
      const ext = extname(file).toLowerCase();
      if (ext === '.cfg' || ext === '.conf' || opts.cluster !== undefined) {
        const selector = { ...(opts.backend ? { backend: opts.backend } : {}), ...(opts.upstream ? { upstream: opts.upstream } : {}), ...(opts.cluster ? { cluster: opts.cluster } : {}) };
        const v = validateProxyText(text, file, selector);
        const notes = v.notes.map((n) => `note: ${n}\n`).join('');
        await emit(opts.format === 'json' ? `${JSON.stringify(v, null, 2)}\n` : `checked ${v.imported}\n${formatValidation(v)}${notes}`, undefined);
        if (v.errors > 0 || (opts.strict && v.warnings > 0)) process.exitCode = 1;
        return;
      }
      const v = validateText(text, file);
      await emit(opts.format === 'json' ? `${JSON.stringify(v, null, 2)}\n` : formatValidation(v), undefined);
      if (v.errors > 0 || (opts.strict && v.warnings > 0)) process.exitCode = 1;
    });
}
