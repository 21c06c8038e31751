/**
 * Output files are written whole or not at all: the text goes to a temporary file
 * in the target's directory (same filesystem, so the rename is atomic), then is
 * renamed over the target. A failed run leaves neither a partial output nor a
 * clobbered old one, and an output path that is one of the inputs is refused.
 */
import { randomBytes } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** An output path that must not be written (it is an input). */
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

/** Writes `text` to `path` through a temporary file and a rename. */
export async function writeFileAtomic(path: string, text: string, opts: WriteFileOptions = {}): Promise<void> {
  assertNotInput(path, opts.inputs ?? []);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
