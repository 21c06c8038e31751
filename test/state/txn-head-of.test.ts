/**
 * Txn.headOf() answers compound_head() without building an untouched page, and the
 * models' refcount() reads refcountOf() of that head: both must equal what the page
 * words give (decodeTailWord of page(pfn)'s word 1, page(head)'s refcount) on every
 * page a run touches, next to it, and on untouched order-0 and compound ranges in
 * both tail encodings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Runner } from '../../src/engine/runner.ts';
import { step } from '../../src/engine/step.ts';
import { modelFor } from '../../src/models/index.ts';
import { createState } from '../../src/state/sim-state.ts';
import { decodeTailWord } from '../../src/state/page.ts';
import { Txn } from '../../src/state/txn.ts';
import { generatedOps } from '../fixtures/bench-ops.ts';

/** compound_head() and the folio's refcount from the page words alone. */
function byWords(txn: Txn, pfn: number): [number, number] {
  const page = txn.page(pfn);
  const head = page === undefined ? pfn : (decodeTailWord(txn.config, pfn, page.word1) ?? pfn);
  return [head, txn.page(head)?.refcount ?? 0];
}

function check(txn: Txn, pfn: number): void {
  const head = txn.headOf(pfn);
  expect([head, txn.refcountOf(head) ?? 0]).toEqual(byWords(txn, pfn));
}

describe('Txn.headOf', () => {
  it('equals the page words on untouched and written compound ranges, both encodings', () => {
    for (const tailEncoding of ['head', 'mask'] as const) {
      const [s0] = step(createState({ tailEncoding }), { seq: 1, type: 'memmap_init', pfn: 0x140000, nr: 2 ** 19, pgmap: 'dax0.0', pgmapType: 'generic', refcount: 1, vmemmapShift: 18 });
      const [s1] = step(s0, { seq: 2, type: 'memmap_init', pfn: 0x40000, nr: 4096, pgmap: 'fs0', pgmapType: 'fsdax', refcount: 1, vmemmapShift: 0 });
      const [s2] = step(s1, { seq: 3, type: 'mod', pfn: 0x148005, val: 0 });
      const txn = new Txn(s2);
      txn.mut(0x40010)!.refcount = 5;
      for (const pfn of [0x140000, 0x140001, 0x140002, 0x148005, 0x17ffff, 0x180000, 0x1bffff, 0x40000, 0x40010, 0x40fff, 0x41000, 0x10]) check(txn, pfn);
    }
  });

  it('equals the page words on every page a run touches (fast-check, numRuns 4)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-headof-test-'));
    try {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), async (seed) => {
          const file = join(dir, `ops-${seed}.jsonl`);
          const ops = await generatedOps(file, { ops: 150, seed, fsdaxPfns: 2 ** 18, slots: 16, pmdEvery: 4 });
          for (const family of ['legacy', 'unified'] as const) {
            const runner = new Runner(modelFor(family), { checkpointEvery: 0 });
            for (const op of ops) {
              const events = runner.pushOp(op);
              for (const e of events) {
                if (!('pfn' in e) || typeof e.pfn !== 'number' || e.pfn < 0) continue;
                for (const pfn of [e.pfn - 1, e.pfn, e.pfn + 1, e.pfn + 511]) if (pfn >= 0) check(runner.draft, pfn);
              }
            }
          }
        }),
        { numRuns: 4, seed: 77 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
