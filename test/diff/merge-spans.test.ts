/**
 * mergeSpans() (comparedRanges' merge of the two models' folio spans, on flat pairs)
 * must give what sorting the spans as tuples by start, the longer first, and merging
 * the overlapping ones gave.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeSpans } from '../../src/diff/folio-view.ts';

function reference(spans: [number, number][]): [number, number][] {
  const sorted = spans.map((s) => [s[0], s[1]] as [number, number]).sort((x, y) => x[0] - y[0] || y[1] - x[1]);
  const merged: [number, number][] = [];
  for (const s of sorted) {
    const last = merged[merged.length - 1];
    if (last && s[0] < last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([s[0], s[1]]);
  }
  return merged;
}

describe('mergeSpans', () => {
  it('equals sorting the spans as tuples and merging (fast-check, numRuns 500)', () => {
    const span = fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.oneof(fc.constant(1), fc.constant(512), fc.integer({ min: 1, max: 700 }))).map(([lo, n]) => [lo, lo + n] as [number, number]);
    fc.assert(
      fc.property(fc.array(span, { maxLength: 40 }), fc.boolean(), (spans, presort) => {
        // comparedRanges mostly passes spans already in order: both paths of mergeSpans
        const list = presort ? [...spans].sort((x, y) => x[0] - y[0] || y[1] - x[1]) : spans;
        expect(mergeSpans(list.flat())).toEqual(reference(list));
      }),
      { numRuns: 500, seed: 9 },
    );
  });
});
