/**
 * The lifted Op stream of events/traces/k612-ext4-daxwork.trace.txt (Debian 6.12,
 * stock), checked by hand against the trace for its first phases:
 *
 *   pmd_read_fault        L134 dax_pmd_fault … dax_pmd_load_hole            → hole read (huge zero page)
 *   pmd_write_fault       L140 dax_pmd_fault WRITE, vmf_insert_pfn_pmd 0x48600 → PMD fault
 *   pmd_write_after_read  L146 dax_pmd_fault pgoff 1, zap of the zero PMD, vmf_insert_pfn_pmd 0x48400
 *   pte_read_fault        L153 insert_pfn pfn_t=0x373e (the zero page) + dax_load_hole → hole read
 *   pte_write_after_read  L160 WRITE|MKWRITE, insert_pfn 0x48050                → PTE fault
 *   pte_write_fault       L167/172/177 0x48051..0x48053                          → PTE faults
 *   gup_pin (PTE)         L192/193 try_grab_folio ×2 flags=0x2d0000 (FOLL_PIN) → one pin of 2 pages
 *                         L194 unpin_user_pages n=2                             → unpin
 *   gup_pin (PMD)         L205–208 follow_devmap_pmd + try_grab_folio per 4 KiB page → one pin of 2
 *                         (the Op's line is its first record, the walker at L205)
 *                         L209 unpin_user_pages n=2                             → unpin
 *   odirect_read_into_dax L220/226 faults inside slow GUP, L225/231 try_grab_folio flags=0x290001
 *                         (FOLL_PIN|FOLL_WRITE), L232 __bio_release_pages → unpin_user_folio ×2
 *                                                                               → dio.grab ×2, dio.release ×2
 */
import { describe, expect, it } from 'vitest';
import { liftNamed } from './fixtures.ts';

const PMD_VMA = { start: 0x7f7c70600000, end: 0x7f7c70a00000, shared: true, file: '259:0/0xc', pgoff: 0 };

