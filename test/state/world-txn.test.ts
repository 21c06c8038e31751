/**
 * The world's copy-on-write draft keeps immer's contract: a chunk copies only the
 * collections it writes, commit freezes them (a frozen Map's mutators throw), every
 * untouched collection is shared with the state before, and a delete of what is not
 * there writes nothing.
 */
import { describe, expect, it } from 'vitest';
import { foldAll, Runner } from '../../src/engine/runner.ts';
import type { RefEvent } from '../../src/events/ref-event.ts';

const INIT: RefEvent = { seq: 1, type: 'memmap_init', pfn: 0x40000, nr: 512, pgmap: 'p', pgmapType: 'fsdax', refcount: 0, vmemmapShift: 0 };
const pte = (seq: number, mm: string, addr: number): RefEvent => ({ seq, type: 'pt_set', mm, addr, level: 'pte', pfn: 0x40000, write: true, special: false, refcounted: true });

describe('WorldTxn', () => {
  it('freezes what a chunk wrote: the Maps refuse writes, their entries are frozen', () => {
    const { state } = foldAll([INIT, pte(2, 'a', 0x1000), { seq: 3, type: 'xa_store', file: 'f', pgoff: 0, pfn: 0x40000, order: 0, zero: false, shared: false }, { seq: 4, type: 'rss', mm: 'a', val: 1 }]);
    const w = state.world;
    expect(Object.isFrozen(w)).toBe(true);
    for (const m of [w.ptes, w.ptes.get('a')!, w.xa, w.xa.get('f')!, w.rss]) {
      expect(Object.isFrozen(m)).toBe(true);
      expect(() => (m as Map<unknown, unknown>).set('x', 1)).toThrow(/frozen/);
      expect(() => (m as Map<unknown, unknown>).delete('x')).toThrow(/frozen/);
    }
    expect(Object.isFrozen(w.ptes.get('a')!.get(0x1000))).toBe(true);
    expect(w.rss.get('a')).toBe(1);
  });

  it('shares every collection a chunk did not write with the state before it', () => {
    const r = new Runner(undefined, { checkpointEvery: 0 });
    for (const e of [INIT, pte(2, 'a', 0x1000), pte(3, 'b', 0x1000), { seq: 4, type: 'xa_store', file: 'f', pgoff: 0, pfn: 0x40000, order: 0, zero: false, shared: false } as RefEvent]) r.pushRef(e);
    const before = r.state();
    r.pushRef(pte(5, 'b', 0x2000));
    const after = r.state();
    expect(after.world).not.toBe(before.world);
    expect(after.world.ptes.get('a')).toBe(before.world.ptes.get('a'));
    expect(after.world.ptes.get('b')).not.toBe(before.world.ptes.get('b'));
    expect(after.world.xa).toBe(before.world.xa);
    expect(after.world.vmas).toBe(before.world.vmas);
    expect([...before.world.ptes.get('b')!.keys()]).toEqual([0x1000]);
  });

  it('writes nothing for a clear or erase of what is not there', () => {
    const r = new Runner(undefined, { checkpointEvery: 0 });
    r.pushRef(INIT);
    r.pushRef(pte(2, 'a', 0x1000));
    const before = r.state();
    r.pushRef({ seq: 3, type: 'pt_clear', mm: 'a', addr: 0x9000, level: 'pte' });
    r.pushRef({ seq: 4, type: 'xa_erase', file: 'nope', pgoff: 1 });
    r.pushRef({ seq: 5, type: 'vma_remove', mm: 'zz', start: 0, end: 4096 });
    expect(r.state().world).toBe(before.world);
  });

  it('reads see the chunk so far, before it commits', () => {
    const r = new Runner(undefined, { checkpointEvery: 0 });
    r.pushRef(INIT);
    r.pushRef(pte(2, 'a', 0x1000));
    expect(r.draft.readWorld().ptes.get('a')?.has(0x1000)).toBe(true);
    expect(r.draft.view().world.ptes.get('a')?.size).toBe(1);
  });
});
