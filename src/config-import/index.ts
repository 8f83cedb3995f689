/**
 * Importing a real proxy's configuration: `importBalancerConfig(file, selector)` reads an
 * haproxy.cfg (selector `backend`), nginx.conf (`upstream`) or Envoy cluster YAML/JSON
 * (`cluster`) and returns what it says about one balancer (see types.ts), with a warning
 * for everything it did not understand or that lbsim does not simulate yet. `lbsim diff`
 * and `validate` call it on config files directly; scenarios use it through
 * `balancer: { from: FILE, backend|upstream|cluster: NAME }` (applyImport below).
 *
 * The kind of file is told by its content (detectFile), and only by positive evidence: an
 * `upstream NAME {` block is nginx, a `backend`/`listen` section with `server` lines
 * HAProxy, a YAML/JSON document with clusters (`clusters:`, a bootstrap's
 * `static_resources`, or a Cluster — alone or listed — with load_assignment, lb_policy and
 * the like) Envoy, and a mapping with `backends` plus `traffic` or `balancer` (or, failing
 * Envoy's signs, any scenario field) an lbsim scenario. A file showing none of these is
 * none of them (classifyFile says so), whatever its extension: a text report or an empty
 * file is not a configuration with zero servers. The extension only breaks one tie: YAML
 * that does not parse, in a .yaml/.yml/.json file, is taken for a scenario, so its syntax
 * errors are reported as `run` reports them.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'yaml';
import { fileReadError, LbsimError } from '../errors.ts';
import { clustersOf, importEnvoy, isEnvoyDocument } from './envoy.ts';
import { importHaproxy } from './haproxy.ts';
import { importNginx, nginxUpstreamNames } from './nginx.ts';
import type { ImportedBalancer, ImportSelector, ProxyKind } from './types.ts';

export type { ImportedBalancer, ImportedServer, ImportSelector, ProxyKind } from './types.ts';

/** What a file given on the command line is: a proxy configuration or an lbsim scenario. */
export type FileKind = ProxyKind | 'scenario';

/** Text without `#` comments (HAProxy and nginx both use them), for content detection. */
const uncommented = (text: string) => text.replace(/#[^\n]*/g, '');
const HAPROXY_SECTION = /^\s*(backend|listen)\s+\S+/m;
const NGINX_UPSTREAM = /\bupstream\s+[^\s{;]+\s*\{/;
/** An nginx main file whose upstreams are all in included files (`http { include conf.d/*.conf; }`) still shows its `http`/`events` blocks. */
const NGINX_MAIN = /(^|[\s;{}])(http|events)\s*\{/;

/** What yamlDocument returns for text that is not YAML at all. */
const BROKEN_YAML = Symbol('broken YAML');

function yamlDocument(text: string): unknown {
  try {
    return parse(text);
  } catch {
    return BROKEN_YAML;
  }
}

/** True for a YAML/JSON mapping that reads as an lbsim scenario (backends, plus traffic or balancer). */
function isScenarioDocument(doc: unknown): boolean {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false;
  const d = doc as Record<string, unknown>;
  return 'backends' in d && ('traffic' in d || 'balancer' in d);
}

/** Top-level fields only a scenario has (not `name`: Envoy clusters and much else have one), for a scenario with parts missing. */
const SCENARIO_FIELDS = ['traffic', 'balancer', 'backends', 'duration', 'warmup', 'timeout', 'seed', 'slo', 'report', 'start'];
const hasScenarioField = (doc: unknown) => typeof doc === 'object' && doc !== null && !Array.isArray(doc) && SCENARIO_FIELDS.some((k) => k in doc);

/**
 * What a file is by its content (see above): a proxy configuration, a scenario, or
 * undefined when it shows no sign of any.
 */
export function detectFile(file: string, text: string): FileKind | undefined {
  const bare = uncommented(text);
  if (NGINX_UPSTREAM.test(bare) || NGINX_MAIN.test(bare)) return 'nginx';
  if (HAPROXY_SECTION.test(bare) && balancerNames(text, 'haproxy').length > 0) return 'haproxy';
  const doc = yamlDocument(text);
  if (isScenarioDocument(doc)) return 'scenario';
  if (isEnvoyDocument(doc)) return 'envoy';
  if (hasScenarioField(doc)) return 'scenario';
  if (doc === BROKEN_YAML && /\.(ya?ml|json)$/i.test(file)) return 'scenario';
  return undefined;
}

/**
 * detectFile for a command that takes a scenario or a proxy configuration: a file that is
 * neither is a USAGE error (exit 2) saying what was expected.
 */
export function classifyFile(file: string, text: string): FileKind {
  const kind = detectFile(file, text);
  if (kind !== undefined) return kind;
  throw new LbsimError(
    'USAGE',
    `${file}: ${text.trim() === '' ? 'the file is empty' : 'not a file lbsim reads'}: expected a scenario (backends plus traffic or balancer), an HAProxy configuration (a backend or listen section with server lines), an nginx one (upstream NAME { server ...; }) or an Envoy cluster (clusters:, or a cluster with load_assignment or lb_policy)`,
  );
}

/**
 * The kind of a proxy configuration named where one belongs (`balancer.from`): by content,
 * else by the extension (.cfg HAProxy, .conf nginx, otherwise Envoy), so the importer then
 * says what is missing.
 */
export function detectKind(file: string, text: string): ProxyKind {
  const kind = detectFile(file, text);
  if (kind !== undefined && kind !== 'scenario') return kind;
  const ext = extname(file).toLowerCase();
  return ext === '.cfg' ? 'haproxy' : ext === '.conf' ? 'nginx' : 'envoy';
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
  // nginx: with its includes followed (an upstream may be in an included file).
  const names = kind === 'nginx' ? nginxUpstreamNames(text, file) : balancerNames(text, kind);
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
