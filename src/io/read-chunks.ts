/**
 * Reads a file as large byte chunks from an offset, reusing two buffers: the cheapest
 * way Node reads a file (the benchmark's I/O limit uses the same reads). Each chunk
 * is valid only until the next one is requested; a consumer that keeps bytes must
 * copy them (PageRefStream copies its one partial line).
 */
import { open } from 'node:fs/promises';

/**
 * Bytes each buffer holds past the chunk size and never fills: the page_ref scanner's
 * word reads may look up to 3 bytes past a line's newline (page-ref-fast.ts
 * WORD_SLACK), so the chunk's last lines are scanned in place too.
 */
const WORD_ROOM = 8;

/** Where and how to read. */
export interface ReadChunksOptions {
  /** Byte offset to start at. Default 0. */
  readonly start?: number;
  /** Chunk size in bytes. Default 1 MiB. */
  readonly chunkBytes?: number;
}

/**
 * The bytes of `path` from `start` on, as chunks of two reused buffers: the read of the
 * next chunk is started before this one is handed out, so libuv's thread pool reads
 * while the consumer scans (issue 16 item 3: with one buffer the main thread sat idle
 * during every read, ~10% of a replay's wall time). A chunk is valid until the next
 * one is requested, as before: the read in flight fills the other buffer.
 */
export async function* readChunks(path: string, opts: ReadChunksOptions = {}): AsyncGenerator<Buffer, void, undefined> {
  const fh = await open(path, 'r');
  let pending: Promise<{ bytesRead: number; buffer: Buffer }> | null = null;
  try {
    const size = opts.chunkBytes ?? 1 << 20;
    const bufs = [Buffer.allocUnsafe(size + WORD_ROOM), Buffer.allocUnsafe(size + WORD_ROOM)] as const;
    let position = opts.start ?? 0;
    let which = 0;
    const readInto = (buf: Buffer, at: number): Promise<{ bytesRead: number; buffer: Buffer }> => {
      const p = fh.read(buf, 0, size, at);
      // handled when awaited below; until then a failed read must not count as unhandled
      p.catch(() => undefined);
      return p;
    };
    pending = readInto(bufs[0], position);
    for (;;) {
      const { bytesRead, buffer } = await pending;
      pending = null;
      if (bytesRead === 0) return;
      position += bytesRead;
      which ^= 1;
      pending = readInto(which === 0 ? bufs[0] : bufs[1], position);
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    // a consumer that stopped early leaves a read in flight: it ends before the handle closes
    if (pending !== null) await pending.catch(() => undefined);
    await fh.close();
  }
}

/** The first `bytes` bytes of `path` (fewer when the file is shorter). */
export async function readHead(path: string, bytes = 1 << 16): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