describe('lifting k612-ext4-daxwork (legacy, stock)', async () => {
  const t = await liftNamed('k612-ext4-daxwork.trace.txt');

  it('lifts the first phases to exactly the hand-checked Ops', () => {
    const head = t.ops.slice(0, 13).map((op) => {
      // PTE faults print no vm_start: their VMA is an estimate, checked elsewhere
      if ((op.type === 'dax.fault' || op.type === 'dax.hole_read') && op.address >= 0x7f7c70c00000) {
        const { vma: _vma, ...rest } = op;
        return rest;
      }
      return op;
    });
    expect(head).toEqual([
      { seq: 1, type: 'pgmap.register', pgmap: 'pmem0', pgmapType: 'fsdax', pfn: 0x40000, nr: 0x20000, vmemmapShift: 0 },
      { seq: 2, type: 'dax.hole_read', line: 134, mm: 'mm:415', vma: PMD_VMA, address: 0x7f7c70600000, file: '259:0/0xc', pgoff: 0 },
      { seq: 3, type: 'dax.fault', line: 140, mm: 'mm:415', vma: PMD_VMA, address: 0x7f7c70800000, file: '259:0/0xc', pgoff: 0x200, pfn: 0x48600, level: 'pmd', write: true, vmaShared: true, reflink: false },
      { seq: 4, type: 'dax.fault', line: 146, mm: 'mm:415', vma: PMD_VMA, address: 0x7f7c70601000, file: '259:0/0xc', pgoff: 1, pfn: 0x48400, level: 'pmd', write: true, vmaShared: true, reflink: false },
      { seq: 5, type: 'dax.hole_read', line: 153, mm: 'mm:415', address: 0x7f7c70c00000, file: '259:0/0xd', pgoff: 0 },
      { seq: 6, type: 'dax.fault', line: 160, mm: 'mm:415', address: 0x7f7c70c00000, file: '259:0/0xd', pgoff: 0, pfn: 0x48050, level: 'pte', write: true, vmaShared: true, reflink: false },
      { seq: 7, type: 'dax.fault', line: 167, mm: 'mm:415', address: 0x7f7c70c01000, file: '259:0/0xd', pgoff: 1, pfn: 0x48051, level: 'pte', write: true, vmaShared: true, reflink: false },
      { seq: 8, type: 'dax.fault', line: 172, mm: 'mm:415', address: 0x7f7c70c02000, file: '259:0/0xd', pgoff: 2, pfn: 0x48052, level: 'pte', write: true, vmaShared: true, reflink: false },
      { seq: 9, type: 'dax.fault', line: 177, mm: 'mm:415', address: 0x7f7c70c03000, file: '259:0/0xd', pgoff: 3, pfn: 0x48053, level: 'pte', write: true, vmaShared: true, reflink: false },
      { seq: 10, type: 'gup.pin', line: 192, mm: 'mm:415', pfn: 0x48050, nr: 2, fast: false, longterm: false },
      { seq: 11, type: 'unpin', line: 194, pfn: 0x48050, nr: 2 },
      { seq: 12, type: 'gup.pin', line: 205, mm: 'mm:415', pfn: 0x48600, nr: 2, fast: false, longterm: false },
      { seq: 13, type: 'unpin', line: 209, pfn: 0x48600, nr: 2 },
    ]);
  });

  it('estimates a PTE fault VMA with file page 0 at its start, growing with the faults', () => {
    const faults = t.ops.filter((op) => op.type === 'dax.fault' && op.level === 'pte');
    expect(faults[0]).toMatchObject({ vma: { start: 0x7f7c70c00000, pgoff: 0, shared: true, file: '259:0/0xd' } });
    const last = faults[faults.length - 1];
    expect(last?.type === 'dax.fault' && last.vma.end).toBe(0x7f7c70c09000);
  });

  it('lifts O_DIRECT as fault, grab, fault, grab, then one dio.release per unpin_user_folio() of the bio release', () => {
    // the pins are known to be the bio's only at __bio_release_pages(): held until then (pending.ts)
    expect(t.ops.slice(13, 19).map((op) => [op.type, op.line, 'pfn' in op ? op.pfn : null])).toEqual([
      ['dax.fault', 220, 0x48054], ['dio.grab', 225, 0x48054], ['dax.fault', 226, 0x48055], ['dio.grab', 231, 0x48055],
      ['dio.release', 233, 0x48054], ['dio.release', 238, 0x48055],
    ]);
    expect(t.ops[14]).toEqual({ seq: 15, type: 'dio.grab', line: 225, mm: 'mm:415', pfn: 0x48054, nr: 1, fast: false, write: true });
  });

  it('places the hole punch that sleeps on the busy page before the child\'s put that wakes it', () => {
    const rest = t.ops.slice(19).map((op) => ({ type: op.type, line: op.line }));
    expect(rest).toEqual([
      { type: 'dax.fault', line: 243 },
      { type: 'gup.get', line: 250 },
      { type: 'fs.truncate', line: 254 },
      { type: 'put', line: 259 },
      { type: 'munmap', line: 272 },
      { type: 'fs.truncate', line: 276 },
      { type: 'fs.truncate', line: 293 },
    ]);
    expect(t.ops[20]).toEqual({ seq: 21, type: 'gup.get', line: 250, mm: 'mm:415', pfn: 0x48058, nr: 1, fast: true });
    // legacy truncate_inode_pages_range() deletes the punched index only; the file is resolved
    // from the address_space pointer its faults' dax_disassociate_entry() printed
    expect(t.ops[21]).toEqual({ seq: 22, type: 'fs.truncate', line: 254, file: '259:0/0xd', start: 8, end: 8, fs: 'ext4' });
    expect(t.ops[22]).toEqual({ seq: 23, type: 'put', line: 259, pfn: 0x48058, nr: 1, via: 'put_page' });
    // the punching task's next Op (its munmap) and next break name its last break: its wait is over by then (Op.endsWait)
    expect(t.ops[23]).toEqual({ seq: 24, type: 'munmap', line: 272, mm: 'mm:415', start: 0x7f7c70600000, end: 0x7f7c70a00000, endsWait: 22 });
    expect(t.ops[24]).toEqual({ seq: 25, type: 'fs.truncate', line: 276, file: '259:0/0xd', start: 0, end: 5, fs: 'ext4' });
    expect(t.ops[25]).toEqual({ seq: 26, type: 'fs.truncate', line: 293, file: '259:0/0xc', start: 0, end: 0x200, fs: 'ext4', endsWait: 25 });
  });

  it('maps each Op line to the phase it ran in', () => {
    expect(t.phases.get(140)).toBe('pmd_write_fault');
    expect(t.phases.get(254)).toBe('punch_hole_busy_page');
    expect(t.phases.get(259)).toBe('child_drain_pipe');
    expect(t.phaseList.map((p) => p.word)).toHaveLength(19);
    expect(t.phaseList[0]).toMatchObject({ word: 'pmd_read_fault', ordinal: 1, line: 132, fromSnap: true });
  });

  it('states that a stock legacy probe set cannot see a PTE unmap', () => {
    expect(t.observability.kinds['munmap:pte']).toBe('none');
    expect(t.observability.kinds['munmap:pmd']).toBe('full');
    expect(t.observability.kinds.put).toBe('full');
    expect(t.observability.reasons['munmap:pte']).toContain('zap_pte_range');
  });
});
