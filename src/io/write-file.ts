/**
 * Output files are written whole or not at all: the text goes to a temporary file
 * in the target's directory (same filesystem, so the rename is atomic), then is
 * renamed over the target. A failed or interrupted run leaves neither a partial
 * output nor a clobbered old one, and no temporary file (the CLI removes the ones in
 * flight on SIGINT/SIGTERM through {@link removePendingTemps}).
 *
 * The rename replaces whatever the name points at, so the target is vetted first:
 * only a regular file the user could write is ever replaced. A directory, a device, a
 * FIFO or a socket is refused (a rename would silently turn `/dev/null` into a regular
 * file), a read-only file is refused (the rename needs only the directory's write
 * permission, so it would replace a file its owner had protected), and a symbolic
 * link is followed to the file it names, which is replaced, not the link.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, lstatSync, openSync, realpathSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** An output path that must not be written (an input, not a regular file, read-only, …): exit 2. */
export class OutputError extends Error {
  override readonly name = 'OutputError';
}

/** Options of writeFileAtomic. */
export interface WriteFileOptions {
  /** Files the run reads: the output may not be any of them. */
  readonly inputs?: readonly string[];
}

/** The identity of an existing file (device and inode), or its resolved path when it does not exist. */
function identity(path: string): string {
  try {
    const st = statSync(path);
    return `ino:${st.dev}:${st.ino}`;
  } catch {
    try {
      return `path:${realpathSync(dirname(path))}/${basename(path)}`;
    } catch {
      return `path:${resolve(path)}`;
    }
  }
}

/** Throws OutputError when `out` is (a link to, or another name of) one of `inputs`. */
export function assertNotInput(out: string, inputs: readonly string[]): void {
  const target = identity(out);
  for (const input of inputs) {
    if (identity(input) === target) throw new OutputError(`${out}: refusing to overwrite an input file`);
  }
}

/** What kind of non-regular file `st` is, for the refusal message. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks that `out` may be written and returns the path the rename must replace (the
 * file a symbolic link names). Throws OutputError naming the reason otherwise. Called
 * by commands before any work, so a bad --out fails at once, and again just before
 * the write.
 */
export function checkOutputTarget(out: string, flag = '--out'): string {
  if (out.trim() === '') throw new OutputError(`${flag} ${JSON.stringify(out)}: expected a file name`);
  // `-` (the CLI's STDIN_TOKEN, a NUL byte no path holds) is no file to write; --out absent is stdout
  if (out === '-' || out.includes('\u0000')) throw new OutputError(`${flag} -: expected a file name (this flag never writes to stdout)`);
  let target = out;
  let lst: Stats | undefined;
  try {
    lst = lstatSync(out);
  } catch {
    lst = undefined;
  }
  if (lst?.isSymbolicLink()) {
    try {
      target = realpathSync(out);
    } catch {
      throw new OutputError(`${out}: a symbolic link to a missing file; refusing to replace the link`);
    }
  }
  if (lst !== undefined) {
    const st = statSync(target);
    if (!st.isFile()) throw new OutputError(`${out}: ${kindOf(st)}, not a regular file; refusing to replace it`);
    // root passes access(W_OK) on any file: a file without any write bit is read-only for it too
    if ((st.mode & 0o222) === 0 || !writable(target)) throw new OutputError(`${out}: read-only; refusing to replace it`);
  }
  const dir = dirname(target);
  let dst: Stats;
  try {
    dst = statSync(dir);
  } catch {
    throw new OutputError(`${out}: directory ${dir} does not exist`);
  }
  if (!dst.isDirectory()) throw new OutputError(`${out}: ${dir} is not a directory`);
  if (!writable(dir)) throw new OutputError(`${out}: cannot create files in ${dir} (permission denied)`);
  return target;
}

/** Temporary files being written right now (removed by {@link removePendingTemps} on a signal). */
const pendingTemps = new Set<string>();

