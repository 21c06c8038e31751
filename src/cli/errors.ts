/**
 * The errors a command may throw for bad input or usage (exit 2), kept apart from
 * bugs (exit 3): the CLI prints their message alone, without a stack.
 */
import { FileNotFoundError } from '../engine/replay.ts';
import { OutputError } from '../io/write-file.ts';
import { ProfileError } from '../models/index.ts';
import { CorpusError } from '../io/corpus.ts';
import { DaxInputError } from '../io/dax-file.ts';

/** Bad usage or a bad option value: printed as its message, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Bad lines of an input file: each printed as `file:line:column CODE message`, exit 2. */
export class InputIssues extends Error {
  override readonly name = 'InputIssues';
  readonly lines: readonly string[];
  constructor(lines: readonly string[]) {
    super(lines.join('\n'));
    this.lines = lines;
  }
}

/** True for errors that mean bad input or usage, as opposed to bugs. */
export function isInputError(e: unknown): e is Error {
  return (
    e instanceof UsageError ||
    e instanceof InputIssues ||
    e instanceof FileNotFoundError ||
    e instanceof ProfileError ||
    e instanceof OutputError ||
    e instanceof CorpusError ||
    e instanceof DaxInputError
  );
}

/** yargs' own validation messages, after which a pointer to --help helps. */
export function isYargsUsage(e: Error): boolean {
  return e instanceof UsageError && /^(Unknown argument|Not enough|Invalid values|give a command|Missing required|Did you mean)/.test(e.message);
}
