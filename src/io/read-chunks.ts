/**
 * Reads a file as large byte chunks from an offset, reusing one buffer: the cheapest
 * way Node reads a file (the benchmark's I/O limit uses the same loop). Each chunk
 * is valid only until the next one is requested; a consumer that keeps bytes must
 * copy them (PageRefStream copies its one partial line).
 */
import { open } from 'node:fs/promises';

/** Where and how to read. */
export interface ReadChunksOptions {
  /** Byte offset to start at. Default 0. */
  readonly start?: number;
  /** Chunk size in bytes. Default 1 MiB. */
  readonly chunkBytes?: number;
}

/** The bytes of `path` from `start` on, as chunks of one reused buffer. */
export async function* readChunks(path: string, opts: ReadChunksOptions = {}): AsyncGenerator<Buffer, void, undefined> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(opts.chunkBytes ?? 1 << 20);
    let position = opts.start ?? 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
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
