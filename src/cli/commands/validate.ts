import { Command, Option } from 'commander';
import { classifyFile, readConfigText, selectBalancer } from '../../config-import/index.ts';
import { formatValidation, validateScenarioFile } from '../../workflows/validate.ts';
import { validateProxyText } from '../../workflows/validate-proxy.ts';
import { emit } from '../output.ts';

/** Exit codes: 0 clean, 1 errors (or warnings with --strict), 2 unreadable or ambiguous (from main). */
export function validateCommand(): Command {
  return new Command('validate')
    .description('check a balancer configuration statically, before any run: skewed or zero weights, unpickable backends, capacity below the traffic, tiny queues, short timeouts')
    .argument('<config>', 'scenario file (YAML or JSON), or a proxy configuration: haproxy.cfg, nginx.conf, Envoy cluster YAML/JSON (told apart by content)')
    .option('--backend <name>', 'proxy config: the HAProxy backend, nginx upstream or Envoy cluster to check (default: the only one)')
    .option('--upstream <name>', 'nginx.conf: the upstream block to check (same as --backend)')
    .option('--cluster <name>', 'Envoy: the cluster to check (same as --backend)')
    .option('--strict', 'exit 1 on warnings too')
    .addOption(new Option('--format <format>', 'output').choices(['text', 'json']).default('text'))
    .action(async (file: string, opts: { strict?: boolean; format: 'text' | 'json'; backend?: string; upstream?: string; cluster?: string }) => {
      const text = readConfigText(file);
      const name = opts.backend ?? opts.upstream ?? opts.cluster;
      // Told apart as run and diff tell them; a file that is none of them is exit 2, not "0 servers, ok".
      const kind = classifyFile(file, text);
      if (kind !== 'scenario') {
        const v = validateProxyText(text, file, selectBalancer(text, file, kind, name));
        const notes = v.notes.map((n) => `note: ${n}\n`).join('');
        await emit(opts.format === 'json' ? `${JSON.stringify(v, null, 2)}\n` : `checked ${v.imported}\n${formatValidation(v)}${notes}`, undefined);
        if (v.errors > 0 || (opts.strict && v.warnings > 0)) process.exitCode = 1;
        return;
      }
      const v = await validateScenarioFile(file, text);
      await emit(opts.format === 'json' ? `${JSON.stringify(v, null, 2)}\n` : formatValidation(v), undefined);
      if (v.errors > 0 || (opts.strict && v.warnings > 0)) process.exitCode = 1;
    });
}
