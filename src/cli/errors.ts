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
    e instanceof FileSystemError
  );
}

/**
 * yargs' own validation failures, after which a pointer to --help helps. Told by how
 * the error was made, never by its text (which yargs localizes).
 */
export function isYargsUsage(e: Error): boolean {
  return e instanceof UsageError && e.fromYargs;
}
