/**
 * The reader stage's front: the bytes of a trace, whatever form they come in, as
 * lines. `-` is standard input; the form is told by the first bytes, not the name:
 * gzip (`1f 8b`, node:zlib), zstd (`28 b5 2f fd`, the fzstd package: Node 20 has no
 * zstd in node:zlib) and trace-cmd's binary `trace.dat` (`17 08 44 tracing`), which
 * is read through `trace-cmd report` when trace-cmd is on PATH. Everything else is
 * text. A new input form is a new case here; the reader and everything after it are
 * unchanged.
 */
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, existsSync, openSync, readSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { delimiter, join } from 'node:path';
import { Decompress } from 'fzstd';
import { FileNotFoundError } from '../engine/replay.ts';
import type { TooLongLine } from '../trace/read-trace.ts';
import { LineSplitter, maxLineBytes } from './read-lines.ts';
import { readChunks, readHead } from './read-chunks.ts';

/** The forms an input can take. */
export type InputForm = 'text' | 'gzip' | 'zstd' | 'trace.dat';

/** The form the first bytes show. */
export function inputForm(head: Uint8Array): InputForm {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head[0] === 0x17 && head[1] === 0x08 && head[2] === 0x44 && String.fromCharCode(...head.subarray(3, 10)) === 'tracing') return 'trace.dat';
  return 'text';
}

/**
 * What the CLI passes for a `-` argument: yargs' parser takes a lone `-` for an empty
 * flag, so main.ts swaps it for this token, which no path can be (a NUL byte).
 */
export const STDIN_TOKEN = '\u0000stdin';

/** True when an input names standard input (`-`). */
export function isStdin(path: string): boolean {
  return path === '-' || path === STDIN_TOKEN;
}

/** How reports and issues name an input. */
export function inputName(path: string): string {
  return isStdin(path) ? '<stdin>' : path;
}

/**
 * Refuses `-` as the input of a command that does not read standard input (every one
 * but check), rather than looking for a file named by the NUL token.
 */
export function refuseStdin(path: string, what = 'standard input'): void {
  if (isStdin(path)) throw new FileNotFoundError(`-: ${what} is read by check only: give a file`);
}

/** Checks that a named input exists and is a file (stdin always does). */
export function requireInput(path: string): void {
  if (isStdin(path)) return;
  if (!existsSync(path) || !statSync(path).isFile()) throw new FileNotFoundError(`${path}: not found`);
}

/** The byte chunks of a path or stdin. */
async function* rawBytes(path: string): AsyncGenerator<Buffer> {
  // a file in 1 MiB reads, as replay's readChunks (the 64 KiB default makes 16 times the chunks, each a new Buffer and a trip through every stage)
  const stream = isStdin(path) ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 });
  for await (const chunk of stream) yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
}

/** gunzip of a byte stream (node:zlib). */
async function* gunzip(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const z = createGunzip();
  const feed = (async () => {
    try {
      for await (const c of src) if (!z.write(c)) await new Promise((r) => z.once('drain', r));
      z.end();
    } catch (e) {
      z.destroy(e as Error);
    }
  })();
  try {
    for await (const c of z) yield c as Buffer;
  } catch (e) {
    throw new FileNotFoundError(`bad gzip input: ${(e as Error).message}`);
  }
  await feed;
}

/** zstd decompression of a byte stream (fzstd's streaming Decompress). */
async function* unzstd(src: AsyncIterable<Buffer>, name: string): AsyncGenerator<Buffer> {
  const out: Buffer[] = [];
  const d = new Decompress((data) => void out.push(Buffer.from(data)));
  try {
    for await (const c of src) {
      d.push(c);
      yield* out.splice(0);
    }
    d.push(new Uint8Array(0), true);
  } catch (e) {
    throw new FileNotFoundError(`${name}: bad zstd input: ${(e as Error).message}`);
  }
  yield* out.splice(0);
}

/** The executable `name` on PATH, or null. */
export function onPath(name: string, path: string = process.env['PATH'] ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return null;
}

