/**
 * OpEvents indexes an Op's events by pfn, then position; where the events come out of
 * pfn order it sorts them, by packed numeric keys where pfn and position fit in one
 * double and by a comparator where not. Either way, `in(lo, hi)` must give exactly the
 * positions of the events on [lo, hi), in event order, each once (checked against a
 * brute-force scan).
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
    for (let d = 0; d < depth; d++) out.push({ seq: seq++, type: 'enter', fn: `fn${d}` });
    out.push({ seq: seq++, type: 'mod', pfn, val: 1, count: 2 } as RefEvent);
    for (let d = depth - 1; d >= 0; d--) out.push({ seq: seq++, type: 'exit', fn: `fn${d}` });
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
});
