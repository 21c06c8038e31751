/**
 * compareRaws reads a one-page range whose page is a written order-0 page in both
 * states in place (onePage), without the two views compareRange reads: on every Op of
 * generated runs of input (b)'s kind, it must give exactly the divergences, in the same
 * order, that reading every range through its views gives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparedRanges, compareRaws, ViewCache, type OpResult } from '../../src/diff/compare.ts';
import { Runner } from '../../src/engine/runner.ts';
import { modelFor, type RefcountModel } from '../../src/models/index.ts';
import type { PageSource } from '../../src/state/accessors.ts';
import { generatedOps } from '../fixtures/bench-ops.ts';

describe('compareRaws, one-page ranges read in place', () => {
  it('gives what reading every range through its views gives (fast-check, numRuns 4)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-one-page-test-'));
    try {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom(2 ** 18, 2 ** 28), async (seed, fsdaxPfns) => {
          const file = join(dir, `ops-${seed}.jsonl`);
          const ops = await generatedOps(file, { ops: 300, seed, fsdaxPfns, slots: 16, pmdEvery: 4 });
          const [ma, mb] = [modelFor('legacy'), modelFor('unified')];
          const a = new Runner(ma, { checkpointEvery: 0, draftOnly: true });
          const b = new Runner(mb, { checkpointEvery: 0, draftOnly: true });
          let onePageRanges = 0;
          let raws = 0;
          let busy = 0;
          const flipped: RefcountModel = Object.create(mb, { isBusy: { value: (src: PageSource, pfn: number) => !mb.isBusy(src, pfn) } }) as RefcountModel;
          for (const op of ops) {
            const fa = a.findings.length;
            const fb = b.findings.length;
            const ea = a.pushOp(op);
            const eb = b.pushOp(op);
            // as DiffRunner.push reads them: the open drafts after the Op, its events and findings
            const xa: OpResult = { model: ma, state: a.draft.view(), events: ea, findings: a.findings.slice(fa) };
            const xb: OpResult = { model: mb, state: b.draft.view(), events: eb, findings: b.findings.slice(fb) };
            const ranges = comparedRanges(xa, xb);
            onePageRanges += ranges.filter(([lo, hi]) => hi - lo === 1).length;
            const inPlace = compareRaws(xa, xb, ranges, new ViewCache(xa, xb));
            const viaViews = compareRaws(xa, xb, ranges, new ViewCache(xa, xb), false);
            expect(inPlace).toEqual(viaViews);
            raws += viaViews.length;
            // the two kernels' busy tests agree on these order-0 pages: a side whose test
            // says the opposite makes every fsdax page a busy divergence, read both ways
            const yb: OpResult = { ...xb, model: flipped };
            const busyInPlace = compareRaws(xa, yb, ranges, new ViewCache(xa, yb));
            expect(busyInPlace).toEqual(compareRaws(xa, yb, ranges, new ViewCache(xa, yb), false));
            busy += busyInPlace.filter((r) => r.field === 'busy').length;
          }
          // the runs exercise the path: one-page ranges, and divergences on them
          expect(onePageRanges).toBeGreaterThan(100);
          expect(raws).toBeGreaterThan(50);
          expect(busy).toBeGreaterThan(50);
        }),
        { numRuns: 4, seed: 2039 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
