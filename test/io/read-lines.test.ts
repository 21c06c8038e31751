/** Line splitting with byte offsets, across every chunk boundary, from any start offset. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lastValueFrom, take, toArray } from 'rxjs';
import { readLines, readLines$, type LineRecord } from '../../src/io/read-lines.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = join(dir, 'a.txt');
// multi-byte UTF-8 (é is 2 bytes, 🙂 is 4), a CRLF line, an empty line, no newline at the end
writeFileSync(path, 'ab\nété🙂\r\n\nlast');

const expected: LineRecord[] = [
  { text: 'ab', line: 1, offset: 0, next: 3, terminated: true },
  { text: 'été🙂', line: 2, offset: 3, next: 14, terminated: true },
  { text: '', line: 3, offset: 14, next: 15, terminated: true },
  { text: 'last', line: 4, offset: 15, next: 19, terminated: false },
];

describe('readLines$', () => {
  it.each([1, 2, 3, 5, 7, 64 * 1024])('splits lines with byte offsets for read chunks of %i bytes', async (chunkBytes) => {
    expect(await lastValueFrom(readLines$(path, { chunkBytes }).pipe(toArray()))).toEqual(expected);
  });

  it('starts at a byte offset with the line number it is given', async () => {
    expect(await lastValueFrom(readLines$(path, { start: 14, firstLine: 3, chunkBytes: 2 }).pipe(toArray()))).toEqual(expected.slice(2));
  });

  it('stops reading when the subscriber unsubscribes', async () => {
    expect(await lastValueFrom(readLines$(path, { chunkBytes: 1 }).pipe(take(2), toArray()))).toEqual(expected.slice(0, 2));
  });

  it('errors with ENOENT for a missing file', async () => {
    await expect(lastValueFrom(readLines$(join(dir, 'nope')))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('readLines (async iterator)', () => {
  it('yields the same records', async () => {
    const out: LineRecord[] = [];
    for await (const r of readLines(path, { chunkBytes: 3 })) out.push(r);
    expect(out).toEqual(expected);
  });
});
