/** What every command gets from main: cancellation and a channel for wall-clock notes (stderr). */
export interface CliContext {
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM. */
  signal: AbortSignal;
  /** A note for people on stderr; silenced by --quiet. */
  info(message: string): void;
}
