/**
 * The golden-replay walker: every case of replays/ under both families, and the diff
 * of the two, must equal the expected files in the case's folder. Goldens change
 * only with `npm run golden:update` (vitest -u), and the diff goes into review.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { listCases, readCase } from '../src/io/corpus.ts';
import { expectedJson } from '../src/corpus/expected.ts';
import { modelFor } from '../src/models/index.ts';
import { diffOps } from '../src/diff/diff-runs.ts';
import { diffJson } from '../src/report/diff-report.ts';

const ROOT = fileURLToPath(new URL('../replays', import.meta.url));
const cases = listCases(ROOT);

describe('golden replays', () => {
  it('the corpus holds one case per scenario S1–S11 plus seed-1g', () => {
    expect(cases).toEqual([
      's1-pte-fault-munmap-truncate', 's10-controls', 's11-memunmap', 's2-gup-get-across-truncate', 's3-pin-unmap-unpin',
      's4-pmd-split-pte-refault', 's5-pmd-pin-fast-truncate', 's6-reflink-two-files', 's7-dma-after-munmap',
      's8-speculative-try-get', 's9-unpin-wakes-truncate', 'seed-1g',
    ]);
  });
  describe.each(cases)('%s', (name) => {
    const c = readCase(ROOT, name);
    it.each(['legacy', 'unified'] as const)('matches expected.%s.json', async (family) => {
      await expect(expectedJson(modelFor(family), c.ops, name)).toMatchFileSnapshot(join(c.dir, `expected.${family}.json`));
    });
    it('matches expected.diff.json', async () => {
      await expect(diffJson(diffOps(modelFor('legacy'), modelFor('unified'), c.ops))).toMatchFileSnapshot(join(c.dir, 'expected.diff.json'));
    });
  });
});
