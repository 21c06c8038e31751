/**
 * readChunks(): the next read is in flight while a chunk is handed out (two buffers),
 * so the bytes must still arrive whole and in order, from any start, at any chunk
 * size, and a consumer that stops early must leave no read behind an open handle.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { readChunks } from '../../src/io/read-chunks.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-read-chunks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const data = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `${i}\n`).join(''));
const path = join(dir, 'data.txt');
writeFileSync(path, data);

async function collect(opts: { start?: number; chunkBytes?: number }, stopAfter = Number.POSITIVE_INFINITY): Promise<{ bytes: Buffer; chunks: number; buffers: Set<ArrayBufferLike> }> {
  const parts: Buffer[] = [];
  const buffers = new Set<ArrayBufferLike>();
  let chunks = 0;
  for await (const c of readChunks(path, opts)) {
    buffers.add(c.buffer);
    parts.push(Buffer.from(c));
    if (++chunks >= stopAfter) break;
  }
  return { bytes: Buffer.concat(parts), chunks, buffers };
}

describe('readChunks', () => {
  it('reads the whole file in order through two reused buffers', async () => {
    const r = await collect({ chunkBytes: 4096 });
    expect(r.bytes.equals(data)).toBe(true);
    expect(r.chunks).toBe(Math.ceil(data.length / 4096));
    expect(r.buffers.size).toBe(2);
  });

  test.prop([fc.integer({ min: 0, max: data.length }), fc.integer({ min: 1, max: 70_000 })], { numRuns: 60, seed: 1612 })('gives the bytes from any start at any chunk size', async (start, chunkBytes) => {
    const r = await collect({ start, chunkBytes });
    expect(r.bytes.equals(data.subarray(start))).toBe(true);
  });

  it('a chunk handed out is not written by the read in flight', async () => {
    const seen: string[] = [];
    for await (const c of readChunks(path, { chunkBytes: 1000 })) {
      const before = c.toString();
      // let the next read complete while this chunk is held
      await new Promise((r) => setTimeout(r, 2));
      expect(c.toString()).toBe(before);
      seen.push(before);
    }
    expect(seen.join('')).toBe(data.toString());
  });

  it('stops early and closes the file with the next read still in flight', async () => {
    const r = await collect({ chunkBytes: 1000 }, 3);
    expect(r.bytes.equals(data.subarray(0, 3000))).toBe(true);
    // the handle was closed: reading again from the start works and gives the same bytes
    expect((await collect({ chunkBytes: 1000 }, 1)).bytes.equals(data.subarray(0, 1000))).toBe(true);
  });

  it('reads an empty file as no chunk', async () => {
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    let n = 0;
    for await (const _ of readChunks(empty)) n++;
    expect(n).toBe(0);
  });
});
