/**
 * A draftOnly Runner (what diff steps) commits no chunk until state() asks; it must be
 * indistinguishable from one that commits every 4096 events (or every 7): the same
 * events and findings per Op, the same pages and world in the draft after every Op
 * (diff reads nothing else), and the same final state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Runner } from '../../src/engine/runner.ts';
import { modelFor } from '../../src/models/index.ts';
import { pagesOf } from '../../src/state/sim-state.ts';
import type { RefEvent } from '../../src/events/ref-event.ts';
import { generatedOps } from '../fixtures/bench-ops.ts';

describe('Runner draftOnly', () => {
  it('refuses checkpoints', () => {
    expect(() => new Runner(modelFor('legacy'), { draftOnly: true })).toThrow(/checkpointEvery must be 0/);
  });

  it('equals a committing Runner after every Op (fast-check, numRuns 4)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-draftonly-test-'));
    try {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom(7, 4096), async (seed, chunkSize) => {
          const file = join(dir, `ops-${seed}.jsonl`);
          const ops = await generatedOps(file, { ops: 200, seed, fsdaxPfns: 2 ** 18, slots: 16, pmdEvery: 4 });
          for (const family of ['legacy', 'unified'] as const) {
            const a = new Runner(modelFor(family), { checkpointEvery: 0, chunkSize });
            const b = new Runner(modelFor(family), { checkpointEvery: 0, draftOnly: true });
            for (const op of ops) {
              const ea = a.pushOp(op);
              const eb = b.pushOp(op);
              expect(eb).toEqual(ea);
              expect(b.findings).toEqual(a.findings);
              const va = a.draft.view();
              const vb = b.draft.view();
              expect(vb.ranges).toEqual(va.ranges);
              expect(vb.world).toEqual(va.world);
              for (const e of ea) {
                if (!('pfn' in e) || typeof e.pfn !== 'number' || e.pfn < 0) continue;
                for (const pfn of [e.pfn, e.pfn + 1]) expect(vb.page(pfn)).toEqual(va.page(pfn));
              }
            }
            const sa = a.state();
            const sb = b.state();
            expect(pagesOf(sb.pages)).toEqual(pagesOf(sa.pages));
            expect(sb.world).toEqual(sa.world);
            expect(sb.events).toBe(sa.events);
            expect(Object.isFrozen(sb)).toBe(true);
          }
        }),
        { numRuns: 4, seed: 4096 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('commits after all once its draft holds maxDraftCopies page copies, and still equals a committing Runner', () => {
    // check's comparer: a page stored shared and plain (storePlain) and then written
    // through mut() is copied again each time; the bound keeps those copies from piling up
    const init: RefEvent = { seq: 1, type: 'memmap_init', pfn: 0, nr: 64, pgmap: 'p', pgmapType: 'fsdax', refcount: 0, vmemmapShift: 0 };
    const a = new Runner(modelFor('unified'), { checkpointEvery: 0, chunkSize: 7 });
    const b = new Runner(modelFor('unified'), { checkpointEvery: 0, draftOnly: true, maxDraftCopies: 4 });
    let seq = 1;
    for (const r of [a, b]) r.pushRef(init);
    const drafts = new Set([b.draft]);
    for (let i = 0; i < 100; i++) {
      const pfn = i % 3;
      seq++;
      for (const r of [a, b]) {
        // a plain store of count i + 1, then a set to i + 2 through mut() (a copy of the shared page)
        const before = r.draft.plainRefcount(pfn);
        expect(before).toBe(i < 3 ? 0 : i + 1 - 2);
        expect(r.foldPlainPageRef(pfn, before, 'mod', i + 1 - before, null, seq)).toBe(i + 1);
        r.foldOnly({ seq, type: 'set', pfn, val: i + 2 });
        r.endInput();
      }
      expect(b.draft.copies).toBeLessThan(4);
      drafts.add(b.draft);
      for (let pfn = 0; pfn < 3; pfn++) expect(b.draft.page(pfn)).toEqual(a.draft.page(pfn));
    }
    // it committed: 100 copies, at most 3 a draft
    expect(drafts.size).toBeGreaterThanOrEqual(25);
    expect(pagesOf(b.state().pages)).toEqual(pagesOf(a.state().pages));
  });
});
