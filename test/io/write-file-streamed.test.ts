/**
 * writeFileAtomicStreamed (check's --out): the text reaches the target only whole,
 * through a temporary file and a rename; a producer that fails after writing more than
 * one 64 KiB piece leaves the old target as it was and no temporary file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomicStreamed } from '../../src/io/write-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-streamed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomicStreamed', () => {
  it('writes every piece, in order', async () => {
    const out = join(dir, 'a.txt');
    await writeFileAtomicStreamed(out, (write) => {
      for (let i = 0; i < 20_000; i++) write(`line ${i}\n`);
    });
    const text = readFileSync(out, 'utf8').split('\n');
    expect(text).toHaveLength(20_001);
    expect(text[19_999]).toBe('line 19999');
    expect(readdirSync(dir)).toEqual(['a.txt']);
  });

  it('a failing producer leaves the old target and no temporary file', async () => {
    const out = join(dir, 'b.txt');
    writeFileSync(out, 'old report\n');
    await expect(
      writeFileAtomicStreamed(out, (write) => {
        for (let i = 0; i < 20_000; i++) write(`line ${i}\n`);
        throw new Error('bad input at the end');
      }),
    ).rejects.toThrow('bad input at the end');
    expect(readFileSync(out, 'utf8')).toBe('old report\n');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
