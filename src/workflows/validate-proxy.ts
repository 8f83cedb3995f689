/**
 * `lbsim validate` on a real proxy's configuration (haproxy.cfg, nginx.conf, an Envoy
 * cluster): the checks that need no traffic — weights that concentrate the load, all
 * weights zero, servers that can never be picked — on what importBalancerConfig reads.
 * Capacity checks need traffic and backend models: put the config in a scenario
 * (`balancer: { from: haproxy.cfg, backend: api }`) and validate that.
 */
import { importBalancerText, simulatedWeight, type ImportedBalancer, type ImportSelector } from '../config-import/index.ts';
import { ENVOY_OVERPROVISIONING_DEFAULT } from '../balancers/envoy/priority-set.ts';
import { pinnedQueueWarning, VALIDATE_DEFAULTS, type Finding, type Validation } from './validate.ts';

export function validateProxyText(text: string, file: string, selector: ImportSelector): Validation & { notes: string[]; imported: string } {
  const imp: ImportedBalancer = importBalancerText(text, file, selector);
  const lines = text.split('\n');
  // A server's own line (and file, from an nginx include) when the importer kept it (HAProxy, nginx); else (Envoy) the first line naming it (server name or address).
  const lineOf = (s: { name: string; address: string; line?: number }) => {
    if (s.line !== undefined) return s.line;
    const i = lines.findIndex((l) => !/^\s*#/.test(l) && (new RegExp(`\\bserver\\s+${esc(s.name)}\\b`).test(l) || l.includes(s.address)));
    return i < 0 ? null : i + 1;
  };
  const findings: Finding[] = [];
  const add = (severity: Finding['severity'], s: ImportedBalancer['servers'][number], field: string, message: string) =>
    findings.push({ severity, field: `${s.name}.${field}`, line: lineOf(s), ...(s.file === undefined ? {} : { file: s.file }), message });
  // Steady-state shares: a backup takes no traffic while a primary is up, nor an Envoy
  // endpoint below the highest priority level that has endpoints.
  const top = Math.min(...imp.servers.map((s) => s.priority ?? 0));
  const below = (s: ImportedBalancer['servers'][number]) => (s.priority ?? 0) > top;
  const weights = imp.servers.map((s) => (s.backup || below(s) ? 0 : simulatedWeight(s)));
  const total = weights.reduce((a, b) => a + b, 0);
  if (imp.servers.length === 0) findings.push({ severity: 'error', field: imp.name, line: null, message: `${imp.name} has no servers: every request would be rejected` });
  else if (total === 0) findings.push({ severity: 'error', field: imp.name, line: null, message: `every server of ${imp.name} has weight 0, is down or a backup: no server can ever be picked` });
  const factor = Number(imp.options.overprovisioning_factor ?? ENVOY_OVERPROVISIONING_DEFAULT);
  imp.servers.forEach((s, i) => {
    if (weights[i] === 0 && !s.down && below(s)) {
      add('warning', s, 'priority', `${s.name} is on priority ${s.priority}: it takes traffic only when the levels above it cannot take it all (Envoy spills over once a level has fewer than ${(10000 / factor).toFixed(1)}% of its hosts healthy, overprovisioning factor ${factor})`);
    } else if (weights[i] === 0) add('warning', s, s.down ? 'down' : s.backup ? 'backup' : 'weight', `${s.name} is ${s.down ? 'marked down' : s.backup ? 'a backup' : 'weight 0'}: it takes no traffic while the others are up`);
  });
  const pickable = weights.filter((w) => w > 0);
  if (pickable.length >= 3 && total > 0) {
    const top = weights.indexOf(Math.max(...weights));
    const others = weights.filter((w, i) => w > 0 && i !== top).sort((a, b) => a - b);
    const median = others[Math.floor(others.length / 2)]!;
    const share = weights[top]! / total;
    const ratio = weights[top]! / median;
    if (share > VALIDATE_DEFAULTS.maxShare || ratio >= 10) {
      add('warning', imp.servers[top]!, 'weight', `${imp.servers[top]!.name} gets ${(share * 100).toFixed(0)}% of the traffic (weight ${weights[top]}, the others' median is ${median})${ratio >= 10 ? `: ${ratio.toFixed(0)}× its peers — a typo?` : ''}`);
    }
  }
  // Pinned clients of a server whose queue is full get a 503 without `option redispatch` (srv_redispatch_connect).
  if (imp.settings.persistence !== undefined && imp.settings.redispatch === undefined) {
    const capped = imp.servers.filter((s) => s.maxqueue !== undefined && s.maxqueue > 0 && s.maxconn !== undefined && s.maxconn > 0);
    if (capped.length > 0) add('warning', capped[0]!, 'maxqueue', pinnedQueueWarning(capped.map((s) => s.name), '; option redispatch would balance them afresh'));
  }
  // The main file's findings first, in line order, then each included file's.
  findings.sort((a, b) => byFile(a.file ?? '', b.file ?? '') || (a.line ?? 0) - (b.line ?? 0));
  return {
    file,
    findings,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    notes: imp.warnings,
    imported: `${imp.kind} ${imp.name}: ${imp.algorithm}${imp.settings.persistence === undefined ? '' : ' with persistence'}, ${imp.servers.length} server${imp.servers.length === 1 ? '' : 's'}`,
  };
}

const byFile = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