/** The signals that end a run while it writes: each removes the temporary files first. */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Removes the temporary files, then dies by the signal as it would have without a
 * handler. Armed only while a temporary file exists: a handler runs on the event loop,
 * so one installed for the whole run would keep a busy replay from being interrupted.
 */
function onSignal(signal: NodeJS.Signals): void {
  disarm();
  removePendingTemps();
  process.kill(process.pid, signal);
}

function arm(): void {
  if (pendingTemps.size === 1) for (const s of SIGNALS) process.on(s, onSignal);
}

function disarm(): void {
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/** Removes every temporary file still in flight (synchronously: called from a signal handler). */
export function removePendingTemps(): void {
  for (const tmp of pendingTemps) {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or never created
    }
  }
  pendingTemps.clear();
}

/**
 * Test hook: with DAX_REFSIM_TEST_HOLD_OUT set, the write stops between the temporary
 * file and the rename (after saying so on stderr) until a signal ends the process, so
 * a test can interrupt exactly the write phase without timing anything.
 */
async function holdForTest(tmp: string): Promise<void> {
  if (process.env['DAX_REFSIM_TEST_HOLD_OUT'] === undefined) return;
  process.stderr.write(`dax-refsim: holding ${tmp}\n`);
  await new Promise<never>(() => void setInterval(() => undefined, 1 << 30));
}

/**
 * The temporary-file lifecycle both writers share: `fill` writes the temporary file
 * next to the target, which is then renamed over it; on any failure (and on SIGINT or
 * SIGTERM, through pendingTemps) the temporary file is removed and the target is left
 * as it was.
 */
async function writeThroughTemp(path: string, opts: WriteFileOptions, fill: (tmp: string) => Promise<void>): Promise<void> {
  assertNotInput(path, opts.inputs ?? []);
  const target = checkOutputTarget(path);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  pendingTemps.add(tmp);
  arm();
  try {
    await fill(tmp);
    await holdForTest(tmp);
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string') throw new OutputError(`${path}: cannot write (${code}: ${(e as Error).message})`);
    throw e;
  } finally {
    pendingTemps.delete(tmp);
    if (pendingTemps.size === 0) disarm();
  }
}

/** Writes `text` (a string, or pieces written in order as they are made) to `path` through a temporary file and a rename. */
export async function writeFileAtomic(path: string, text: string | Iterable<string>, opts: WriteFileOptions = {}): Promise<void> {
  await writeThroughTemp(path, opts, (tmp) => writeFile(tmp, text, { flag: 'wx', mode: 0o644 }));
}

/** Bytes of text gathered before each write of a streamed output. */
const STREAM_FLUSH = 64 * 1024;

/**
 * A writer that gathers text and hands it on in pieces of about 64 KiB: what a report
 * too long to hold as one string is written through. Call `end()` to hand on the rest.
 */
export function chunkedWriter(sink: (chunk: string) => void): { write: (text: string) => void; end: () => void } {
  let parts: string[] = [];
  let size = 0;
  const flush = (): void => {
    if (size === 0) return;
    sink(parts.join(''));
    parts = [];
    size = 0;
  };
  return {
    write: (text) => {
      parts.push(text);
      size += text.length;
      if (size >= STREAM_FLUSH) flush();
    },
    end: flush,
  };
}

/**
 * writeFileAtomic for a report written piece by piece: `produce` writes the text
 * through `write` (synchronously, in 64 KiB pieces to the temporary file), then the
 * temporary file is renamed over the target. The same guarantees: a failure, SIGINT or
 * SIGTERM leaves neither a partial output nor a temporary file.
 */
export async function writeFileAtomicStreamed(path: string, produce: (write: (text: string) => void) => void, opts: WriteFileOptions = {}): Promise<void> {
  await writeThroughTemp(path, opts, (tmp) => {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      const out = chunkedWriter((chunk) => void writeSync(fd, chunk));
      produce(out.write);
      out.end();
    } catch (e) {
      try {
        closeSync(fd);
      } catch {
        // the write's error is the one to report
      }
      throw e;
    }
    closeSync(fd);
    return Promise.resolve();
  });
}