/** `trace-cmd report -i FILE` as a byte stream. */
async function* traceCmdReport(path: string): AsyncGenerator<Buffer> {
  if (isStdin(path)) throw new FileNotFoundError('-: a trace.dat on standard input cannot be read: save it to a file (trace-cmd report needs to seek)');
  const exe = onPath('trace-cmd');
  if (exe === null) {
    throw new FileNotFoundError(`${path}: a binary trace.dat, and trace-cmd is not on PATH: install trace-cmd, or convert it with \`trace-cmd report -i ${path} > trace.txt\``);
  }
  const child = spawn(exe, ['report', '-i', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => void (err += c.toString()));
  const done = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  let bytes = 0;
  for await (const c of child.stdout) {
    bytes += (c as Buffer).length;
    yield c as Buffer;
  }
  const code = await done;
  if (code !== 0) throw new FileNotFoundError(`${path}: trace-cmd report failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' / ')}`);
  // trace-cmd 3.1 exits 0 on a file it cannot read, printing nothing
  if (bytes === 0) throw new FileNotFoundError(`${path}: trace-cmd report printed nothing: not a trace.dat it can read${err.trim() === '' ? '' : ` (${err.trim().split('\n').slice(-1)[0]})`}`);
}

/** The decoded bytes of an input, of whatever form its first bytes show. */
export async function* inputBytes(path: string): AsyncGenerator<Buffer> {
  const it = rawBytes(path)[Symbol.asyncIterator]();
  let first = await it.next();
  // the form needs the first few bytes: a pipe may hand them over one at a time
  let head = first.done ? Buffer.alloc(0) : first.value;
  const pre: Buffer[] = head.length > 0 ? [head] : [];
  while (!first.done && head.length < 10) {
    first = await it.next();
    if (first.done) break;
    pre.push(first.value);
    head = Buffer.concat(pre);
  }
  async function* all(): AsyncGenerator<Buffer> {
    yield* pre;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
  }
  const form = inputForm(head);
  if (form === 'gzip') yield* gunzip(all());
  else if (form === 'zstd') yield* unzstd(all(), path);
  else if (form === 'trace.dat') yield* traceCmdReport(path);
  else yield* all();
}

/**
 * inputBytes() for a consumer that copies whatever it keeps of a chunk before it asks
 * for the next one (PageRefStream): a plain text file is read into reused buffers
 * (readChunks), where a read stream allocates a new 1 MiB buffer per read and the
 * kernel then zero-fills its pages on first touch (`check` of 2 M events spent 12% of
 * its CPU in `read`). Compressed input, trace.dat, stdin and pipes go through inputBytes().
 */
export async function* inputChunks(path: string, chunkBytes?: number): AsyncGenerator<Buffer> {
  if (await isPlainTextFile(path)) yield* readChunks(path, chunkBytes === undefined ? {} : { chunkBytes });
  else yield* inputBytes(path);
}

/**
 * Whether an input is a regular file of plain text (not stdin, a pipe, compressed or a
 * trace.dat): one that can be read again from any offset (readChunks, a parse worker).
 * False for a file that cannot be read: inputBytes() then reports it as every reader does.
 */
export async function isPlainTextFile(path: string): Promise<boolean> {
  if (isStdin(path)) return false;
  try {
    // a regular file only: reading the head of a pipe (`<(…)`) would consume it
    return statSync(path).isFile() && inputForm(await readHead(path, 16)) === 'text';
  } catch {
    return false;
  }
}

/**
 * The lines of an input (the `\r` of a `\r\n` removed). A line longer than the
 * line-length limit (--max-line-bytes) comes as a TooLongLine, read in time and memory
 * bounded by the limit (read-lines.ts's LineSplitter).
 */
export async function* inputLines(path: string): AsyncGenerator<string | TooLongLine> {
  const limit = maxLineBytes();
  const ready: (string | TooLongLine)[] = [];
  const splitter = new LineSplitter(0, 1, (r) => ready.push(r.tooLong ? { limit } : r.text) > 0, limit);
  for await (const chunk of inputBytes(path)) {
    splitter.push(chunk);
    yield* ready.splice(0);
  }
  splitter.end();
  yield* ready.splice(0);
}

/** True when a file's first bytes show plain text (not gzip, zstd or trace.dat). */
export function isPlainText(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(10);
    const n = readSync(fd, head, 0, 10, 0);
    return inputForm(head.subarray(0, n)) === 'text';
  } finally {
    closeSync(fd);
  }
}
