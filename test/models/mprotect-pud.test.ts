/**
 * mprotect() of a device-dax 1 GiB PUD mapping, per kernel (mm/mprotect.c
 * change_pud_range() of the Debian 6.1.192, 6.12.118 and 7.3.4 sources):
 *
 *   6.1-6.11  pud_none_or_clear_bad() only: x86 pud_bad() takes the leaf PUD for a bad
 *             table and clears it, whether the range covers or cuts it ("bad pud" in the
 *             log); a legacy device-dax map took no count, so none changes; the next
 *             access faults again
 *   6.12+     "mm/mprotect: fix dax pud handlings": a whole PUD is changed in place
 *             (change_huge_pud()), a cut one split (__split_huge_pud(): legacy clears the
 *             entry; 7.3's __split_huge_pud_locked() of a DAX VMA also removes the rmap
 *             and puts the folio)
 *
 * and of a PMD, which every version splits when the range cuts it (__split_huge_pmd():
 * 6.1 and 6.12 clear a DAX entry, vma_is_special_huge(); 7.3's removes the rmap and puts).
 */
import { describe, expect, it } from 'vitest';
import type { Op, VmaRef } from '../../src/events/op.ts';
import { runOps } from '../../src/engine/runner.ts';
import { modelFor } from '../../src/models/index.ts';
import { folio } from '../fixtures/corpus.ts';

const G = 2 ** 30;
const HEAD = 0x140000;
const REG: Op = { seq: 1, type: 'pgmap.register', pgmap: 'dax0.0', pgmapType: 'generic', pfn: 0x100000, nr: 0x80000, vmemmapShift: 18 };
const v: VmaRef = { start: 0x7fec00000000, end: 0x7fec00000000 + G, shared: true, file: 'dax0.0', pgoff: 0x40000 };
const pudFault = (seq: number, write = true): Op => ({ seq, type: 'dax.fault', mm: 'A', vma: v, address: v.start, file: 'dax0.0', pgoff: 0x40000, pfn: HEAD, level: 'pud', write, vmaShared: true, reflink: false });
const whole = (seq: number, write: boolean): Op => ({ seq, type: 'mprotect', mm: 'A', start: v.start, end: v.end, write });
const part: Op = { seq: 3, type: 'mprotect', mm: 'A', start: v.start + 0x10000, end: v.start + 0x11000, write: false };
const run = (profile: string, ops: readonly Op[]) => runOps(modelFor(profile), ops);
const entries = (r: ReturnType<typeof run>) => [...(r.state.world.ptes.get('A')?.values() ?? [])].map((p) => ({ addr: p.addr, level: p.level, pfn: p.pfn, write: p.write }));
const fns = (r: ReturnType<typeof run>, seq: number) => r.events.filter((e) => e.op === seq && e.type === 'enter').map((e) => (e as { fn: string }).fn);

describe.each(['legacy@6.1', 'legacy@6.11'])('%s: change_pud_range() clears the device-dax PUD as a bad table', (profile) => {
  it('mprotect(PROT_READ) of the whole mapping: a pud-clear-bad warning, the entry gone, no count changed', () => {
    const r = run(profile, [REG, pudFault(2), whole(3, false)]);
    expect(r.findings.map((f) => [f.code, f.severity, f.pfn, f.function])).toEqual([['pud-clear-bad', 'warn', HEAD, 'pud_clear_bad']]);
    expect(r.findings[0]!.message).toBe("mprotect() of A at 0x7fec00000000: change_pud_range() takes the device PUD for a bad table (pud_none_or_clear_bad()) and clears it; no count changes, the next access faults again");
    expect(entries(r)).toEqual([]);
    expect(folio(r.state, HEAD)).toMatchObject({ refcount: 1, mapcount: 0, entire: 0 });
    expect(fns(r, 3)).toEqual(['change_protection', 'pud_clear_bad']);
  });
  it('read-only, a read fault, writable again: two warnings, as the 6.1 console\'s two bad puds; the next fault maps it again', () => {
    const r = run(profile, [REG, pudFault(2), whole(3, false), pudFault(4, false), whole(5, true), pudFault(6)]);
    expect(r.findings.map((f) => [f.code, f.seq])).toEqual([['pud-clear-bad', 3], ['pud-clear-bad', 5]]);
    expect(entries(r)).toEqual([{ addr: v.start, level: 'pud', pfn: HEAD, write: true }]);
    expect(folio(r.state, HEAD)).toMatchObject({ refcount: 1, entire: 0 });
  });
  it('4 KiB of it: the same clear (pud_none_or_clear_bad() runs before any range test)', () => {
    const r = run(profile, [REG, pudFault(2), part]);
    expect(r.findings.map((f) => f.code)).toEqual(['pud-clear-bad']);
    expect(entries(r)).toEqual([]);
  });
});

