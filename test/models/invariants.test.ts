/**
 * Each invariant and kernel WARN a model or the fold carries, firing on a stream that
 * breaks it, with the kernel function it stands for in the finding.
 */
import { describe, expect, it } from 'vitest';
import type { Op } from '../../src/events/op.ts';
import type { RefEventInit } from '../../src/events/ref-event.ts';
import { modelFor } from '../../src/models/index.ts';
import { foldAll, runOps } from '../../src/engine/runner.ts';

const vma = { start: 0x7f0000000000, end: 0x7f0000400000, shared: true, file: 'F', pgoff: 0 };
const P = 0x48050;
let seq = 0;
const S = <T extends object>(o: T): T & { seq: number } => ({ ...o, seq: ++seq });
const FS: Op = { seq: 0, type: 'pgmap.register', pgmap: 'pmem0', pgmapType: 'fsdax', pfn: 0x40000, nr: 0x20000, vmemmapShift: 0 };
const fault = (pgoff: number, pfn: number, level: 'pte' | 'pmd' = 'pte', file = 'F'): Op => ({ seq: 0, type: 'dax.fault', mm: 'A', vma: { ...vma, file }, address: vma.start + pgoff * 4096, file, pgoff, pfn, level, write: false, vmaShared: true, reflink: false });
const num = (ops: Op[]): Op[] => ops.map((o, i) => ({ ...o, seq: i + 1 }));
const run = (model: string, ops: Op[]) => runOps(modelFor(model), num(ops)).findings.map((f) => [f.code, f.function, f.severity]);
const fold = (events: RefEventInit[]) => foldAll(events.map((e, i) => ({ ...e, seq: i + 1 }))).findings.map((f) => [f.code, f.function]);
const MEMMAP = { type: 'memmap_init', pfn: 0x1000, nr: 0x1000, pgmap: 'p', pgmapType: 'fsdax', refcount: 0, vmemmapShift: 0 } as const;
void S;

describe('fold invariants (all models)', () => {
  it('refcount-underflow (put_page_testzero)', () => {
    expect(fold([MEMMAP, { type: 'set', pfn: 0x1001, val: 1 }, { type: 'mod', pfn: 0x1001, val: -2 }])).toEqual([['refcount-underflow', 'put_page_testzero']]);
  });
  it('put-on-freed-page (put_page_testzero)', () => {
    expect(fold([MEMMAP, { type: 'mod_and_test', pfn: 0x1001, val: -1 }])).toEqual([['put-on-freed-page', 'put_page_testzero']]);
  });
  it('no-struct-page (pfn_to_page)', () => {
    expect(fold([{ type: 'mod', pfn: 0x9999, val: 1 }])).toEqual([['no-struct-page', 'pfn_to_page']]);
  });
  it('ret-mismatch (the recorded ret is not what the state gives)', () => {
    expect(fold([MEMMAP, { type: 'mod_unless', pfn: 0x1001, val: 1, ret: 1 }])).toEqual([['ret-mismatch', 'page_ref_mod_unless']]);
  });
  it('pincount-underflow (gup_put_folio)', () => {
    expect(fold([MEMMAP, { type: 'prep_compound', pfn: 0x1200, order: 9 }, { type: 'pin_count', pfn: 0x1200, val: -1 }])).toEqual([['pincount-underflow', 'gup_put_folio']]);
  });
  it('mapcount-underflow (folio_remove_rmap_ptes)', () => {
    expect(fold([MEMMAP, { type: 'remove_rmap', pfn: 0x1001, page: 0x1001, nr: 1, level: 'pte' }])).toEqual([['mapcount-underflow', 'folio_remove_rmap_ptes']]);
  });
  it('rmap-order-mismatch (folio_add_file_rmap_pmd on an order-0 folio)', () => {
    expect(fold([MEMMAP, { type: 'add_rmap', pfn: 0x1000, page: 0x1000, nr: 1, level: 'pmd' }])).toEqual([['rmap-order-mismatch', 'folio_add_file_rmap_pmd']]);
  });
  it('pgmap-conflict (memremap_pages: the same pfn in two pgmaps)', () => {
    expect(fold([MEMMAP, { ...MEMMAP, pgmap: 'q', pfn: 0x1800 }])).toEqual([['pgmap-conflict', 'memremap_pages']]);
  });
  it('folio-crosses-pgmap (prep_compound_page past the range)', () => {
    expect(fold([MEMMAP, { type: 'prep_compound', pfn: 0x1e00, order: 10 }])).toEqual([['folio-crosses-pgmap', 'prep_compound_page']]);
  });
  it('split-busy-page (dax_folio_put splits a page with a reference)', () => {
    expect(fold([MEMMAP, { type: 'prep_compound', pfn: 0x1200, order: 9 }, { type: 'set', pfn: 0x1200, val: 1 }, { type: 'split', pfn: 0x1200 }])).toEqual([['split-busy-page', 'dax_folio_put']]);
  });
  it('split-not-head (dax_folio_put on a tail)', () => {
    expect(fold([MEMMAP, { type: 'prep_compound', pfn: 0x1200, order: 9 }, { type: 'split', pfn: 0x1201 }])).toEqual([['split-not-head', 'dax_folio_put']]);
  });
});

