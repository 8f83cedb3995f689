import { Command } from 'commander';
import { BUILTIN_BALANCERS } from '../../balancers/registry.ts';

export function algorithmsCommand(): Command {
  return new Command('algorithms').description('list the balancing algorithms').action(() => {
    const w = Math.max(...[...BUILTIN_BALANCERS.keys()].map((k) => k.length));
    for (const m of BUILTIN_BALANCERS.values()) process.stdout.write(`${m.name.padEnd(w)}  ${m.description}\n`);
  });
}
