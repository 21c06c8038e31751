/**
 * OpEvents answers its first range question with one walk of the events, and indexes
 * them by pfn, then position, at the second; where the events come out of pfn order it
 * sorts them, by packed numeric keys where pfn and position fit in one double and by a
 * comparator where not. Every way, `in(lo, hi)` must give exactly the positions of the
 * events on [lo, hi), in event order, each once (checked against a brute-force scan),
 * and the call paths of a range must not depend on which way answered.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OpEvents } from '../../src/diff/actions.ts';
import type { RefEvent } from '../../src/events/ref-event.ts';

/** Events on pfns from a small set (repeats, out of order), a few kernel frames around them. */
function events(pfns: readonly number[], frames: readonly number[]): RefEvent[] {
  const out: RefEvent[] = [];
  let seq = 1;
  pfns.forEach((pfn, i) => {
    const depth = frames[i % frames.length]!;
    for (let d = 0; d < depth; d++) out.push({ seq: seq++, type: 'enter', fn: `fn${d + (pfn % 3)}` });
    out.push({ seq: seq++, type: 'mod', pfn, val: 1, count: 2 } as RefEvent);
    for (let d = depth - 1; d >= 0; d--) out.push({ seq: seq++, type: 'exit', fn: `fn${d + (pfn % 3)}` });
  });
  return out;
}

function brute(evs: readonly RefEvent[], lo: number, hi: number): number[] {
  const out: number[] = [];
  evs.forEach((e, i) => {
    const pfn = (e as { pfn?: number }).pfn;
    if (e.type !== 'enter' && e.type !== 'exit' && typeof pfn === 'number' && pfn >= lo && pfn < hi) out.push(i);
  });
  return out;
}

describe('OpEvents', () => {
  it('in(lo, hi) gives the events on the range in event order, sorted by packed keys or by comparator (fast-check, numRuns 300)', () => {
    // small pfns pack; pfns past 2^32 (16 TiB) take the comparator
    const base = fc.constantFrom(0, 2 ** 20, 2 ** 32 - 64, 2 ** 40);
    fc.assert(
      fc.property(base, fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 20 }), (b, offs, frames, lo, n) => {
        const evs = events(offs.map((o) => b + o), frames);
        const x = new OpEvents(evs);
        expect(x.in(b + lo, b + lo + n)).toEqual(brute(evs, b + lo, b + lo + n));
      }),
      { numRuns: 300, seed: 2037 },
    );
  });

  it('the first question (one walk) and later ones (the index) give the same events and call paths (fast-check, numRuns 200)', () => {
    const base = fc.constantFrom(0, 2 ** 20, 2 ** 40);
    const range = fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 20 }));
    fc.assert(
      fc.property(base, fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 5 }), fc.array(range, { minLength: 2, maxLength: 6 }), (b, offs, frames, ranges) => {
        const evs = events(offs.map((o) => b + o), frames);
        const indexed = new OpEvents(evs);
        for (const [lo, n] of ranges) {
          const want = brute(evs, b + lo, b + lo + n);
          // a fresh OpEvents answers by its walk; the same one, past its first question, by its index
          expect(indexed.callPaths(b + lo, b + lo + n)).toEqual(new OpEvents(evs).callPaths(b + lo, b + lo + n));
          expect(indexed.in(b + lo, b + lo + n)).toEqual(want);
        }
      }),
      { numRuns: 200, seed: 2038 },
    );
  });
});
