/**
 * The sharing paths of issue #7, each named after what events/traces/k612- and
 * k72-ext4-daxshare recorded (snap values as refcount/mapcount, raw _mapcount + 1):
 *
 *   two mappers   legacy 1/0 throughout        unified 1/1 → 2/2 → child munmap 1/1
 *   fork          no reference in either (copy_page_range() skips a shared file VMA)
 *   private read  legacy 1/0                    unified +1/+1 (the pmem page mapped read-only)
 *   its write     legacy only the entry         unified get (3), rmap and refs dropped → 1/1
 *   io_uring      FOLL_LONGTERM on FS DAX: -EOPNOTSUPP in both; unified GUP-fast grabs and puts first
 */
import { describe, expect, it } from 'vitest';
import type { Op, VmaRef } from '../../src/events/op.ts';
import type { RefEvent } from '../../src/events/ref-event.ts';
import { runOps } from '../../src/engine/runner.ts';
import { modelFor } from '../../src/models/index.ts';
import { folioMapcount, getPage, source } from '../../src/state/accessors.ts';

const REG: Op = { seq: 1, type: 'pgmap.register', pgmap: 'pmem0', pgmapType: 'fsdax', pfn: 0x40000, nr: 0x20000, vmemmapShift: 0 };
const shared: VmaRef = { start: 0x7f2deffec000, end: 0x7f2defffc000, shared: true, file: 'F', pgoff: 0 };
const priv: VmaRef = { start: 0x7f2deffdc000, end: 0x7f2deffec000, shared: false, file: 'F', pgoff: 0 };
const fault = (seq: number, mm: string, vma: VmaRef, pgoff: number, write: boolean): Op => ({
  seq, type: 'dax.fault', mm, vma, address: vma.start + pgoff * 4096, file: 'F', pgoff, pfn: 0x48050 + pgoff, level: 'pte', write, vmaShared: vma.shared, reflink: false,
});
const counts = (ops: readonly Op[], profile: string, pfn: number): [number, number] => {
  const { state } = runOps(modelFor(profile), ops);
  return [getPage(state, pfn)!.refcount, folioMapcount(source(state), pfn)];
};
const enters = (events: readonly RefEvent[]): string[] => events.flatMap((e) => (e.type === 'enter' ? [e.fn] : []));

describe('two processes mapping one page', () => {
  const ops: Op[] = [REG, fault(2, 'P', shared, 0, true), fault(3, 'C', shared, 0, false), { seq: 4, type: 'munmap', mm: 'C', start: shared.start, end: shared.end }];
  it('legacy: refcount 1, mapcount 0 whoever maps it', () => {
    expect(counts(ops.slice(0, 3), 'legacy@6.12', 0x48050)).toEqual([1, 0]);
  });
  it('unified: one reference and one mapcount per mapper (2/2), back to 1/1 when the child unmaps', () => {
    expect(counts(ops.slice(0, 3), 'unified@7.2', 0x48050)).toEqual([2, 2]);
    expect(counts(ops, 'unified@7.2', 0x48050)).toEqual([1, 1]);
  });
});

describe('fork with a shared DAX mapping', () => {
  it.each(['legacy@6.12', 'unified@7.2'])('%s: dup_mmap() copies the VMA, copy_page_range() copies no entry, no reference', (profile) => {
    const ops: Op[] = [REG, fault(2, 'P', shared, 0, true), { seq: 3, type: 'fork', mm: 'P', child: 'C' }];
    const { state, events } = runOps(modelFor(profile), ops);
    expect(state.world.vmas.get('C')).toEqual([{ start: shared.start, end: shared.end, shared: true, file: 'F', pgoff: 0 }]);
    expect(state.world.ptes.get('C')?.size ?? 0).toBe(0);
    expect(events.filter((e) => e.op === 3 && (e.type === 'mod' || e.type === 'add_rmap'))).toEqual([]);
    expect(enters(events.filter((e) => e.op === 3))).toEqual(['dup_mmap', 'copy_page_range']);
  });
});

