/**
 * Shared (reflink) extents, as the vmtest fsdax-reflink workload runs them on xfs: two
 * files S (the source) and C (its FICLONE) map the same blocks; read faults through
 * both, a copy-on-write write fault that unshares C's page, then a punch of one sharer
 * and of the last. Exact counts per kernel, read from fs/dax.c of each and matched by the
 * recordings (vmtest stock 6.1, 6.12, 7.3, xfs fsdax-reflink: 0 mismatches):
 *
 *   6.1   xfs reports IOMAP_F_SHARED to a DAX read fault only for IOMAP_REPORT: reads
 *         associate plainly and WARN when the other file has the page; the CoW write is
 *         `cow` (PAGE_MAPPING_DAX_COW with a count in ->index)
 *   6.12  every fault on the shared extent: PAGE_MAPPING_DAX_SHARED, ->share per sharer;
 *         no reference, no mapcount (devmap entries)
 *   7.3   folio: the second sharer makes it shared (mapping NULL, share 2), order kept;
 *         one reference and one mapcount per mapping; the last share resets the order
 */
import { describe, expect, it } from 'vitest';
import type { Op, VmaRef } from '../../src/events/op.ts';
import { runOps } from '../../src/engine/runner.ts';
import { modelFor } from '../../src/models/index.ts';
import { PAGE_MAPPING_DAX_SHARED } from '../../src/state/page.ts';
import { folio } from '../fixtures/corpus.ts';

const REG: Op = { seq: 1, type: 'pgmap.register', pgmap: 'pmem0', pgmapType: 'fsdax', pfn: 0x80000, nr: 0x20000, vmemmapShift: 0 };
const P = 0x80400; // S and C pgoff 0: copied by C's write
const Q = 0x80401; // S and C pgoff 1: punched from C, then from S
const N = 0x80a00; // C's copy of pgoff 0
const H = 0x80600; // S and C pgoff 0x200: one PMD block
const vS: VmaRef = { start: 0x7f0000000000, end: 0x7f0000010000, shared: true, file: 'S', pgoff: 0 };
const vC: VmaRef = { start: 0x7f1000000000, end: 0x7f1000010000, shared: true, file: 'C', pgoff: 0 };
const vSH: VmaRef = { start: 0x7f0000200000, end: 0x7f0000400000, shared: true, file: 'S', pgoff: 0x200 };
const vCH: VmaRef = { start: 0x7f1000200000, end: 0x7f1000400000, shared: true, file: 'C', pgoff: 0x200 };

const fault = (seq: number, v: VmaRef, pgoff: number, pfn: number, write: boolean, reflink: boolean): Op => ({
  seq, type: 'dax.fault', mm: 'A', vma: v, address: v.start + (pgoff - v.pgoff!) * 4096, file: v.file!, pgoff, pfn, level: pgoff >= 0x200 ? 'pmd' : 'pte', write, vmaShared: true, reflink,
});
const punch = (seq: number, file: string, pgoff: number): Op => ({ seq, type: 'fs.truncate', file, fs: 'xfs', start: pgoff, end: pgoff });
const truncate = (seq: number, file: string): Op => ({ seq, type: 'fs.truncate', file, fs: 'xfs', start: 0 });

/** The PTE story; `readShared` is whether the filesystem reports a read fault's extent as shared. */
function pteOps(readShared: boolean): Op[] {
  return [
    REG,
    fault(2, vS, 0, P, false, readShared), fault(3, vS, 1, Q, false, readShared),
    fault(4, vC, 0, P, false, readShared), fault(5, vC, 1, Q, false, readShared),
    fault(6, vC, 0, N, true, true), // CoW: the new block comes back IOMAP_F_SHARED (xfs out_found_cow)
    punch(7, 'C', 1), punch(8, 'S', 1),
  ];
}
const pmdOps: Op[] = [REG, fault(2, vSH, 0x200, H, false, true), fault(3, vCH, 0x200, H, false, true), truncate(4, 'C'), truncate(5, 'S')];

/** State after the first n Ops. */
const after = (profile: string, ops: readonly Op[], n: number) => runOps(modelFor(profile), ops.slice(0, n));

