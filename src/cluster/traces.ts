/**
 * How a trace reaches a worker on another machine: never through Redis (a week of
 * traffic is gigabytes), but by a path every worker can read (a shared filesystem mounted
 * at the same place) or a URL it can download (an object store's HTTP endpoint). The job
 * carries the coordinator's size and SHA-256 of the file, and the worker checks its copy
 * before running, so a stale or partial copy fails the job instead of skewing the report.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { LbsimError } from '../errors.ts';
import type { Task } from '../parallel/tasks.ts';

/** A trace a job needs: where the coordinator read it, where workers may fetch it, and what it must be. */
export interface TraceRef {
  /** The coordinator's absolute path (what the task's scenario names). */
  path: string;
  /** Where workers download it instead, if set. */
  url?: string;
  size: number;
  sha256: string;
}

/** The .lbt file a task replays, if any. */
export function traceOf(task: Task): string | undefined {
  const t = task.scenario.traffic;
  return t.kind === 'trace' ? t.file : undefined;
}

/** Size and SHA-256 of a file, read as a stream. */
export async function fingerprint(path: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      size += (chunk as Buffer).length;
      hash.update(chunk as Buffer);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LbsimError(code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE', `${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read: ${(e as Error).message}`}`);
  }
  return { size, sha256: hash.digest('hex') };
}

/** Checksums of files this worker has checked, by path, size and modification time. */
const checked = new Map<string, string>();

async function checkedFingerprint(path: string): Promise<{ size: number; sha256: string }> {
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new LbsimError('FILE_NOT_FOUND', `${path}: ${e.code === 'ENOENT' ? 'no such file on this worker (traces must be on a filesystem every worker mounts at the same path, or given with --trace-url)' : e.message}`);
  });
  const key = `${path}\0${st.size}\0${st.mtimeMs}`;
  let sha256 = checked.get(key);
  if (sha256 === undefined) {
    sha256 = (await fingerprint(path)).sha256;
    checked.set(key, sha256);
  }
  return { size: st.size, sha256 };
}

/**
 * The local path of a job's trace on this worker, checked against the coordinator's size
 * and checksum: the shared path itself, or the download from `ref.url` cached in `cacheDir`
 * under its checksum (downloaded once per worker).
 */
export async function localTrace(ref: TraceRef, cacheDir: string): Promise<string> {
  let path = ref.path;
  if (ref.url !== undefined) {
    path = join(cacheDir, `${ref.sha256}.lbt`);
    // Not cached yet (or unreadable): downloaded below, and checked either way.
    const have = await stat(path).catch(() => undefined);
    if (have === undefined || have.size !== ref.size) await download(ref.url, path);
  }
  const mine = await checkedFingerprint(path);
  if (mine.size !== ref.size || mine.sha256 !== ref.sha256) {
    // A bad download is not kept: the job's next attempt downloads again.
    if (ref.url !== undefined) await rm(path, { force: true });
    const what = mine.size !== ref.size ? `${mine.size} bytes, the coordinator's has ${ref.size}` : `SHA-256 ${mine.sha256.slice(0, 12)}…, the coordinator's is ${ref.sha256.slice(0, 12)}…`;
    throw new LbsimError('TRACE_INVALID', `${ref.url ?? ref.path}: this worker's copy of the trace differs from the coordinator's (${what})`);
  }
  return path;
}

/** Downloads to a temporary name, then renames: a crash never leaves a partial file under the final name. */
async function download(url: string, path: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new LbsimError('FILE_UNREADABLE', `${url}: cannot download the trace: ${(e as Error).message}`);
  }
  if (!response.ok || response.body === null) throw new LbsimError('FILE_UNREADABLE', `${url}: cannot download the trace: HTTP ${response.status}`);
  const temp = `${path}.${process.pid}.part`;
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(temp));
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
}

/** Where workers fetch a trace from under a base URL: `<base>/<file name>`. */
export function traceUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${encodeURIComponent(basename(path))}`;
}
