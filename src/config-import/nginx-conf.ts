/**
 * nginx.conf text → directives (words up to `;`) and blocks (`{ ... }`), comments dropped,
 * quotes kept, with `include` followed as nginx 1.22 follows it (ngx_conf_include,
 * src/core/ngx_conf_file.c): the included file's directives take the include's place, in
 * any context (an upstream's servers may come from one). A relative path is relative to
 * the configuration prefix, which is the directory of the main file (`nginx -c FILE`), not
 * of the file holding the include. A `*` in the last path segment is a glob: the matching
 * files in sorted order (glob(3) sorts; `*` skips names starting with '.'), and no match is
 * no error (nginx's glob test). A file nginx cannot open is an error naming the include's
 * FILE:LINE, as is an include cycle (nginx would recurse until it runs out of files).
 * Every directive keeps the file and line it was read from.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileReadError, LbsimError } from '../errors.ts';

export interface Directive {
  name: string;
  args: string[];
  /** The file it was read from, as the user would name it (an included file: the prefix joined with the include's path). */
  file: string;
  line: number;
  block?: Directive[];
}

/** Parses the main file `file` (text given) and every file it includes. `notes` gets what nginx accepts but the user may not expect. */
export function parseNginxConf(text: string, file: string, notes: string[]): Directive[] {
  const prefix = dirname(file);
  const expand = (ds: Directive[], stack: string[]): Directive[] => {
    const out: Directive[] = [];
    for (const d of ds) {
      if (d.name !== 'include') {
        if (d.block) d.block = expand(d.block, stack);
        out.push(d);
        continue;
      }
      const at = `${d.file}:${d.line}`;
      if (d.args.length !== 1 || d.block) throw new LbsimError('PARSE_ERROR', `${at}: include: expected one file name and ';' (nginx refuses to start: invalid number of arguments)`);
      const arg = d.args[0]!;
      const path = isAbsolute(arg) ? arg : join(prefix, arg);
      for (const f of includedFiles(path, at, arg, notes)) {
        const abs = resolve(f);
        if (stack.includes(abs)) throw new LbsimError('PARSE_ERROR', `${at}: include ${arg}: ${f} includes itself (${[...stack, abs].map((s) => basename(s)).join(' → ')}); nginx cannot load an include cycle`);
        let inner: string;
        try {
          inner = readFileSync(f, 'utf8');
        } catch (e) {
          const err = fileReadError(f, e);
          throw new LbsimError(err.code, `${at}: include ${arg}: ${err.message} (nginx refuses to start: open() failed)`, { cause: e });
        }
        out.push(...expand(parseText(inner, f), [...stack, abs]));
      }
    }
    return out;
  };
  return expand(parseText(text, file), [resolve(file)]);
}

/** The files an include names: the path itself, or the sorted matches of a `*` in its last segment. */
function includedFiles(path: string, at: string, arg: string, notes: string[]): string[] {
  const dir = dirname(path);
  const last = basename(path);
  if (/[*?[]/.test(dir) || /[?[]/.test(last)) {
    throw new LbsimError('PARSE_ERROR', `${at}: include ${arg}: the importer follows a '*' in the file name only (not in a directory, nor '?' or '['); include the files one by one`);
  }
  if (!last.includes('*')) return [path];
  const re = new RegExp(`^${last.split('*').map((s) => s.replace(/[.+^${}()|\\\]]/g, '\\$&')).join('[^/]*')}$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    names = [];
  }
  const files = names
    .filter((n) => re.test(n) && (!n.startsWith('.') || last.startsWith('.')))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((n) => join(dir, n));
  for (const f of files) {
    if (isDirectory(f)) throw new LbsimError('PARSE_ERROR', `${at}: include ${arg}: ${f} is a directory (nginx refuses to start: it reads every match as a file)`);
  }
  if (files.length === 0) notes.push(`${at}: include ${arg} matches no file here (nginx accepts an empty match); if the upstream's servers are there, copy those files beside the config`);
  return files;
}

function isDirectory(f: string): boolean {
  try {
    return statSync(f).isDirectory();
  } catch {
    return false; // gone since readdir: reading it reports it
  }
}

function parseText(text: string, file: string): Directive[] {
  const tokens: { t: string; line: number }[] = [];
  let line = 1;
  const re = /\n|#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|([^\s{};"'#]+)|[ \t\r]+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0] === '\n') line++;
    else if (m[1] !== undefined || m[2] !== undefined) tokens.push({ t: m[1] ?? m[2]!, line });
    else if (m[3] !== undefined || m[4] !== undefined) tokens.push({ t: m[3] ?? m[4]!, line });
  }
  let i = 0;
  const block = (depth: number): Directive[] => {
    const out: Directive[] = [];
    while (i < tokens.length) {
      const tok = tokens[i]!;
      if (tok.t === '}') {
        if (depth === 0) throw new LbsimError('PARSE_ERROR', `${file}:${tok.line}: unexpected '}'`);
        i++;
        return out;
      }
      const d: Directive = { name: tok.t, args: [], file, line: tok.line };
      i++;
      while (i < tokens.length && tokens[i]!.t !== ';' && tokens[i]!.t !== '{' && tokens[i]!.t !== '}') d.args.push(tokens[i++]!.t);
      const end = tokens[i];
      if (end === undefined) throw new LbsimError('PARSE_ERROR', `${file}:${d.line}: '${d.name}' is not terminated by ';' or '{'`);
      if (end.t === ';') i++;
      else if (end.t === '{') {
        i++;
        d.block = block(depth + 1);
      } else throw new LbsimError('PARSE_ERROR', `${file}:${d.line}: '${d.name}' is not terminated by ';'`);
      out.push(d);
    }
    if (depth > 0) throw new LbsimError('PARSE_ERROR', `${file}: unexpected end of file: a '{' is not closed`);
    return out;
  };
  return block(0);
}

/** Every directive, depth first, in file order. */
export function* walk(ds: Directive[]): Generator<Directive> {
  for (const d of ds) {
    yield d;
    if (d.block) yield* walk(d.block);
  }
}
