/**
 * folioSpan answers a written page that is neither head nor tail from that page alone
 * (a diff asks for the span of every pfn an Op touched, per model). The answer must be
 * the accessors' compound_head() and folio_nr_pages() on every page a run touched.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { folioSpan, mergedFolioSpans } from '../../src/diff/folio-view.ts';
import { Runner } from '../../src/engine/runner.ts';
import { modelFor } from '../../src/models/index.ts';
import { compoundHead, folioNrPages, type StateView } from '../../src/state/accessors.ts';
import { generatedOps } from '../fixtures/bench-ops.ts';

/** The span as the accessors derive it (folioSpan before its shortcut for written order-0 pages). */
function reference(view: StateView, pfn: number): [number, number] {
  const head = compoundHead(view, pfn);
  return [head, head + folioNrPages(view, head)];
}

describe('folioSpan', () => {
  it('equals compound_head() and folio_nr_pages() on every touched page (fast-check, numRuns 4)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-span-test-'));
    try {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), async (seed) => {
          const file = join(dir, `ops-${seed}.jsonl`);
          const ops = await generatedOps(file, { ops: 150, seed, fsdaxPfns: 2 ** 18, slots: 16, pmdEvery: 4 });
          for (const family of ['legacy', 'unified'] as const) {
            const runner = new Runner(modelFor(family), { checkpointEvery: 0 });
            for (const op of ops) {
              const events = runner.pushOp(op);
              const view = runner.draft.view();
              for (const e of events) {
                if (!('pfn' in e) || typeof e.pfn !== 'number' || e.pfn < 0) continue;
                if (view.page(e.pfn) === undefined) continue;
                expect(folioSpan(view, e.pfn)).toEqual(reference(view, e.pfn));
              }
            }
          }
        }),
        { numRuns: 4, seed: 16 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mergedFolioSpans equals merging both states\' span of every touched pfn (fast-check, numRuns 4)', async () => {
    // the reference looks up both spans of every pfn; mergedFolioSpans skips a side's
    // lookup inside the folio it last found, and a span it pushed just before
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-span-test-'));
    try {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), async (seed) => {
          const file = join(dir, `ops-${seed}.jsonl`);
          const ops = await generatedOps(file, { ops: 150, seed, fsdaxPfns: 2 ** 18, slots: 16, pmdEvery: 4 });
          const a = new Runner(modelFor('legacy'), { checkpointEvery: 0 });
          const b = new Runner(modelFor('unified'), { checkpointEvery: 0 });
          let checked = 0;
          for (const op of ops) {
            const touched = new Set<number>();
            for (const e of [...a.pushOp(op), ...b.pushOp(op)]) if ('pfn' in e && typeof e.pfn === 'number' && e.pfn >= 0) touched.add(e.pfn);
            const va = a.draft.view();
            const vb = b.draft.view();
            const pfns = [...touched].filter((p) => va.page(p) !== undefined && vb.page(p) !== undefined).sort((x, y) => x - y);
            const spans = pfns.map((p) => {
              const [la, ha] = folioSpan(va, p);
              const [lb, hb] = folioSpan(vb, p);
              return [Math.min(la, lb), Math.max(ha, hb)] as [number, number];
            });
            spans.sort((x, y) => x[0] - y[0] || y[1] - x[1]);
            const want: [number, number][] = [];
            for (const sp of spans) {
              const last = want[want.length - 1];
              if (last && sp[0] < last[1]) last[1] = Math.max(last[1], sp[1]);
              else want.push([sp[0], sp[1]]);
            }
            expect(mergedFolioSpans(va, vb, pfns)).toEqual(want);
            checked += pfns.length;
          }
          expect(checked).toBeGreaterThan(500);
        }),
        { numRuns: 4, seed: 2038 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
