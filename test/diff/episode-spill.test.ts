/**
 * A diff that spills its closed episodes to a temporary file (what `dax-refsim diff`
 * does, so its memory does not grow with the input) reports exactly what the diff
 * holding them in an array reports, in every format, and removes its file.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom } from 'rxjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DiffRunner, diffOps, diffWithSpill } from '../../src/diff/diff-runs.ts';
import { EpisodeSpill, type EpisodeHead } from '../../src/diff/episode-store.ts';
import { modelFor } from '../../src/models/index.ts';
import { JsonlDecoder } from '../../src/events/jsonl-decoder.ts';
import type { Op } from '../../src/events/op.ts';
import { diffJson, diffMarkdown, diffText } from '../../src/report/diff-report.ts';
import { generateOps } from '../../bench/gen-ops.ts';
import { cli } from '../cli/in-process.ts';

/** The Ops of input (b)'s kind: `n` Ops over `slots` regions, seeded. */
async function benchOps(n: number, seed: number, slots: number, dir: string): Promise<{ file: string; ops: Op[] }> {
  const file = join(dir, `ops-${seed}-${n}.jsonl`);
  await generateOps(file, { ops: n, seed, fsdaxPfns: 2 ** 18, slots, pmdEvery: 4 });
  const dec = new JsonlDecoder(file);
  const ops: Op[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
    if (text === '') return;
    const d = dec.decode(text, i + 1, true);
    if (d.kind === 'issue' || d.kind === 'ref') throw new Error(`${file}:${i + 1}: not an Op`);
    if (d.kind === 'op') ops.push(d.event);
  });
  return { file, ops };
}

describe('diff episodes spilled to a temporary file', () => {
  it('report the same as episodes in memory, in every format (fast-check, numRuns 6)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-spill-test-'));
    try {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 50, max: 500 }), fc.constantFrom(0, 4096, 1 << 24), fc.boolean(), async (seed, n, memoryBytes, semantic) => {
          const { ops } = await benchOps(n, seed, 12, dir);
          const [a, b] = [modelFor('legacy'), modelFor('unified')];
          const mem = diffOps(a, b, ops, { semantic });
          const sp = await lastValueFrom(from(ops).pipe(diffWithSpill(a, b, { semantic, memoryBytes })));
          try {
            // 0 bytes in memory: every episode goes to the file as it closes; 16 MiB: none here
            if (memoryBytes === 0) expect(sp.episodes.spilled).toBe(sp.episodes.length > 0);
            if (memoryBytes === 1 << 24) expect(sp.episodes.spilled).toBe(false);
            expect(sp.episodes.length).toBe(mem.episodes.length);
            for (let i = 0; i < mem.episodes.length; i++) expect(sp.episodes.get(i)).toEqual(mem.episodes[i]);
            expect(diffJson(sp)).toBe(diffJson(mem));
            for (const first of [false, true]) {
              expect(diffText(sp, { first })).toBe(diffText(mem, { first }));
              expect(diffMarkdown(sp, { first })).toBe(diffMarkdown(mem, { first }));
            }
          } finally {
            sp.episodes.dispose();
          }
          expect(sp.episodes.length).toBe(0);
        }),
        { numRuns: 6, seed: 16 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('writes each head record as JSON.stringify(head), byte for byte, where the runner put it together from its steps (fast-check, numRuns 4)', async () => {
    // DiffRunner serialises a spilled episode's start and changes as they are kept and
    // joins them as it closes (diff-runs.ts headJson): the same string, keys in order
    class CheckingSpill extends EpisodeSpill {
      readonly joined: [string, string][] = [];
      override addRecords(head: EpisodeHead, stepJsons: readonly string[], headJson?: string): void {
        if (headJson !== undefined) this.joined.push([headJson, JSON.stringify(head)]);
        super.addRecords(head, stepJsons, headJson);
      }
    }
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-spill-test-'));
    try {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 100, max: 600 }), fc.boolean(), async (seed, n, semantic) => {
          const { ops } = await benchOps(n, seed, 12, dir);
          const spill = new CheckingSpill();
          try {
            const r = new DiffRunner(modelFor('legacy'), modelFor('unified'), { semantic }, spill);
            for (const op of ops) r.push(op);
            const res = r.spilledResult();
            // every episode but the one-Op (wake, finding) ones, closed or still open at the end
            expect(spill.joined.length).toBeGreaterThan(0);
            expect(spill.joined.length).toBeLessThanOrEqual(res.episodes.length);
            for (const [joined, whole] of spill.joined) expect(joined).toBe(whole);
          } finally {
            spill.dispose();
          }
        }),
        { numRuns: 4, seed: 7 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('the temporary file exists while the result is read and is gone after dispose()', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-spill-test-'));
    try {
      const { ops } = await benchOps(400, 7, 12, dir);
      const sp = await lastValueFrom(from(ops).pipe(diffWithSpill(modelFor('legacy'), modelFor('unified'), { memoryBytes: 0 })));
      const folder = sp.episodes.folder;
      expect(sp.episodes.length).toBeGreaterThan(20);
      expect(sp.episodes.spilled).toBe(true);
      expect(folder).not.toBeNull();
      expect(readdirSync(folder!)).toEqual(['episodes']);
      sp.episodes.dispose();
      expect(existsSync(folder!)).toBe(false);
      expect(sp.episodes.folder).toBeNull();
      // twice is harmless
      sp.episodes.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('dax-refsim diff prints what the in-memory report says, with --out too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-spill-test-'));
    try {
      const { file, ops } = await benchOps(600, 3, 16, dir);
      const mem = diffOps(modelFor('legacy'), modelFor('unified'), ops);
      expect(mem.episodes.length).toBeGreaterThan(50);
      const t = await cli('diff', file);
      expect(t.status).toBe(1);
      expect(t.stdout).toBe(diffText(mem));
      const out = join(dir, 'report.json');
      const j = await cli('diff', file, '--format', 'json', '--out', out);
      expect(j.status).toBe(1);
      expect(j.stdout).toBe('');
      expect(readFileSync(out, 'utf8')).toBe(diffJson(mem));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
