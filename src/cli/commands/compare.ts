import { Command, Option } from 'commander';
import { checkPriorityLevels } from '../../balancers/envoy/priority-set.ts';
import { loadBalancerModule } from '../../balancers/registry.ts';
import { isLbsimError, LbsimError } from '../../errors.ts';
import { loadScenario } from '../../scenario/load.ts';
import { type Alternative, compare, COMPARE_DEFAULTS } from '../../workflows/compare.ts';
import { formatComparisonJson, formatComparisonMarkdown, formatComparisonText } from '../../workflows/compare-format.ts';
import { probeBalancer } from '../../simulation-setup.ts';
import { parseOptionValues, withAlgorithm, withOption } from '../../workflows/variants.ts';
import type { CliContext } from '../context.ts';
import { addClusterOptions, type ClusterFlags, clusterOf } from '../cluster.ts';
import { shouldUseTui } from '../tui.ts';
import { addThreadsOption, parsePositiveInt, parseSeed } from '../options.ts';
import { checkOutputNotInput, emit } from '../output.ts';
import { scenarioInputs } from '../inputs.ts';

type Format = 'text' | 'json' | 'markdown';

export function compareCommand(ctx: CliContext): Command {
  return addThreadsOption(addClusterOptions(new Command('compare')))
    .description('run the same traffic through several algorithms (or scenario files) and compare them with 95% confidence intervals')
    .argument('<scenario...>', 'one scenario with --algorithms, or several scenario files to compare')
    .option('--algorithms <list>', 'comma-separated algorithms to run the scenario(s) through (see `lbsim algorithms`)')
    .option('--set <key=values>', 'run each alternative with balancer option KEY at each of the comma-separated values (`default` leaves it out), e.g. hash_balance_factor=default,125,150; repeat for every combination', (v: string, all: string[] | undefined) => [...(all ?? []), v])
    .option('--replications <n>', `independent replications per alternative (seeds seed..seed+n-1, the same for all)`, parsePositiveInt, COMPARE_DEFAULTS.replications)
    .option('--seed <n>', 'first seed (default: the first scenario’s)', parseSeed)
    .addOption(new Option('--format <format>', 'output').choices(['text', 'json', 'markdown']).default('text'))
    .option('-o, --out <file>', 'write the output to a file (atomically) instead of stdout')
    .option('--no-tui', 'never open the terminal comparison view')
    .action(async (files: string[], opts: { algorithms?: string; set?: string[]; replications: number; seed?: number; format: Format; out?: string; tui: boolean } & ClusterFlags & { threads?: number }) => {
      checkOutputNotInput(opts.out, files);
      const scenarios = await Promise.all(files.map((f) => loadScenario(f)));
      const algorithms = opts.algorithms
        ?.split(',')
        .map((a) => a.trim())
        .filter((a) => a !== '');
      if (algorithms !== undefined && algorithms.length === 0) throw new LbsimError('USAGE', '--algorithms: expected a comma-separated list such as round-robin,least-connections');
      let alternatives: Alternative[] = [];
      for (const [i, s] of scenarios.entries()) {
        const name = scenarios.length > 1 ? files[i]! : s.name;
        if (algorithms === undefined) alternatives.push({ label: scenarios.length > 1 ? name : s.balancer.algorithm, scenario: s });
        else for (const a of algorithms) alternatives.push({ label: scenarios.length > 1 ? `${name} · ${a}` : a, scenario: withAlgorithm(s, a) });
      }
      // --set KEY=V1,V2 (repeatable): each alternative once per value of each option, every combination.
      const sets = (opts.set ?? []).map(parseOptionValues);
      for (const set of sets) {
        const labelled = alternatives.length > 1 || set !== sets[0];
        alternatives = alternatives.flatMap((a) =>
          set.values.map((v) => ({ label: `${labelled ? `${a.label} · ` : ''}${set.key}=${v === undefined ? 'default' : String(v)}`, scenario: withOption(a.scenario, set.key, v) })),
        );
      }
      if (alternatives.length < 2) throw new LbsimError('USAGE', 'nothing to compare: give --algorithms a,b, --set KEY=V1,V2, or two or more scenario files');
      checkOutputNotInput(opts.out, alternatives.flatMap((a) => scenarioInputs(a.scenario)));
      // An unknown algorithm, or one without the scenario's Envoy priority levels, is bad input: say so before any run starts.
      for (const a of alternatives) {
        const module = await loadBalancerModule(a.scenario.balancer.algorithm, a.scenario.baseDir).catch((e: unknown) => {
          // The name came from --algorithms, not from a scenario line: say where to fix it.
          throw opts.algorithms !== undefined && isLbsimError(e) && e.code === 'BALANCER_UNKNOWN' ? new LbsimError(e.code, `--algorithms: ${e.message}`, { cause: e }) : e;
        });
        try {
          checkPriorityLevels(a.scenario.backends, module);
        } catch (e) {
          throw opts.algorithms !== undefined && isLbsimError(e) ? new LbsimError(e.code, `--algorithms: ${a.scenario.balancer.algorithm}: ${e.message}`, { cause: e }) : e;
        }
        // A value --set gives that the algorithm refuses (hash_balance_factor=99): said before any run, naming --set.
        if (sets.length > 0) {
          try {
            probeBalancer(a.scenario, module, a.scenario.seed);
          } catch (e) {
            throw isLbsimError(e) ? new LbsimError(e.code, `--set: ${a.label}: ${e.message}`, { cause: e }) : e;
          }
        }
      }
      const cluster = clusterOf(opts, ctx);
      const started = performance.now();
      const result = await compare(alternatives, {
        ...(cluster === undefined ? {} : { cluster }),
        ...(opts.threads === undefined ? {} : { threads: opts.threads }),
        replications: opts.replications,
        ...(opts.seed === undefined ? {} : { seed: opts.seed }),
        signal: ctx.signal,
      });
      ctx.info(`compared ${alternatives.length} alternatives × ${opts.replications} replications in ${((performance.now() - started) / 1000).toFixed(2)} s`);
      const text = opts.format === 'json' ? formatComparisonJson(result) : opts.format === 'markdown' ? formatComparisonMarkdown(result) : formatComparisonText(result);
      // A person at a terminal gets the comparison view (first replication of each) until q; the table follows in the scrollback.
      if (opts.out === undefined && shouldUseTui({ tui: opts.tui, format: opts.format })) {
        // Loaded only here: ink and React cost every other invocation ~0.2 s of start-up.
        const { showComparison } = await import('../../ui/comparison.tsx');
        await showComparison(
          result.reports,
          result.alternatives.map((a) => a.label),
        );
      }
      await emit(text, opts.out);
    });
}
