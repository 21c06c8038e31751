/**
 * OpenIndex answers "which open episodes overlap these ranges" from 32-page slices and
 * a list of wide episodes; the answer, order included, must be the 512-page block scan
 * it replaced (overlappingByScan): the order decides how a report orders tied episodes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OpenIndex, type Indexed } from '../../src/diff/open-index.ts';

interface Ep extends Indexed {
  readonly name: number;
}

/** Range lengths a diff compares: one page, a few, a PMD (512), across blocks, a PUD. */
const length = fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 40 }), fc.constant(512), fc.integer({ min: 500, max: 1600 }), fc.constant(2 ** 18));
/** Starts within a few blocks of each other (so ranges collide), sometimes aligned. */
const start = fc.oneof(fc.integer({ min: 0, max: 4 * 512 }), fc.integer({ min: 0, max: 8 }).map((k) => k * 512), fc.integer({ min: 0, max: 2 }).map((k) => k * 2 ** 18));
const range = fc.tuple(start, length).map(([lo, n]) => [lo, lo + n] as const);

const action = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), range }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('query' as const), ranges: fc.array(range, { minLength: 1, maxLength: 4 }) }),
);

describe('OpenIndex', () => {
  it('finds what the block scan finds, in the same order (fast-check, numRuns 300)', () => {
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 120 }), (actions) => {
        const index = new OpenIndex<Ep>();
        const open: Ep[] = [];
        let names = 0;
        for (const a of actions) {
          if (a.kind === 'add') {
            const e: Ep = { lo: a.range[0], hi: a.range[1], id: 0, found: 0, name: names++ };
            index.add(e);
            open.push(e);
          } else if (a.kind === 'remove') {
            if (open.length === 0) continue;
            const [e] = open.splice(a.pick % open.length, 1);
            index.remove(e!);
          } else {
            // ranges as a diff passes them: sorted, disjoint (merged)
            const sorted = [...a.ranges].sort((x, y) => x[0] - y[0]);
            const merged: [number, number][] = [];
            for (const [lo, hi] of sorted) {
              const last = merged[merged.length - 1];
              if (last && lo < last[1]) last[1] = Math.max(last[1], hi);
              else merged.push([lo, hi]);
            }
            for (const q of [merged, a.ranges]) expect(index.overlapping(q).map((e) => e.name)).toEqual(index.overlappingByScan(q).map((e) => e.name));
          }
        }
        expect(new Set(index.all())).toEqual(new Set(open));
      }),
      { numRuns: 300, seed: 5120 },
    );
  });

  it('finds exactly the open episodes a query overlaps at pfns past 2^31 and 2^32 (fast-check, numRuns 200)', () => {
    // around 8 TiB and 16 TiB of physical address, where a 32-bit shift of a pfn turns
    // negative or wraps onto low pfns; the reference is a plain overlap test
    const base = fc.constantFrom(0, 2 ** 31 - 1024, 2 ** 32 - 1024, 2 ** 40);
    const high = fc.tuple(base, fc.integer({ min: 0, max: 2048 }), length).map(([b, off, n]) => [b + off, b + off + n] as const);
    fc.assert(
      fc.property(fc.array(high, { minLength: 1, maxLength: 40 }), fc.array(high, { minLength: 1, maxLength: 8 }), (adds, queries) => {
        const index = new OpenIndex<Ep>();
        const open: Ep[] = adds.map(([lo, hi], name) => ({ lo, hi, id: 0, found: 0, name }));
        for (const e of open) index.add(e);
        for (const [lo, hi] of queries) {
          const want = open.filter((e) => e.lo < hi && lo < e.hi).map((e) => e.name).sort((x, y) => x - y);
          expect(index.overlapping([[lo, hi]]).map((e) => e.name).sort((x, y) => x - y)).toEqual(want);
          expect(index.overlapping([[lo, hi]]).map((e) => e.name)).toEqual(index.overlappingByScan([[lo, hi]]).map((e) => e.name));
        }
      }),
      { numRuns: 200, seed: 2031 },
    );
  });
});
