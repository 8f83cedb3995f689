/**
 * Importing a real proxy's configuration: `importBalancerConfig(file, selector)` reads an
 * haproxy.cfg (selector `backend`), nginx.conf (`upstream`) or Envoy cluster YAML/JSON
 * (`cluster`) and returns what it says about one balancer (see types.ts), with a warning
 * for everything it did not understand or that lbsim does not simulate yet. `lbsim diff`
 * and `validate` call it on config files directly; scenarios use it through
 * `balancer: { from: FILE, backend|upstream|cluster: NAME }` (applyImport below).
 *
 * The kind of file: `.cfg` HAProxy, `.conf` nginx, `.yaml`/`.yml`/`.json` Envoy; any
 * other name is recognised by its content (a `backend`/`listen` line, an `upstream`
 * block, or a YAML document).
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { LbsimError } from '../errors.ts';
import { importEnvoy } from './envoy.ts';
import { importHaproxy } from './haproxy.ts';
import { importNginx } from './nginx.ts';
import type { ImportedBalancer, ImportSelector, ProxyKind } from './types.ts';

export type { ImportedBalancer, ImportedServer, ImportSelector, ProxyKind } from './types.ts';

export function detectKind(file: string, text: string): ProxyKind {
  const ext = extname(file).toLowerCase();
  if (ext === '.cfg') return 'haproxy';
  if (ext === '.conf') return 'nginx';
  if (ext === '.yaml' || ext === '.yml' || ext === '.json') return 'envoy';
  if (/^\s*(backend|listen)\s+\S+/m.test(text)) return 'haproxy';
  if (/\bupstream\s+\S+\s*\{/.test(text)) return 'nginx';
  return 'envoy';
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

/** Reads and imports one balancer from a proxy configuration file. Throws LbsimError (exit 2). */
export function importBalancerConfig(file: string, selector: ImportSelector = {}): ImportedBalancer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LbsimError(code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE', `${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read: ${(e as Error).message}`}`);
  }
  return importBalancerText(text, file, selector);
}

/**
 * The weight a backend gets from an imported server: its configured weight, or 0 when it
 * is administratively down or a backup (lbsim does not yet switch to backups when every
 * primary is down, so a backup takes no traffic rather than a primary's share).
 */
export function simulatedWeight(s: { weight: number; down?: boolean; backup?: boolean }): number {
  return s.down || s.backup ? 0 : s.weight;
}
