/** Output is written whole through a temp file and a rename, and never over an input. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputError, writeFileAtomic } from '../../src/io/write-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('writes the text and leaves no temporary file', async () => {
    const out = join(dir, 'out.json');
    await writeFileAtomic(out, '{"a":1}\n');
    expect(readFileSync(out, 'utf8')).toBe('{"a":1}\n');
    expect(readdirSync(dir)).toEqual(['out.json']);
  });

  it('replaces an existing output only on success', async () => {
    const out = join(dir, 'keep.json');
    writeFileSync(out, 'old');
    await expect(writeFileAtomic(join(dir, 'no-such-dir', 'x.json'), 'new')).rejects.toThrow();
    expect(readFileSync(out, 'utf8')).toBe('old');
    await writeFileAtomic(out, 'new');
    expect(readFileSync(out, 'utf8')).toBe('new');
  });

  it('refuses to overwrite an input, also through another name', async () => {
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, 'data');
    const link = join(dir, 'link.jsonl');
    symlinkSync(input, link);
    await expect(writeFileAtomic(input, 'x', { inputs: [input] })).rejects.toThrow(OutputError);
    await expect(writeFileAtomic(link, 'x', { inputs: [input] })).rejects.toThrow(`${link}: refusing to overwrite an input file`);
    await expect(writeFileAtomic(join(dir, '.', 'in.jsonl'), 'x', { inputs: [input] })).rejects.toThrow(OutputError);
    expect(readFileSync(input, 'utf8')).toBe('data');
    expect(existsSync(join(dir, 'fresh.json'))).toBe(false);
  });
});
