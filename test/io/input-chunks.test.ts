/**
 * inputChunks(): a plain text file is read into reused buffers, every other input
 * goes through inputBytes(). Either way the bytes delivered are the input's, in order,
 * provided the consumer copies a chunk before asking for the next.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { inputChunks } from '../../src/io/open-input.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-chunks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bytesOf(path: string): Promise<{ bytes: Buffer; chunks: Buffer[] }> {
  const copies: Buffer[] = [];
  const seen: Buffer[] = [];
  for await (const c of inputChunks(path)) {
    seen.push(c);
    copies.push(Buffer.from(c));
  }
  return { bytes: Buffer.concat(copies), chunks: seen };
}

// 3.5 MiB of numbered lines: four reads of 1 MiB
const text = Array.from({ length: 200_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 7)}`).join('\n');

describe('inputChunks', () => {
  it('reads a plain file whole, in chunks of two reused buffers (readChunks)', async () => {
    const path = join(dir, 'plain.txt');
    writeFileSync(path, text);
    const { bytes, chunks } = await bytesOf(path);
    expect(bytes.toString()).toBe(text);
    expect(chunks.length).toBeGreaterThan(1);
    // the same two buffers in turn: a consumer must copy what it keeps
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(2);
  });

  it('decompresses a gzip file as inputBytes does', async () => {
    const path = join(dir, 'plain.txt.gz');
    writeFileSync(path, gzipSync(Buffer.from(text)));
    expect((await bytesOf(path)).bytes.toString()).toBe(text);
  });

  it('reads a file shorter than the form sniff', async () => {
    const path = join(dir, 'short.txt');
    writeFileSync(path, 'ab\n');
    expect((await bytesOf(path)).bytes.toString()).toBe('ab\n');
  });

  it('reads a named pipe once, through inputBytes (no head read that would consume it)', async () => {
    const path = join(dir, 'fifo');
    execFileSync('mkfifo', [path]);
    const writer = new Promise<void>((resolve, reject) => {
      // the writer blocks until the reader opens the pipe
      import('node:fs').then(({ createWriteStream }) => {
        const w = createWriteStream(path);
        w.end(text, () => resolve());
        w.on('error', reject);
      }, reject);
    });
    const got = await bytesOf(path);
    await writer;
    expect(got.bytes.toString()).toBe(text);
  });

  it('reports a missing file as inputBytes does', async () => {
    await expect(bytesOf(join(dir, 'missing.txt'))).rejects.toThrow(/missing\.txt/);
  });
});
