/**
 * `scenarios` and `corpus` (the main job) over the built-in corpus.
 */
import { mkdtempSync, cpSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './in-process.ts';

describe('dax-refsim scenarios', () => {
  it('lists the corpus, one case name per line', async () => {
    const r = await cli('scenarios');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(12);
    expect(r.stdout.startsWith('s1-pte-fault-munmap-truncate\n')).toBe(true);
  });
  it('--format json gives each case its description, Op count and expected files', async () => {
    const r = await cli('scenarios', '--format', 'json');
    const cases = JSON.parse(r.stdout) as { name: string; ops: number; expected: string[]; description: string }[];
    expect(cases.find((c) => c.name === 'seed-1g')).toMatchObject({ ops: 10, expected: ['expected.diff.json', 'expected.legacy.json', 'expected.unified.json'] });
    expect(cases.every((c) => c.description.length > 0)).toBe(true);
  });
});

describe('dax-refsim corpus', () => {
  it('runs every case under both families and the diff: all 36 goldens match, exit 0', async () => {
    const r = await cli('corpus');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('36/36 goldens match');
    expect(r.stdout).toMatch(/^s7-dma-after-munmap +legacy@6\.14 +0x48050:1 0x48070:1 +4 +match$/m);
    expect(r.stdout).toMatch(/^seed-1g +unified@7\.2 +0x140000:1 +0 +match$/m);
  });
  it('exits 1 when a golden differs, and 2 for a bad case file', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dax-refsim-corpus-'));
    try {
      const s1 = join(root, 's1-pte-fault-munmap-truncate');
      cpSync('replays/s1-pte-fault-munmap-truncate', s1, { recursive: true });
      writeFileSync(join(s1, 'expected.legacy.json'), '{}\n');
      const r = await cli('corpus', '--root', root, '--format', 'json');
      expect(r.status).toBe(1);
      expect((JSON.parse(r.stdout) as { golden: string }[]).map((x) => x.golden)).toEqual(['differs', 'match', 'match']);
      writeFileSync(join(s1, 'scenario.dax'), 'process A\nA: munmap F\n');
      const badDax = await cli('corpus', '--root', root);
      expect(badDax.status).toBe(2);
      expect(badDax.stderr).toMatch(/truncate\/scenario\.dax:2:11 UNDECLARED process A has no mapping of F/);
      // without a scenario.dax the case's ops.jsonl is read
      rmSync(join(s1, 'scenario.dax'));
      writeFileSync(join(s1, 'ops.jsonl'), '{"seq":1,"type":"munmap","mm":"A","start":0}\n');
      const bad = await cli('corpus', '--root', root);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/truncate\/ops\.jsonl:1:\d+ BAD_FIELD end/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
  it('a failing expect line is reported like a failed test: after the table, exit 1', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dax-refsim-corpus-'));
    try {
      const s9 = join(root, 's9-unpin-wakes-truncate');
      cpSync('replays/s9-unpin-wakes-truncate', s9, { recursive: true });
      const file = join(s9, 'scenario.dax');
      writeFileSync(file, readFileSync(file, 'utf8').replace('expect legacy: 0x48050 refcount 1', 'expect legacy: 0x48050 refcount 2'));
      const r = await cli('corpus', '--root', root);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('3/3 goldens match\n\n1 expectation(s) fail:\n');
      expect(r.stdout).toContain(`${file}:12: expect legacy: 0x48050 refcount 2: FAILS (refcount 1)\n`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
