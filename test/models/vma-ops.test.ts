/**
 * The VMA operations of issue #12 on a DAX PMD mapping, with the counts each kernel
 * leaves (both families; legacy entries are devmap and hold nothing):
 *
 *   mremap move (aligned)       move_huge_pmd(): the entry moves, no count changes
 *   mremap move (unaligned)     split_huge_pmd() first: the file PMD is cleared (unified −1 ref, entire 0)
 *   mremap grow in place        the VMA grows; entries untouched
 *   madvise(DONTNEED) part      zap_pmd_range() → __split_huge_pmd(): cleared; the VMA stays
 *   madvise(DONTNEED) whole     zap_huge_pmd(); a later fault maps again
 *   mprotect part               change_pmd_range() → __split_huge_pmd(): cleared
 *   mprotect read, then write   entries write-protected, counts unchanged; a write faults again
 *   munmap part                 the split then the zap of what is inside (existing munmap)
 *   fork, child faults, exit    copy_page_range() copies nothing of a shared VMA; the child's
 *                               faults take their own reference and mapcount (unified); exit drops them
 */
import { describe, expect, it } from 'vitest';
import type { Op, VmaRef } from '../../src/events/op.ts';
import { runOps } from '../../src/engine/runner.ts';
import { modelFor } from '../../src/models/index.ts';
import { parseDax } from '../../src/scenario/parser.ts';
import { folio } from '../fixtures/corpus.ts';

const REG: Op = { seq: 1, type: 'pgmap.register', pgmap: 'pmem0', pgmapType: 'fsdax', pfn: 0x40000, nr: 0x20000, vmemmapShift: 0 };
const H = 0x48400;
const M = 2 * 1024 * 1024;
const v: VmaRef = { start: 0x7f0000000000, end: 0x7f0000000000 + 2 * M, shared: true, file: 'F', pgoff: 0 };
const pmdFault = (seq: number, mm = 'A', at = v.start, write = false): Op => ({ seq, type: 'dax.fault', mm, vma: v, address: at, file: 'F', pgoff: 0, pfn: H, level: 'pmd', write, vmaShared: true, reflink: false });
const U = 'unified@7.3';
const L = 'legacy@6.12';
const run = (profile: string, ops: readonly Op[]) => runOps(modelFor(profile), ops);
const entries = (r: ReturnType<typeof run>, mm = 'A') => [...(r.state.world.ptes.get(mm)?.values() ?? [])].map((p) => ({ addr: p.addr, level: p.level, pfn: p.pfn, write: p.write }));

describe('mremap', () => {
  const to = 0x7f1000000000;
  const moved: Op[] = [REG, pmdFault(2), { seq: 3, type: 'mremap', mm: 'A', start: v.start, end: v.start + M, newStart: to, newEnd: to + M }];
  it.each([[U, 1, 1], [L, 1, 0]])('%s: an aligned move carries the PMD (move_huge_pmd), R=%i, entire %i unchanged', (profile, ref, entire) => {
    const r = run(profile, moved);
    expect(entries(r)).toEqual([{ addr: to, level: 'pmd', pfn: H, write: false }]);
    expect(folio(r.state, H)).toMatchObject({ refcount: ref, entire, order: profile === U ? 9 : 0 });
    expect(r.state.world.vmas.get('A')!.find((x) => x.start === to)).toMatchObject({ end: to + M, file: 'F', pgoff: 0 });
    expect(r.events.filter((e) => e.op === 3 && (e.type === 'mod' || e.type === 'mod_and_test' || e.type === 'remove_rmap'))).toEqual([]);
  });
  it('an unaligned move splits first: unified R=0, entire 0 (the PMD is cleared, nothing moved); legacy only the entry', () => {
    const odd: Op[] = [REG, pmdFault(2), { seq: 3, type: 'mremap', mm: 'A', start: v.start, end: v.start + M, newStart: to + 4096, newEnd: to + 4096 + M }];
    const u = run(U, odd);
    expect(entries(u)).toEqual([]);
    expect(folio(u.state, H)).toMatchObject({ refcount: 0, entire: 0, order: 9 });
    expect(entries(run(L, odd))).toEqual([]);
  });
  it('a grow in place keeps the entry and extends the VMA', () => {
    const grow: Op[] = [REG, pmdFault(2), { seq: 3, type: 'mremap', mm: 'A', start: v.start, end: v.start + M, newStart: v.start, newEnd: v.start + 4 * M }];
    const u = run(U, grow);
    expect(entries(u)).toEqual([{ addr: v.start, level: 'pmd', pfn: H, write: false }]);
    expect(folio(u.state, H)).toMatchObject({ refcount: 1, entire: 1 });
    expect(u.state.world.vmas.get('A')!.some((x) => x.start === v.start && x.end === v.start + 4 * M)).toBe(true);
  });
});

