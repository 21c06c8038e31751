/**
 * A streamed output file: chunks go through a 64 KiB buffer to a temporary file
 * beside the target, renamed over it at the end, so a large report is never held
 * whole in memory and no partial file is ever left (the temporary is removed when
 * the producer throws). The producer is synchronous, so no signal handler can run
 * between the temporary file and the rename.
 */
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { assertNotInput, checkOutputTarget, OutputError } from './write-file.ts';

const FLUSH = 64 * 1024;

/** Runs produce(write) into `path` atomically; returns produce's result. */
export function writeStreamAtomic<T>(path: string, inputs: readonly string[], produce: (write: (chunk: string) => void) => T): T {
  assertNotInput(path, inputs);
  const target = checkOutputTarget(path);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', 0o644);
  } catch (e) {
    throw new OutputError(`${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? 'error'}: ${(e as Error).message})`);
  }
  let buf: string[] = [];
  let size = 0;
  const flush = (): void => {
    if (size === 0) return;
    writeSync(fd, buf.join(''));
    buf = [];
    size = 0;
  };
  try {
    const result = produce((chunk) => {
      buf.push(chunk);
      size += chunk.length;
      if (size >= FLUSH) flush();
    });
    flush();
    closeSync(fd);
    renameSync(tmp, target);
    return result;
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw e;
  }
}
