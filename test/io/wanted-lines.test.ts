/**
 * readWantedLines (the trace lines check quotes, read in one streamed pass) gives what
 * `readFileSync(path, 'utf8').split('\n')` gives for those lines: across 1 MiB read
 * chunks, a multi-byte character split by a chunk, CRLF lines, a last line without a
 * newline, and lines past the end.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readWantedLines } from '../../src/io/wanted-lines.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-wanted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readWantedLines', () => {
  it('reads the wanted lines as split(\'\\n\') numbers them', async () => {
    // 1 MiB minus one byte of 'a', then 'é' (2 bytes): the character straddles the first chunk's end
    const long = `${'a'.repeat((1 << 20) - 1)}é tail`;
    const lines = ['first', 'crlf line\r', long, ...Array.from({ length: 3000 }, (_, i) => `line ${i} ✓`), 'last, no newline'];
    const path = join(dir, 't.txt');
    writeFileSync(path, lines.join('\n'));
    const want = new Set([1, 2, 3, 4, 1000, 3003, lines.length, lines.length + 1, lines.length + 50]);
    const got = await readWantedLines(path, want);
    const split = readFileSync(path, 'utf8').split('\n');
    for (const n of want) expect(got.get(n)).toBe(split[n - 1]);
    expect(got.get(3)?.endsWith('é tail')).toBe(true);
    expect(got.has(lines.length + 1)).toBe(false);
    expect(await readWantedLines(path, new Set())).toEqual(new Map());
  });
});
