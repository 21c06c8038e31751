/**
 * The errors a command may throw for bad input or usage (exit 2), kept apart from
 * bugs (exit 3): the CLI prints their message alone, without a stack.
 */
import { statSync } from 'node:fs';
import { FileNotFoundError } from '../engine/replay.ts';
import { OutputError } from '../io/write-file.ts';
import { OpBoundError } from '../engine/op-bounds.ts';
import { ResyncBoundError } from '../check/resync.ts';
import { ProfileError } from '../models/index.ts';
import { CorpusError } from '../io/corpus.ts';
import { DaxInputError } from '../io/dax-file.ts';
import { NoOpsError } from '../lift/lift-file.ts';

/**
 * An empty input file (0 bytes): no header, no events, nothing to replay or check.
 * Every command refuses it alike (exit 2), rather than printing an empty report that
 * reads as "all clean".
 */
export class EmptyInputError extends Error {
  override readonly name = 'EmptyInputError';
}

/** Throws EmptyInputError when `path` is an empty regular file. */
export function assertNotEmpty(path: string): void {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) return;
    size = st.size;
  } catch {
    return;
  }
  if (size === 0) throw new EmptyInputError(`${path}: EMPTY_INPUT the file is empty (no header and no events)`);
}

/** How an input error is printed: an OpBoundError at its line when a reader found it, else its seq. */
export function inputErrorText(e: Error): string {
  if (e instanceof OpBoundError) return e.located ?? `dax-refsim: Op seq ${e.seq}${e.line === undefined ? '' : ` (input line ${e.line})`}: ${e.message}`;
  if (e instanceof ResyncBoundError) return e.located ?? e.message;
  return e.message;
}

/** Bad usage or a bad option value: printed as its message, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** True for yargs' own validation failures (after which a pointer to --help helps). */
  readonly fromYargs: boolean;
  constructor(message: string, opts: { readonly fromYargs?: boolean } = {}) {
    super(message);
    this.fromYargs = opts.fromYargs ?? false;
  }
}

/**
 * A file system refusal (permission, a directory where a file is expected, a missing
 * directory, too many links…) while reading an input or writing an output: the
 * environment's doing, not a bug, so exit 2 with the path and the errno name.
 */
export class FileSystemError extends Error {
  override readonly name = 'FileSystemError';
}

/** The errno codes a file system call can fail with for reasons outside dax-refsim. */
const FS_CODES: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a path component is not a directory',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
  EXDEV: 'not on the same file system',
  EBUSY: 'device or resource busy',
  ETXTBSY: 'text file busy',
  EFBIG: 'file too large',
  EINVAL: 'invalid argument',
  ENXIO: 'no such device or address',
  ENODEV: 'no such device',
  EAGAIN: 'resource temporarily unavailable',
};

/** A Node file system error (has an errno `code` and the `syscall` that failed) as a FileSystemError, else undefined. */
export function asFileSystemError(e: unknown): FileSystemError | undefined {
  if (!(e instanceof Error)) return undefined;
  const { code, syscall, path, dest } = e as NodeJS.ErrnoException & { dest?: string };
  if (typeof code !== 'string' || typeof syscall !== 'string') return undefined;
  const what = FS_CODES[code];
  if (what === undefined) return undefined;
  const where = path === undefined ? '' : dest === undefined ? `${path}: ` : `${path} -> ${dest}: `;
  return new FileSystemError(`dax-refsim: ${where}${what} (${code} in ${syscall})`);
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
    e instanceof DaxInputError ||
    e instanceof FileSystemError ||
    e instanceof OpBoundError ||
    e instanceof ResyncBoundError ||
    e instanceof EmptyInputError ||
    e instanceof NoOpsError
  );
}

/**
 * yargs' own validation failures, after which a pointer to --help helps. Told by how
 * the error was made, never by its text (which yargs localizes).
 */
export function isYargsUsage(e: Error): boolean {
  return e instanceof UsageError && e.fromYargs;
}
