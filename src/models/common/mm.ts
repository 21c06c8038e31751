/**
 * Queries over the sim-only world (VMAs, page tables, DAX xarray) that the mm and
 * fs paths make: vma lookup, mapping_mapped(), the PTEs that map a folio or a file
 * range (what unmap_mapping_pages() reaches through i_mmap).
 */
import { PAGE_SIZE, levelOrder } from '../../kernel/constants.ts';
import type { Pte, Vma, World, XaEntry } from '../../state/world.ts';

/** A page-table entry with the mm it belongs to. */
export interface MmPte {
  readonly mm: string;
  readonly pte: Pte;
}

/** find_vma(): the VMA of `mm` containing addr. */
export function vmaAt(world: World, mm: string, addr: number): Vma | undefined {
  const list = world.vmas.get(mm);
  if (list === undefined) return undefined;
  // plain loops here and below: these scans run several times an Op, and a closure per call was most of their cost
  for (let i = 0; i < list.length; i++) {
    const v = list[i]!;
    if (addr >= v.start && addr < v.end) return v;
  }
  return undefined;
}

/** mapping_mapped(): some VMA (of any mm) maps the file. */
export function mappingMapped(world: World, file: string): boolean {
  for (const list of world.vmas.values()) {
    for (let i = 0; i < list.length; i++) if (list[i]!.file === file) return true;
  }
  return false;
}

/** Number of pages a PTE-table entry maps. */
export function entryPages(pte: Pte): number {
  return 2 ** levelOrder(pte.level);
}

/** The pages of the largest page-table leaf entry (a PUD). */
const MAX_ENTRY_PAGES = 2 ** levelOrder('pud');

/** Every present entry that maps some page of [pfn, pfn + nr). */
export function ptesMapping(world: World, pfn: number, nr: number): MmPte[] {
  const out: MmPte[] = [];
  const end = pfn + nr;
  for (const [mm, table] of world.ptes) {
    for (const pte of table.values()) {
      const p = pte.pfn;
      // no entry maps more than a PUD's pages: most entries end before pfn without asking their level
      if (p < 0 || p >= end || p + MAX_ENTRY_PAGES <= pfn) continue;
      if (pfn < p + entryPages(pte)) out.push({ mm, pte });
    }
  }
  return out;
}

/** Every present entry of `mm` inside [start, end). */
export function ptesInRange(world: World, mm: string, start: number, end: number): Pte[] {
  const table = world.ptes.get(mm);
  if (!table) return [];
  return [...table.values()].filter((p) => p.addr >= start && p.addr < end).sort((a, b) => a.addr - b.addr);
}

/** The entry of `mm` whose range covers addr (a PMD/PUD covers its whole range). */
export function pteCovering(world: World, mm: string, addr: number): Pte | undefined {
  const table = world.ptes.get(mm);
  if (!table) return undefined;
  for (const pte of table.values()) {
    const size = entryPages(pte) * PAGE_SIZE;
    if (addr >= pte.addr && addr < pte.addr + size) return pte;
  }
  return undefined;
}

/**
 * unmap_mapping_pages(mapping, start, nr): the entries of every VMA mapping `file`
 * whose file pages overlap pgoffs [start, end].
 */
export function ptesOfFileRange(world: World, file: string, start: number, end: number): MmPte[] {
  const out: MmPte[] = [];
  for (const [mm, vmas] of world.vmas) {
    for (const v of vmas) {
      if (v.file !== file) continue;
      for (const pte of ptesInRange(world, mm, v.start, v.end)) {
        const pgoff = v.pgoff + Math.floor((pte.addr - v.start) / PAGE_SIZE);
        if (pgoff <= end && start <= pgoff + entryPages(pte) - 1) out.push({ mm, pte });
      }
    }
  }
  return out;
}

/**
 * unmap_mapping_pages() → unmap_mapping_range_tree(): the entries of [start, end] in
 * each VMA mapping `file`, one group per VMA in i_mmap order (the interval tree is keyed
 * by vm_pgoff), since each VMA is zapped by its own zap_page_range_single(), with its own
 * mmu_gather and TLB flush.
 */
export function ptesOfFileRangeByVma(world: World, file: string, start: number, end: number): MmPte[][] {
  const vmas: { mm: string; v: Vma }[] = [];
  for (const [mm, list] of world.vmas) for (const v of list) if (v.file === file) vmas.push({ mm, v });
  vmas.sort((a, b) => a.v.pgoff - b.v.pgoff || a.v.start - b.v.start);
  const out: MmPte[][] = [];
  for (const { mm, v } of vmas) {
    const group = ptesInRange(world, mm, v.start, v.end)
      .filter((pte) => {
        const pgoff = v.pgoff + Math.floor((pte.addr - v.start) / PAGE_SIZE);
        return pgoff <= end && start <= pgoff + entryPages(pte) - 1;
      })
      .map((pte) => ({ mm, pte }));
    if (group.length > 0) out.push(group);
  }
  return out;
}

/** The DAX entry covering pgoff (an order-0 entry at pgoff or a PMD entry around it). */
export function xaLookup(world: World, file: string, pgoff: number): XaEntry | undefined {
  const xa = world.xa.get(file);
  if (!xa) return undefined;
  const exact = xa.get(pgoff);
  if (exact) return exact;
  for (const e of xa.values()) if (pgoff >= e.pgoff && pgoff < e.pgoff + 2 ** e.order) return e;
  return undefined;
}

/** The file's DAX entries overlapping pgoffs [start, end], in index order. */
export function xaRange(world: World, file: string, start: number, end: number): XaEntry[] {
  const xa = world.xa.get(file);
  if (!xa) return [];
  return [...xa.values()].filter((e) => e.pgoff <= end && start <= e.pgoff + 2 ** e.order - 1).sort((a, b) => a.pgoff - b.pgoff);
}
