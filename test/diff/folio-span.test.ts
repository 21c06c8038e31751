/**
 * folioSpan answers a written page that is neither head nor tail from that page alone
 * (a diff asks for the span of every pfn an Op touched, per model). The answer must be
 * the accessors' compound_head() and folio_nr_pages() on every page a run touched.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { folioSpan } from '../../src/diff/folio-view.ts';
import { Runner } from '../../src/engine/runner.ts';
import { modelFor } from '../../src/models/index.ts';
import { JsonlDecoder } from '../../src/events/jsonl-decoder.ts';
import { compoundHead, folioNrPages, type StateView } from '../../src/state/accessors.ts';
import type { Op } from '../../src/events/op.ts';
import { generateOps } from '../../bench/gen-ops.ts';

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
          await generateOps(file, { ops: 150, seed, fsdaxPfns: 2 ** 18, slots: 16, pmdEvery: 4 });
          const dec = new JsonlDecoder(file);
          const ops: Op[] = [];
          readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
            if (text === '') return;
            const d = dec.decode(text, i + 1, true);
            if (d.kind === 'op') ops.push(d.event);
          });
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
});