describe('unified@7.3: shared folios', () => {
  const ops = pteOps(true);
  it('the first read associates plainly: R=1 M=1, mapping S', () => {
    expect(folio(after('unified@7.3', ops, 2).state, P)).toMatchObject({ refcount: 1, mapcount: 1, mapping: 'S', index: 0, order: 0 });
  });
  it('the clone\'s read makes it shared (dax_folio_make_shared, share++): R=2 M=2, mapping NULL, share 2', () => {
    expect(folio(after('unified@7.3', ops, 4).state, P)).toMatchObject({ refcount: 2, mapcount: 2, mapping: null, index: 2 });
  });
  it('the CoW write unmaps C\'s PTE (R=1 M=1, share 1) and maps the copy (R=1 M=1, mapping C)', () => {
    const { state, findings } = after('unified@7.3', ops, 6);
    expect(folio(state, P)).toMatchObject({ refcount: 1, mapcount: 1, mapping: null, index: 1 });
    expect(folio(state, N)).toMatchObject({ refcount: 1, mapcount: 1, mapping: 'C', index: 0 });
    expect(findings).toEqual([]);
  });
  it('punching C (the whole file is broken in 7.3) frees the copy and drops one share of Q', () => {
    const { state } = after('unified@7.3', ops, 7);
    expect(folio(state, N)).toMatchObject({ refcount: 0, mapcount: 0, mapping: null });
    expect(folio(state, Q)).toMatchObject({ refcount: 1, mapcount: 1, mapping: null, index: 1 });
  });
  it('punching the last sharer resets the folios (share 0, mapping NULL) at R=0', () => {
    const { state, findings } = after('unified@7.3', ops, 8);
    for (const pfn of [P, Q]) expect(folio(state, pfn)).toMatchObject({ refcount: 0, mapcount: 0, mapping: null, index: 0, order: 0 });
    expect(findings).toEqual([]);
  });
  it('a shared PMD keeps its order: R=2, entire 2, share 2; one sharer gone R=1; the last resets it to order 0', () => {
    expect(folio(after('unified@7.3', pmdOps, 3).state, H)).toMatchObject({ order: 9, refcount: 2, entire: 2, mapping: null, index: 2 });
    expect(folio(after('unified@7.3', pmdOps, 4).state, H)).toMatchObject({ order: 9, refcount: 1, entire: 1, mapping: null, index: 1 });
    expect(folio(after('unified@7.3', pmdOps, 5).state, H)).toMatchObject({ order: 0, refcount: 0, entire: 0, mapping: null, index: 0 });
  });
});

describe('legacy@6.12: PAGE_MAPPING_DAX_SHARED per 4 KiB page', () => {
  const ops = pteOps(true);
  it('every fault on the shared extent counts a sharer (dax_page_share_get), r=1 m=0 throughout', () => {
    expect(folio(after('legacy@6.12', ops, 2).state, P)).toMatchObject({ refcount: 1, mapcount: 0, mapping: PAGE_MAPPING_DAX_SHARED, index: 1 });
    expect(folio(after('legacy@6.12', ops, 4).state, P)).toMatchObject({ refcount: 1, mapcount: 0, mapping: PAGE_MAPPING_DAX_SHARED, index: 2 });
  });
  it('the CoW write puts one share of the old page and shares the copy', () => {
    const { state, findings } = after('legacy@6.12', ops, 6);
    expect(folio(state, P)).toMatchObject({ refcount: 1, mapping: PAGE_MAPPING_DAX_SHARED, index: 1 });
    expect(folio(state, N)).toMatchObject({ refcount: 1, mapping: PAGE_MAPPING_DAX_SHARED, index: 1 });
    expect(findings).toEqual([]);
  });
  it('punching one sharer keeps the mark (share 1); the last clears it', () => {
    expect(folio(after('legacy@6.12', ops, 7).state, Q)).toMatchObject({ refcount: 1, mapping: PAGE_MAPPING_DAX_SHARED, index: 1 });
    const { state, findings } = after('legacy@6.12', ops, 8);
    expect(folio(state, Q)).toMatchObject({ refcount: 1, mapping: null, index: 0 });
    expect(findings).toEqual([]);
  });
  it('a PMD entry shares each of its 512 pages; order stays 0', () => {
    const { state } = after('legacy@6.12', pmdOps, 3);
    for (const pfn of [H, H + 1, H + 511]) expect(folio(state, pfn)).toMatchObject({ order: 0, refcount: 1, mapping: PAGE_MAPPING_DAX_SHARED, index: 2 });
    expect(folio(after('legacy@6.12', pmdOps, 5).state, H + 7)).toMatchObject({ mapping: null, index: 0 });
  });
});

describe('legacy@6.1: reads are not shared, the CoW write is', () => {
  const ops = pteOps(false);
  it('the clone\'s read WARNs (WARN_ON_ONCE(page->mapping)), once per entry, and takes the page over', () => {
    const { state, findings } = after('legacy@6.1', ops, 5);
    expect(findings.map((f) => [f.code, f.pfn])).toEqual([['associate-mapped-page', P], ['associate-mapped-page', Q]]);
    expect(folio(state, P)).toMatchObject({ refcount: 1, mapping: 'C', index: 0 });
  });
  it('the CoW write disassociates the old page and marks the copy PAGE_MAPPING_DAX_COW with count 1', () => {
    const { state } = after('legacy@6.1', ops, 6);
    expect(folio(state, P)).toMatchObject({ refcount: 1, mapping: null, index: 0 });
    expect(folio(state, N)).toMatchObject({ refcount: 1, mapping: PAGE_MAPPING_DAX_SHARED, index: 1 });
  });
  it('fs/dax.c alone: a read fault on an extent reported shared is still not `cow` before v6.2', () => {
    const { state, findings } = after('legacy@6.1', pteOps(true), 4);
    expect(folio(state, P)).toMatchObject({ mapping: 'C' });
    expect(findings.map((f) => f.code)).toEqual(['associate-mapped-page']);
    expect(findings[0]!.message).toContain('dax_fault_is_cow() needs IOMAP_WRITE');
  });
  it('the COW mark outlives a put at count 1 (page->index-- > 0 post-decrement)', () => {
    const ops61: Op[] = [REG, fault(2, vC, 0, N, true, true), truncate(3, 'C')];
    const { state } = after('legacy@6.1', ops61, 3);
    expect(folio(state, N)).toMatchObject({ mapping: PAGE_MAPPING_DAX_SHARED, index: 0 });
    expect(folio(after('legacy@6.12', ops61, 3).state, N)).toMatchObject({ mapping: null, index: 0 });
  });
});