describe('model invariants', () => {
  it.each(['legacy', 'unified'])('%s: pgmap-section-conflict (memremap_pages refuses a second pgmap in a section)', (m) => {
    expect(run(m, [FS, { seq: 0, type: 'pgmap.register', pgmap: 'x', pgmapType: 'generic', pfn: 0x60000, nr: 0x200, vmemmapShift: 0 }])).toEqual([]);
    expect(run(m, [FS, { seq: 0, type: 'pgmap.register', pgmap: 'x', pgmapType: 'generic', pfn: 0x5fe00, nr: 0x200, vmemmapShift: 0 }])).toEqual([['pgmap-section-conflict', 'memremap_pages', 'error']]);
  });
  it.each(['legacy', 'unified'])('%s: pgmap-unregister-* (memunmap_pages with a page still mapped)', (m) => {
    expect(run(m, [FS, fault(0, P), { seq: 0, type: 'pgmap.unregister', pgmap: 'pmem0' }]).map((f) => f[1])).toContain('memunmap_pages');
  });
  it('legacy: busy-scan-skipped and disassociate-busy-page (S7)', () => {
    expect(run('legacy', [FS, fault(0, P), { seq: 0, type: 'gup.get', pfn: P, nr: 1, fast: false }, { seq: 0, type: 'munmap', mm: 'A', start: vma.start, end: vma.end }, { seq: 0, type: 'fs.truncate', file: 'F', start: 0 }])).toEqual([
      ['busy-scan-skipped', 'dax_layout_busy_page_range', 'error'],
      ['disassociate-busy-page', 'dax_disassociate_entry', 'warn'],
    ]);
  });
  it('legacy: evict-without-wait (dax_delete_mapping_entry)', () => {
    expect(run('legacy', [FS, fault(0, P), { seq: 0, type: 'gup.get', pfn: P, nr: 1, fast: false }, { seq: 0, type: 'fs.evict', file: 'F', start: 0 }])[0]).toEqual(['evict-without-wait', 'dax_delete_mapping_entry', 'error']);
  });
  it('legacy: free-without-page-free (free_zone_device_folio on pmem FS DAX, spec §0.8)', () => {
    expect(run('legacy', [FS, fault(0, P), { seq: 0, type: 'put', pfn: P, nr: 1, via: 'folio_put_refs' }])).toEqual([['free-without-page-free', 'free_zone_device_folio', 'error']]);
  });
  it('legacy: missed-wakeup (folio_put_refs brings the page to 1 while a truncate waits); unified wakes', () => {
    const ops: Op[] = [FS, fault(0, P), { seq: 0, type: 'gup.get', pfn: P, nr: 1, fast: false }, { seq: 0, type: 'fs.truncate', file: 'F', start: 0 }, { seq: 0, type: 'put', pfn: P, nr: 1, via: 'bio_release' }];
    expect(run('legacy', ops)).toEqual([['missed-wakeup', 'folio_put_refs', 'error']]);
    expect(run('unified', ops)).toEqual([]);
  });
  it('a break re-entered after its wait was interrupted (Op.restarts) leaves one waiter: one missed wakeup, not two', () => {
    // 6.1 pageref fsdax-race ext4-fsdax-race.trace.txt:495/:500: the punch's first wait
    // returns -ERESTARTSYS (refcount still 2) and the restarted punch waits again
    const grab: Op = { seq: 0, type: 'gup.get', pfn: P, nr: 1, fast: false };
    const put: Op = { seq: 0, type: 'put', pfn: P, nr: 1, via: 'bio_release' };
    const first: Op = { seq: 0, type: 'fs.break_layout', file: 'F', start: 0 };
    const again: Op = { seq: 0, type: 'fs.truncate', file: 'F', start: 0, end: 0, restarts: 4 };
    expect(run('legacy', [FS, fault(0, P), grab, first, again, put])).toEqual([['missed-wakeup', 'folio_put_refs', 'error']]);
    const { restarts: _r, ...unlinked } = again;
    expect(run('legacy', [FS, fault(0, P), grab, first, unlinked, put])).toEqual([['missed-wakeup', 'folio_put_refs', 'error'], ['missed-wakeup', 'folio_put_refs', 'error']]);
    expect(run('unified', [FS, fault(0, P), grab, first, again, put])).toEqual([]);
    const events = runOps(modelFor('legacy'), num([FS, fault(0, P), grab, first, again, put])).events;
    expect(events.filter((e) => e.type === 'wait_end')).toMatchObject([{ type: 'wait_end', waiter: 4, how: 'interrupted' }]);
  });
  it('any later Op of the waiting task (Op.endsWait) ends its wait first: the put then misses no wakeup', () => {
    // a task sleeping in ___wait_var_event() runs nothing else: its munmap shows the punch
    // over (k612-ext4-daxwork.trace.txt:256 the punch sleeps, :272 its task unmaps)
    const grab: Op = { seq: 0, type: 'gup.get', pfn: P, nr: 1, fast: false };
    const punch: Op = { seq: 0, type: 'fs.truncate', file: 'F', start: 0, end: 0 };
    const unmap: Op = { seq: 0, type: 'munmap', mm: 'A', start: vma.start, end: vma.start + 4096 };
    const put: Op = { seq: 0, type: 'put', pfn: P, nr: 1, via: 'bio_release' };
    expect(run('legacy', [FS, fault(0, P), grab, punch, unmap, put])).toEqual([['missed-wakeup', 'folio_put_refs', 'error']]);
    expect(run('legacy', [FS, fault(0, P), grab, punch, { ...unmap, endsWait: 4 }, put])).toEqual([]);
    // refcount 2 (the grab and the mapping) when the task unmaps: interrupted (-ERESTARTSYS)
    const events = runOps(modelFor('legacy'), num([FS, fault(0, P), grab, punch, { ...unmap, endsWait: 4 }, put])).events;
    expect(events.filter((e) => e.type === 'wait_end')).toMatchObject([{ type: 'wait_end', waiter: 4, how: 'interrupted', op: 5 }]);
    // naming a break that does not wait (or no longer) ends nothing
    expect(runOps(modelFor('legacy'), num([FS, fault(0, P), punch, { ...unmap, endsWait: 3 }])).events.filter((e) => e.type === 'wait_end')).toEqual([]);
  });
  it('legacy: associate-mapped-page (dax_associate_entry WARN_ON_ONCE(page->mapping))', () => {
    expect(run('legacy', [FS, fault(0, P), fault(0, P, 'pte', 'G')])).toEqual([['associate-mapped-page', 'dax_associate_entry', 'warn']]);
  });
  it('unified: associate-mapped-folio (dax_associate_entry WARN_ON_ONCE(folio->mapping))', () => {
    expect(run('unified', [FS, fault(0, P), fault(0, P, 'pte', 'G')])).toEqual([['associate-mapped-folio', 'dax_associate_entry', 'warn']]);
  });
  it('unified: dax-folio-init-order (dax_folio_init on a folio that is already large)', () => {
    expect(run('unified', [FS, fault(0, 0x48400, 'pmd'), fault(0, 0x48400, 'pmd', 'G')])).toContainEqual(['dax-folio-init-order', 'dax_folio_init', 'warn']);
  });
  it.each(['legacy', 'unified'])('%s: unpin-unpinned (gup_put_folio on a large folio with no pins)', (m) => {
    const dd: Op = { seq: 0, type: 'pgmap.register', pgmap: 'd', pgmapType: 'generic', pfn: 0x100000, nr: 0x1000, vmemmapShift: 9 };
    expect(run(m, [dd, { seq: 0, type: 'unpin', pfn: 0x100001, nr: 1 }])[0]).toEqual(['unpin-unpinned', 'gup_put_folio', 'error']);
  });
  it.each(['legacy', 'unified'])('%s: devpriv-alloc-busy (zone_device_page_init on a page in use)', (m) => {
    const pr: Op = { seq: 0, type: 'pgmap.register', pgmap: 'p', pgmapType: 'private', pfn: 0x100000, nr: 0x1000, vmemmapShift: 0 };
    expect(run(m, [pr, { seq: 0, type: 'devpriv.alloc', pfn: 0x100001, order: 0 }, { seq: 0, type: 'devpriv.alloc', pfn: 0x100001, order: 0 }])).toEqual([['devpriv-alloc-busy', 'zone_device_page_init', 'warn']]);
  });
});
