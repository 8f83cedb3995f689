/**
 * Importing a real proxy's configuration: `importBalancerConfig(file, selector)` reads an
 * haproxy.cfg (selector `backend`), nginx.conf (`upstream`) or Envoy cluster YAML/JSON
 * (`cluster`) and returns what it says about one balancer (see types.ts), with a warning
 * for everything it did not understand or that lbsim does not simulate yet. `lbsim diff`
 * and `validate` call it on config files directly; scenarios use it through
 * `balancer: { from: FILE, backend|upstream|cluster: NAME }` (applyImport below).
 *
 * The kind of file is told by its content first (detectFile): an `upstream NAME {` block
 * is nginx, a `backend`/`listen` section HAProxy, a YAML/JSON document with clusters (a
 * Cluster, a list, `clusters:` or a bootstrap's `static_resources`) Envoy, and one with
 * `backends` plus `traffic` or `balancer` an lbsim scenario; only a file that says none
 * of these falls back to its extension (`.cfg` HAProxy, `.conf` nginx, `.yaml`/`.yml`/
 * `.json` Envoy).
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'yaml';
import { fileReadError, LbsimError } from '../errors.ts';
import { clustersOf, importEnvoy } from './envoy.ts';
import { importHaproxy } from './haproxy.ts';
import { importNginx } from './nginx.ts';
import type { ImportedBalancer, ImportSelector, ProxyKind } from './types.ts';

export type { ImportedBalancer, ImportedServer, ImportSelector, ProxyKind } from './types.ts';

/** What a file given on the command line is: a proxy configuration or an lbsim scenario. */
export type FileKind = ProxyKind | 'scenario';

/** Text without `#` comments (HAProxy and nginx both use them), for content detection. */
const uncommented = (text: string) => text.replace(/#[^\n]*/g, '');
const HAPROXY_SECTION = /^\s*(backend|listen)\s+\S+/m;
const NGINX_UPSTREAM = /\bupstream\s+[^\s{;]+\s*\{/;

function yamlDocument(text: string): unknown {
  try {
    return parse(text);
  } catch {
    return undefined;
  }
}

/** True for a YAML/JSON mapping that reads as an lbsim scenario (backends, plus traffic or balancer). */
function isScenarioDocument(doc: unknown): boolean {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false;
  const d = doc as Record<string, unknown>;
  return 'backends' in d && ('traffic' in d || 'balancer' in d);
}

/** Tells a proxy configuration from a scenario by content (see above); the extension only breaks a tie. */
export function detectFile(file: string, text: string): FileKind {
  const bare = uncommented(text);
  if (NGINX_UPSTREAM.test(bare)) return 'nginx';
  if (HAPROXY_SECTION.test(bare)) return 'haproxy';
  const doc = yamlDocument(text);
  if (isScenarioDocument(doc)) return 'scenario';
  if (clustersOf(doc).length > 0) return 'envoy';
  const ext = extname(file).toLowerCase();
  if (ext === '.cfg') return 'haproxy';
  if (ext === '.conf') return 'nginx';
  if (ext === '.yaml' || ext === '.yml' || ext === '.json') return 'envoy';
  return 'envoy';
}

/** The kind of a proxy configuration (a scenario-looking file is read as Envoy: the importer then says what is missing). */
export function detectKind(file: string, text: string): ProxyKind {
  const kind = detectFile(file, text);
  return kind === 'scenario' ? 'envoy' : kind;
}

/** What the proxy calls the part `--backend` selects. */
export const SECTION_WORD: Record<ProxyKind, string> = { haproxy: 'backend', nginx: 'upstream', envoy: 'cluster' };

/**
 * The names of the balancers a configuration defines, in file order: HAProxy backend and
 * listen sections with at least one `server` line, nginx upstream blocks, Envoy clusters.
 */
export function balancerNames(text: string, kind: ProxyKind): string[] {
  if (kind === 'envoy') return clustersOf(yamlDocument(text)).map((c) => String(c.name ?? ''));
  const bare = uncommented(text);
  if (kind === 'nginx') return [...bare.matchAll(/\bupstream\s+([^\s{;]+)\s*\{/g)].map((m) => m[1]!);
  const names: string[] = [];
  let section: string | undefined;
  for (const line of bare.split('\n')) {
    const head = /^\s*(global|defaults|frontend|backend|listen|peers|resolvers|userlist|program|cache|mailers|http-errors|ring)\b\s*(\S*)/.exec(line);
    if (head) section = head[1] === 'backend' || head[1] === 'listen' ? head[2] : undefined;
    else if (section !== undefined && /^\s*server\s/.test(line) && !names.includes(section)) names.push(section);
  }
  return names;
}

/**
 * The selector for the balancer named `name`, or for the file's only one. With several
 * and no name, a USAGE error (exit 2) lists them, for a command's `--backend NAME`.
 */
export function selectBalancer(text: string, file: string, kind: ProxyKind, name: string | undefined): ImportSelector {
  const key = SECTION_WORD[kind] as keyof ImportSelector;
  if (name !== undefined) return { [key]: name };
  const names = balancerNames(text, kind);
  if (names.length > 1) throw new LbsimError('USAGE', `${file}: ${names.length} ${key}s (${names.join(', ')}); choose one with --backend NAME`);
  return names.length === 1 ? { [key]: names[0]! } : {};
}

/** Parses config text already read (for tests and callers that hold the text). */
export function importBalancerText(text: string, file: string, selector: ImportSelector = {}, kind = detectKind(file, text)): ImportedBalancer {
  const wrong = (key: keyof ImportSelector, expected: string) => {
    if (selector[key] !== undefined) throw new LbsimError('SCENARIO_INVALID', `balancer.${key}: ${file} is ${kind === 'haproxy' ? 'an HAProxy' : kind === 'nginx' ? 'an nginx' : 'an Envoy'} configuration; select with balancer.${expected}`);
  };
  if (kind === 'haproxy') {
    wrong('upstream', 'backend');
    wrong('cluster', 'backend');
    return importHaproxy(text, file, selector.backend);
  }
  if (kind === 'nginx') {
    wrong('backend', 'upstream');
    wrong('cluster', 'upstream');
    return importNginx(text, file, selector.upstream);
  }
  wrong('backend', 'cluster');
  wrong('upstream', 'cluster');
  return importEnvoy(text, file, selector.cluster);
}

/** A configuration file's text; a missing or unreadable file is an LbsimError (exit 2). */
export function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw fileReadError(file, e);
  }
}

/** Reads and imports one balancer from a proxy configuration file. Throws LbsimError (exit 2). */
export function importBalancerConfig(file: string, selector: ImportSelector = {}): ImportedBalancer {
  return importBalancerText(readConfigText(file), file, selector);
}

/**
 * The weight a backend gets from an imported server: its configured weight, or 0 when it
 * is administratively down. A backup keeps its weight: the engine hides it while a
 * primary is usable (src/engine/server-health.ts).
 */
export function simulatedWeight(s: { weight: number; down?: boolean }): number {
  return s.down ? 0 : s.weight;
}