describe('madvise(MADV_DONTNEED)', () => {
  it.each([[U, 0], [L, 1]])('%s: 64 KiB inside the PMD splits (clears) it; the VMA stays; R=%i', (profile, ref) => {
    const r = run(profile, [REG, pmdFault(2), { seq: 3, type: 'madvise', mm: 'A', start: v.start + 64 * 1024, end: v.start + 128 * 1024, advice: 'dontneed' }]);
    expect(entries(r)).toEqual([]);
    expect(folio(r.state, H)).toMatchObject({ refcount: ref, entire: 0 });
    expect(r.state.world.vmas.get('A')).toMatchObject([{ start: v.start, end: v.end }]);
    if (profile === U) expect(r.events.filter((e) => e.op === 3 && e.type === 'enter').map((e) => (e as { fn: string }).fn)).toContain('__split_huge_pmd_locked');
  });
  it('the whole PMD: zap_huge_pmd(); a second fault maps it again (unified R=1, entire 1)', () => {
    const ops: Op[] = [REG, pmdFault(2), { seq: 3, type: 'madvise', mm: 'A', start: v.start, end: v.start + M, advice: 'dontneed' }, pmdFault(4)];
    const z = run(U, ops.slice(0, 3));
    expect(z.events.filter((e) => e.op === 3 && e.type === 'enter').map((e) => (e as { fn: string }).fn)).toContain('zap_huge_pmd');
    expect(folio(z.state, H)).toMatchObject({ refcount: 0, entire: 0, order: 9, mapping: 'F' });
    expect(folio(run(U, ops).state, H)).toMatchObject({ refcount: 1, entire: 1, order: 9 });
  });
});

describe('mprotect', () => {
  it.each([[U, 0], [L, 1], ['legacy@6.1', 1]])('%s: 4 KiB inside the PMD splits (clears) it: R=%i', (profile, ref) => {
    const r = run(profile, [REG, pmdFault(2, 'A', v.start, true), { seq: 3, type: 'mprotect', mm: 'A', start: v.start + 4096, end: v.start + 8192, write: false }]);
    expect(entries(r)).toEqual([]);
    expect(folio(r.state, H)).toMatchObject({ refcount: ref, entire: 0 });
  });
  it('the whole mapping read-only: write-protected, counts unchanged; PROT_WRITE again changes nothing; the write faults (upgrade, no new reference)', () => {
    const ops: Op[] = [REG, pmdFault(2, 'A', v.start, true), { seq: 3, type: 'mprotect', mm: 'A', start: v.start, end: v.end, write: false },
      { seq: 4, type: 'mprotect', mm: 'A', start: v.start, end: v.end, write: true }, pmdFault(5, 'A', v.start, true)];
    const ro = run(U, ops.slice(0, 4));
    expect(entries(ro)).toEqual([{ addr: v.start, level: 'pmd', pfn: H, write: false }]);
    expect(folio(ro.state, H)).toMatchObject({ refcount: 1, entire: 1 });
    const w = run(U, ops);
    expect(entries(w)).toEqual([{ addr: v.start, level: 'pmd', pfn: H, write: true }]);
    expect(folio(w.state, H)).toMatchObject({ refcount: 1, entire: 1 });
    expect(entries(run(L, ops.slice(0, 3)))).toEqual([{ addr: v.start, level: 'pmd', pfn: H, write: false }]);
  });
});

describe('munmap of part of a PMD, fork with the child faulting and exiting', () => {
  it.each([[U, 0], [L, 1]])('%s: munmap of 64 KiB inside the PMD splits (clears) it, R=%i; the rest of the VMA stays', (profile, ref) => {
    const r = run(profile, [REG, pmdFault(2), { seq: 3, type: 'munmap', mm: 'A', start: v.start + 64 * 1024, end: v.start + 128 * 1024 }]);
    expect(entries(r)).toEqual([]);
    expect(folio(r.state, H)).toMatchObject({ refcount: ref, entire: 0 });
  });
  it('unified: the child maps the PMD itself (R=2, entire 2) and its exit drops its own (R=1, entire 1); legacy 1/0 throughout', () => {
    const ops: Op[] = [REG, pmdFault(2), { seq: 3, type: 'fork', mm: 'A', child: 'C' }, pmdFault(4, 'C'), { seq: 5, type: 'exit', mm: 'C' }];
    expect(folio(run(U, ops.slice(0, 3)).state, H)).toMatchObject({ refcount: 1, entire: 1 });
    expect(folio(run(U, ops.slice(0, 4)).state, H)).toMatchObject({ refcount: 2, entire: 2 });
    expect(folio(run(U, ops).state, H)).toMatchObject({ refcount: 1, entire: 1, order: 9 });
    expect(folio(run(L, ops).state, H)).toMatchObject({ refcount: 1, entire: 0 });
    expect(run(U, ops).findings).toEqual([]);
  });
});

describe('the scenario language spells them', () => {
  it('mremap … to …, madvise … dontneed, mprotect … read|write; a moved mapping resolves F+OFF at its new place', () => {
    const r = parseDax([
      'process A', 'pgmap pmem0 fsdax 0x40000 +512M', 'file F 0..4M -> 0x48400', 'A: mmap F 0..2M shared at 0x7f0000000000',
      'A: mremap 0x7f0000000000..0x7f0000200000 to 0x7f1000000000..0x7f1000400000', 'A: fault F pmd',
      'A: madvise 0x7f1000010000..0x7f1000020000 dontneed', 'A: mprotect 0x7f1000000000..0x7f1000200000 read', '',
    ].join('\n'), 's.dax');
    if (!('ops' in r)) throw new Error(JSON.stringify(r.issues));
    expect(r.ops.slice(1)).toMatchObject([
      { type: 'mremap', start: 0x7f0000000000, end: 0x7f0000200000, newStart: 0x7f1000000000, newEnd: 0x7f1000400000 },
      { type: 'dax.fault', address: 0x7f1000000000, level: 'pmd' },
      { type: 'madvise', start: 0x7f1000010000, end: 0x7f1000020000, advice: 'dontneed' },
      { type: 'mprotect', write: false },
    ]);
  });
});
