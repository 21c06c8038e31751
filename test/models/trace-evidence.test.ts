/**
 * Model behaviour that recorded kernels established (issue #5), each case named after
 * the trace and line that shows it:
 *
 * - 7.2 calls dax_folio_reset_order() for order-0 folios too, clearing ->mapping and
 *   the index/share word (k72-ext4-daxwork.trace.txt:283-296); 6.15–7.0 keep the stale
 *   index of spec §0.3.
 * - ext4_break_layouts() scans the whole file, not the truncated range, in both
 *   families (k612-ext4-daxwork.trace.txt:255, k72-ext4-daxwork.trace.txt:254), and the
 *   unified dax_break_layout() then deletes every entry of the file (…:272-296).
 * - the functions the recordings probe have markers: the legacy PTE insert goes through
 *   vmf_insert_mixed_mkwrite() → insert_pfn(), a slow GUP of a devmap PMD through
 *   follow_devmap_pmd() per page, a unified one through follow_huge_pmd().
 */
import { describe, expect, it } from 'vitest';
import type { Op, VmaRef } from '../../src/events/op.ts';
import type { RefEvent } from '../../src/events/ref-event.ts';
import { runOps } from '../../src/engine/runner.ts';
import { modelFor } from '../../src/models/index.ts';
import { getPage } from '../../src/state/accessors.ts';

const vma: VmaRef = { start: 0x7f0000000000, end: 0x7f0000400000, shared: true, file: 'F', pgoff: 0 };
const REG: Op = { seq: 1, type: 'pgmap.register', pgmap: 'pmem0', pgmapType: 'fsdax', pfn: 0x40000, nr: 0x20000, vmemmapShift: 0 };
const fault = (seq: number, pgoff: number, pfn: number, level: 'pte' | 'pmd' = 'pte'): Op => ({
  seq, type: 'dax.fault', mm: 'A', vma, address: vma.start + pgoff * 4096, file: 'F', pgoff, pfn, level, write: true, vmaShared: true, reflink: false,
});
const enters = (events: readonly RefEvent[]): string[] => events.flatMap((e) => (e.type === 'enter' ? [e.fn] : []));

describe('dax_folio_reset_order() on an order-0 folio (7.1+)', () => {
  const ops: Op[] = [REG, fault(2, 3, 0x48053), { seq: 3, type: 'munmap', mm: 'A', start: vma.start, end: vma.end }, { seq: 4, type: 'fs.truncate', file: 'F', start: 0 }];
  it('unified@7.2 clears mapping and index (share) and returns order 0', () => {
    const { state, events } = runOps(modelFor('unified@7.2'), ops);
    expect(getPage(state, 0x48053)).toMatchObject({ mapping: null, index: 0, refcount: 0 });
    expect(events.filter((e) => e.type === 'exit' && e.fn === 'dax_folio_reset_order').map((e) => (e.type === 'exit' ? [e.pfn, e.ret] : null))).toEqual([[0x48053, 0]]);
  });
  it('unified@7.0 leaves the old index in the index/share word (spec §0.3)', () => {
    const { state, events } = runOps(modelFor('unified@7.0'), ops);
    expect(getPage(state, 0x48053)).toMatchObject({ mapping: null, index: 3 });
    expect(enters(events)).not.toContain('dax_folio_reset_order');
  });
});

describe('ext4_break_layouts() breaks the whole file', () => {
  // a page at pgoff 0 pinned (GUP) while a hole is punched at pgoff 8
  const ops: Op[] = [
    REG, fault(2, 0, 0x48050), fault(3, 8, 0x48058),
    { seq: 4, type: 'gup.get', mm: 'A', pfn: 0x48050, nr: 1, fast: true },
    { seq: 5, type: 'fs.truncate', file: 'F', start: 8, end: 8, fs: 'ext4' },
    { seq: 6, type: 'put', pfn: 0x48050, nr: 1 },
  ];
  it('legacy waits on the busy page outside the punched range, then deletes only the punched entry', () => {
    const model = modelFor('legacy@6.12');
    expect(runOps(model, ops.slice(0, 5)).state.world.waiters.map((w) => w.pfn)).toEqual([0x48050]);
    const { state } = runOps(model, ops);
    expect(state.world.waiters).toEqual([]);
    expect([...(state.world.xa.get('F')?.keys() ?? [])]).toEqual([0]);
    expect(getPage(state, 0x48058)).toMatchObject({ mapping: null });
  });
  it('unified waits too, then dax_delete_mapping_range() deletes every entry of the file', () => {
    const model = modelFor('unified@7.2');
    expect(runOps(model, ops.slice(0, 5)).state.world.waiters.map((w) => w.pfn)).toEqual([0x48050]);
    const { state } = runOps(model, ops);
    expect(state.world.waiters).toEqual([]);
    expect(state.world.xa.get('F')?.size ?? 0).toBe(0);
    expect(getPage(state, 0x48050)).toMatchObject({ mapping: null, refcount: 0 });
  });
});

describe('markers for the probed functions', () => {
  it('legacy PTE faults insert through vmf_insert_mixed_mkwrite() (write) and insert_pfn()', () => {
    const { events } = runOps(modelFor('legacy@6.12'), [REG, fault(2, 0, 0x48050)]);
    const fns = enters(events);
    expect(fns.indexOf('vmf_insert_mixed_mkwrite')).toBeLessThan(fns.indexOf('insert_pfn'));
  });
  it('legacy slow GUP walks a devmap PMD with follow_devmap_pmd() once per page', () => {
    const ops: Op[] = [REG, fault(2, 0x200, 0x48600, 'pmd'), { seq: 3, type: 'gup.pin', mm: 'A', pfn: 0x48600, nr: 2, fast: false, longterm: false }];
    const fns = enters(runOps(modelFor('legacy@6.12'), ops).events);
    expect(fns.filter((f) => f === 'follow_devmap_pmd' || f === 'try_grab_folio')).toEqual(['follow_devmap_pmd', 'try_grab_folio', 'follow_devmap_pmd', 'try_grab_folio']);
  });
  it('unified slow GUP grabs 1 in follow_huge_pmd() and the rest after it', () => {
    const ops: Op[] = [REG, fault(2, 0x200, 0x48600, 'pmd'), { seq: 3, type: 'gup.pin', mm: 'A', pfn: 0x48600, nr: 2, fast: false, longterm: false }];
    const fns = enters(runOps(modelFor('unified@7.2'), ops).events);
    expect(fns.filter((f) => f === 'follow_huge_pmd' || f === 'try_grab_folio')).toEqual(['follow_huge_pmd', 'try_grab_folio', 'try_grab_folio']);
  });
  it('a legacy put that reaches 0 runs __folio_put() before free_zone_device_folio()', () => {
    const ops: Op[] = [REG, { seq: 2, type: 'put', pfn: 0x48050, nr: 1, via: 'folio_put_refs' }];
    const fns = enters(runOps(modelFor('legacy@6.12'), ops).events);
    expect(fns).toEqual(expect.arrayContaining(['folio_put_refs', '__folio_put', 'free_zone_device_folio']));
  });
});
