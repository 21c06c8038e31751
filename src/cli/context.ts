/**
 * What a command needs from the outside world, passed in rather than reached for,
 * so commands run the same under the bin entry and in tests: where text goes, and
 * how the command reports its exit code (0 clean, 1 findings, 2 bad input or usage).
 */
import { UsageError } from './errors.ts';

/** Exit codes of every command. */
export const EXIT = {
  /** No findings. */
  ok: 0,
  /** Findings (or, for diff/check, divergences). */
  findings: 1,
  /** Bad input or usage: unknown flag, missing file, unparsable line, bad value. */
  usage: 2,
  /** An internal error (a bug in dax-refsim). */
  internal: 3,
} as const;

/**
 * The status of a program a command ran, passed through unchanged (`record` exits with
 * its workload's status): any 0–255, not only the codes above.
 */
export type ChildStatus = number & { readonly childStatus: true };

/** An exit code. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT] | ChildStatus;

/** Marks a child program's exit status as an {@link ExitCode}. */
export function childStatus(status: number): ChildStatus {
  return status as ChildStatus;
}

/** The streams a command writes to. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** A command's view of the run. */
export interface CliContext {
  readonly io: CliIo;
  /** Sets the process's exit code (the last call wins). */
  exit(code: ExitCode): void;
}

/** Parses a pfn given as `0x…` hex or decimal; throws UsageError naming the flag otherwise. */
export function parsePfnArg(flag: string, text: string): number {
  const t = text.trim();
  const n = /^0x[0-9a-f]+$/i.test(t) ? Number(t) : /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${flag} ${text}: expected a pfn (0x… hex or decimal)`);
  return n;
}