describe('legacy@6.12: change_pud_range() has a pud_leaf() case', () => {
  it('the whole mapping read-only: change_huge_pud() write-protects it in place, no warning', () => {
    const r = run('legacy@6.12', [REG, pudFault(2), whole(3, false)]);
    expect(r.findings).toEqual([]);
    expect(entries(r)).toEqual([{ addr: v.start, level: 'pud', pfn: HEAD, write: false }]);
    expect(fns(r, 3)).toEqual(['change_protection', 'change_huge_pud']);
  });
  it('4 KiB of it: __split_huge_pud() clears the devmap entry, no count changes, no warning', () => {
    const r = run('legacy@6.12', [REG, pudFault(2), part]);
    expect(r.findings).toEqual([]);
    expect(entries(r)).toEqual([]);
    expect(folio(r.state, HEAD)).toMatchObject({ refcount: 1, mapcount: 0, entire: 0 });
    expect(fns(r, 3)).toEqual(['change_protection', '__split_huge_pud']);
  });
});

describe('unified@7.3: change_huge_pud() / __split_huge_pud_locked()', () => {
  it('the whole mapping read-only: kept, write-protected, the folio\'s reference and entire mapcount stay', () => {
    const r = run('unified@7.3', [REG, pudFault(2), whole(3, false)]);
    expect(r.findings).toEqual([]);
    expect(entries(r)).toEqual([{ addr: v.start, level: 'pud', pfn: HEAD, write: false }]);
    expect(folio(r.state, HEAD)).toMatchObject({ refcount: 2, entire: 1 });
  });
  it('4 KiB of it: the split removes the rmap and puts the folio (R 2 → 1, entire 1 → 0)', () => {
    const r = run('unified@7.3', [REG, pudFault(2), part]);
    expect(r.findings).toEqual([]);
    expect(entries(r)).toEqual([]);
    expect(folio(r.state, HEAD)).toMatchObject({ refcount: 1, entire: 0 });
    expect(fns(r, 3)).toContain('__split_huge_pud_locked');
  });
});

describe('mremap() of a device-dax PUD: get_old_pud() clears it as a bad table in every kernel; what it leaves depends on what the map took', () => {
  const to = 0x7fed00000000;
  const moved = (seq: number): Op => ({ seq, type: 'mremap', mm: 'A', start: v.start, end: v.end, newStart: to, newEnd: to + G });
  it('legacy@6.1: vmf_insert_pfn_pud() took no reference or mapcount, so nothing is leaked', () => {
    const r = run('legacy@6.1', [REG, pudFault(2), moved(3)]);
    expect(r.findings.map((f) => [f.code, f.severity, f.pfn, f.function])).toEqual([['pud-clear-bad', 'warn', HEAD, 'pud_clear_bad']]);
    expect(r.findings[0]!.message).toBe('mremap() of A at 0x7fec00000000: get_old_pud() takes the device PUD for a bad table and clears it; no count changes (a legacy device-dax mapping took no reference or mapcount); the new address faults afresh');
    expect(folio(r.state, HEAD)).toMatchObject({ refcount: 1, entire: 0 });
  });
  it('unified@7.3: the reference and entire mapcount of the map stay with the folio (leaked)', () => {
    const r = run('unified@7.3', [REG, pudFault(2), moved(3)]);
    expect(r.findings[0]!.message).toBe('mremap() of A at 0x7fec00000000: get_old_pud() takes the device PUD for a bad table and clears it; the folio keeps the reference and mapcount the mapping took (leaked); the new address faults afresh');
    expect(folio(r.state, HEAD)).toMatchObject({ refcount: 2, entire: 1 });
  });
});