describe('fork of a private DAX mapping that took a copy-on-write (it has an anon_vma)', () => {
  // read pages 1 and 2 of the private mapping, write page 2 (a CoW: anon_vma_prepare()), fork
  const ops: Op[] = [REG, fault(2, 'P', priv, 1, false), fault(3, 'P', priv, 2, false), { seq: 4, type: 'cow', mm: 'P', address: priv.start + 2 * 4096 }, { seq: 5, type: 'fork', mm: 'P', child: 'C' }];
  it('unified: copy_present_ptes() gives the child the PTE of page 1 with folio_get() and an rmap: 1/1 → 2/2', () => {
    expect(counts(ops.slice(0, 4), 'unified@7.3', 0x48051)).toEqual([1, 1]);
    const { state, events } = runOps(modelFor('unified@7.3'), ops);
    expect([getPage(state, 0x48051)!.refcount, folioMapcount(source(state), 0x48051)]).toEqual([2, 2]);
    expect(state.world.ptes.get('C')?.get(priv.start + 4096)).toMatchObject({ pfn: 0x48051, level: 'pte', write: false, refcounted: true });
    expect(state.world.vmas.get('C')).toEqual([{ ...priv, anon: true }]);
    expect(events.filter((e) => e.op === 5 && (e.type === 'mod' || e.type === 'add_rmap')).map((e) => [e.type, 'pfn' in e ? e.pfn : null])).toEqual([['mod', 0x48051], ['add_rmap', 0x48051]]);
  });
  it('legacy: the devmap PTE is copied as it is (special, vm_normal_page() NULL): no reference, no mapcount', () => {
    const { state } = runOps(modelFor('legacy@6.12'), ops);
    expect([getPage(state, 0x48051)!.refcount, folioMapcount(source(state), 0x48051)]).toEqual([1, 0]);
    expect(state.world.ptes.get('C')?.get(priv.start + 4096)).toMatchObject({ pfn: 0x48051, refcounted: false });
  });
  it('without a copy-on-write (no anon_vma) vma_needs_copy() is false: the child re-faults, nothing is copied', () => {
    const noCow: Op[] = [REG, fault(2, 'P', priv, 1, false), { seq: 3, type: 'fork', mm: 'P', child: 'C' }];
    const { state } = runOps(modelFor('unified@7.3'), noCow);
    expect(state.world.ptes.get('C')?.size ?? 0).toBe(0);
    expect(getPage(state, 0x48051)!.refcount).toBe(1);
  });
});

describe('MAP_PRIVATE read, then write (copy-on-write)', () => {
  const ops: Op[] = [REG, fault(2, 'P', shared, 1, true), fault(3, 'P', priv, 1, false), { seq: 4, type: 'cow', mm: 'P', address: priv.start + 4096 }];
  it('legacy: the private read maps the devmap page (no count); the copy replaces the entry only', () => {
    expect(counts(ops.slice(0, 3), 'legacy@6.12', 0x48051)).toEqual([1, 0]);
    const { state, events } = runOps(modelFor('legacy@6.12'), ops);
    expect(getPage(state, 0x48051)!.refcount).toBe(1);
    expect(state.world.ptes.get('P')?.has(priv.start + 4096)).toBe(false);
    expect(enters(events.filter((e) => e.op === 4))).toEqual(['do_wp_page', 'wp_page_copy', 'folio_add_new_anon_rmap']);
  });
  it('unified: the read maps it like a file page (2/2); the copy takes a reference, then drops rmap and both references (1/1)', () => {
    expect(counts(ops.slice(0, 3), 'unified@7.2', 0x48051)).toEqual([2, 2]);
    const { state, events } = runOps(modelFor('unified@7.2'), ops);
    expect([getPage(state, 0x48051)!.refcount, folioMapcount(source(state), 0x48051)]).toEqual([1, 1]);
    // k72-ext4-daxshare.trace.txt:387: folio_remove_rmap_ptes sees ref=3 (2 mappings + the copy's get)
    const mods = events.filter((e) => e.op === 4 && (e.type === 'mod' || e.type === 'mod_and_test' || e.type === 'remove_rmap')).map((e) => e.type);
    expect(mods).toEqual(['mod', 'remove_rmap', 'mod_and_test', 'mod_and_test']);
  });
  it('unified: copying the only mapping frees the folio (and wakes, as any free at 0)', () => {
    const only: Op[] = [REG, fault(2, 'P', priv, 1, false), { seq: 3, type: 'cow', mm: 'P', address: priv.start + 4096 }];
    const { state, events } = runOps(modelFor('unified@7.2'), only);
    expect(getPage(state, 0x48051)!.refcount).toBe(0);
    expect(events.some((e) => e.type === 'free')).toBe(true);
  });
});

describe('io_uring IORING_REGISTER_BUFFERS (FOLL_LONGTERM) over an FS DAX mapping', () => {
  const ops: Op[] = [REG, fault(2, 'P', shared, 4, true), fault(3, 'P', shared, 5, true), { seq: 4, type: 'gup.pin', mm: 'P', pfn: 0x48054, nr: 2, fast: true, longterm: true, write: true }];
  it('legacy: GUP-fast bails on the devmap PTE, check_vma_flags() refuses: -EOPNOTSUPP, no grab', () => {
    const { events } = runOps(modelFor('legacy@6.12'), ops);
    const gup = events.filter((e) => e.op === 4);
    expect(gup.filter((e) => e.type === 'mod' || e.type === 'mod_unless')).toEqual([]);
    expect(gup.find((e) => e.type === 'exit' && e.fn === 'check_vma_flags')).toMatchObject({ ret: -95 });
    expect(gup.find((e) => e.type === 'exit' && e.fn === 'pin_user_pages_fast')).toMatchObject({ ret: -95 });
  });
  it('unified: try_grab_folio_fast() takes the reference, finds the folio not long-term pinnable and puts it back; then -EOPNOTSUPP', () => {
    const { events, state } = runOps(modelFor('unified@7.2'), ops);
    const gup = events.filter((e) => e.op === 4);
    expect(gup.filter((e) => e.type === 'mod_unless' || e.type === 'mod_and_test').map((e) => ('val' in e ? e.val : 0))).toEqual([1, -1]);
    expect(gup.find((e) => e.type === 'exit' && e.fn === 'check_vma_flags')).toMatchObject({ ret: -95 });
    expect(getPage(state, 0x48054)!.refcount).toBe(1);
  });
});
