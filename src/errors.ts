/**
 * Every failure a user can cause is an LbsimError with a stable code. The CLI prints
 * `message` alone (never a stack) and exits with `exitCode`; anything else that escapes
 * is a bug in lbsim and is printed loudly with its stack.
 */
export type ErrorCode =
  | 'SCENARIO_INVALID' // the scenario file does not match the schema or is inconsistent
  | 'FILE_NOT_FOUND'
  | 'FILE_UNREADABLE'
  | 'PARSE_ERROR' // YAML/JSON/log syntax
  | 'BALANCER_UNKNOWN'
  | 'BALANCER_FAILED' // a (custom) balancer threw or returned a bad pick
  | 'TRACE_INVALID' // a .lbt file of another version, truncated or corrupted
  | 'USAGE' // bad CLI flags
  | 'WORKER_FAILED'
  | 'REDIS_UNREACHABLE' // --redis names a server that does not answer
  | 'CANCELLED';

export class LbsimError extends Error {
  readonly code: ErrorCode;
  /** Process exit code the CLI uses: 2 for bad input, 130 for cancellation. */
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LbsimError';
    this.code = code;
    this.exitCode = options?.exitCode ?? (code === 'CANCELLED' ? 130 : 2);
  }
}

export function isLbsimError(e: unknown): e is LbsimError {
  return e instanceof LbsimError || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'LbsimError' && typeof (e as { code?: unknown }).code === 'string');
}

/**
 * The error for a file a user named that cannot be opened or read (exit 2), saying why in
 * words to act on rather than as a syscall ("EISDIR: illegal operation on a directory").
 */
export function fileReadError(file: string, e: unknown): LbsimError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ENOENT' ? 'no such file'
    : code === 'EISDIR' ? 'is a directory, expected a file'
    : code === 'EACCES' || code === 'EPERM' ? 'cannot read: permission denied'
    : `cannot read: ${(e as Error).message}`;
  return new LbsimError(code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE', `${file}: ${why}`, { cause: e });
}
