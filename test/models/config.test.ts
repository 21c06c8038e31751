/**
 * Kernel config as part of the profile (issue #7): what a fault can map follows
 * CONFIG_TRANSPARENT_HUGEPAGE and CONFIG_FS_DAX_PMD, and a device-dax instance maps at
 * exactly its alignment (drivers/dax/device.c: a smaller fault is SIGBUS, a larger one
 * falls back).
 */
import { describe, expect, it } from 'vitest';
import type { Op, VmaRef } from '../../src/events/op.ts';
import { runOps } from '../../src/engine/runner.ts';
import { createModel, resolveProfile } from '../../src/models/index.ts';

const vma: VmaRef = { start: 0x7f0000000000, end: 0x7f0040000000, shared: true, file: 'dax0.0', pgoff: 0 };
const fsdax: Op = { seq: 1, type: 'pgmap.register', pgmap: 'pmem0', pgmapType: 'fsdax', pfn: 0x40000, nr: 0x20000, vmemmapShift: 0 };
const devdax = (shift: number): Op => ({ seq: 1, type: 'pgmap.register', pgmap: 'dax0.0', pgmapType: 'generic', pfn: 0x140000, nr: 0x40000, vmemmapShift: shift });
const fault = (file: string, pfn: number, level: 'pte' | 'pmd' | 'pud', pgoff = 0): Op => ({
  seq: 2, type: 'dax.fault', mm: 'A', vma: { ...vma, file }, address: vma.start + pgoff * 4096, file, pgoff, pfn, level, write: true, vmaShared: true, reflink: false,
});
const levels = (profile: string, kconfig: Record<string, string>, ops: readonly Op[]): string[] => {
  const { state } = runOps(createModel(resolveProfile(profile, { kconfig })), ops);
  return [...(state.world.ptes.get('A')?.values() ?? [])].map((p) => `${p.level}:${p.pfn.toString(16)}`);
};

describe.each(['legacy@6.12', 'unified@7.2'])('%s', (profile) => {
  it('an FS DAX PMD fault maps a PMD with THP and FS_DAX_PMD, else the faulting page by PTE', () => {
    const ops = [fsdax, fault('F', 0x48400, 'pmd', 3)];
    expect(levels(profile, {}, ops)).toEqual(['pmd:48400']);
    expect(levels(profile, { CONFIG_FS_DAX_PMD: 'n' }, ops)).toEqual(['pte:48403']);
    expect(levels(profile, { CONFIG_TRANSPARENT_HUGEPAGE: 'n' }, ops)).toEqual(['pte:48403']);
  });
  it('a 1 GiB-aligned device-dax instance maps a PUD, and nothing without THP (SIGBUS below its alignment)', () => {
    const ops = [devdax(18), fault('dax0.0', 0x140000, 'pud')];
    expect(levels(profile, {}, ops)).toEqual(['pud:140000']);
    expect(levels(profile, { CONFIG_TRANSPARENT_HUGEPAGE: 'n' }, ops)).toEqual([]);
    const { events } = runOps(createModel(resolveProfile(profile, { kconfig: { CONFIG_TRANSPARENT_HUGEPAGE: 'n' } })), ops);
    expect(events.find((e) => e.type === 'exit' && e.fn === 'dev_dax_huge_fault')).toMatchObject({ ret: 0x2 });
  });
  it('a PUD fault on a 2 MiB-aligned instance falls back to a PMD', () => {
    expect(levels(profile, {}, [devdax(9), fault('dax0.0', 0x140000, 'pud', 0x203)])).toEqual(['pmd:140200']);
  });
});
