/**
 * What the lifter learns about the recorded machine while it reads, model-free: the
 * device pfn ranges (from the header), which file page each device pfn backs and
 * which address maps it (from the faults), the VMAs the faults reveal, and which
 * `struct address_space *` / `struct inode *` pointers are which file (from the
 * probes that print them next to a pfn or a fault).
 */
import { PAGE_SIZE, PMD_ORDER, PUD_ORDER, levelOrder } from '../kernel/constants.ts';
import type { Level, PgmapType, VmaRef } from '../events/op.ts';
import { PendingGrabs } from './pending.ts';

/** A device pfn range the header names. */
export interface DeviceRange {
  readonly pgmap: string;
  readonly type: PgmapType;
  readonly pfn: number;
  readonly nr: number;
  readonly vmemmapShift: number;
}

interface Mapped {
  readonly pfn: number;
  readonly level: Level;
  /** The VMA is MAP_SHARED (a write to a private one copies the page). */
  readonly shared: boolean;
}

interface KnownVma {
  start: number;
  end: number;
  readonly file: string;
  readonly pgoff: number;
  readonly shared: boolean;
  /** Seen in a PMD fault event (vm_start/vm_end) rather than estimated. */
  readonly exact: boolean;
}

/** A fork waiting for its child's mm (the first task of the parent's name not seen before). */
export interface ForkChild {
  readonly parent: string;
  /** The parent's task name (a forked child keeps it). */
  readonly task: string;
  child: string | null;
  /** Decided: the child is known, or it was given up (the lifter's bound, the end of the trace). */
  settled: boolean;
}

/** The lifter's model-free picture of the recorded machine. */
export class LiftWorld {
  readonly ranges: readonly DeviceRange[];
  private readonly fileOf = new Map<number, { file: string; pgoff: number; order: number }>();
  private readonly ptes = new Map<string, Map<number, Mapped>>();
  private readonly vmas = new Map<string, KnownVma[]>();
  private readonly mappings = new Map<bigint, string>();
  private readonly inodes = new Map<bigint, bigint>();
  /** Forks whose child (its mm) is not yet known, oldest first (cow-builder.ts ForkBuilder). */
  readonly forks: ForkChild[] = [];
  /** GUP Ops not yet known to be plain GUP or an O_DIRECT bio's (see pending.ts). */
  readonly pending = new PendingGrabs((pfn) => this.headOf(pfn));

  constructor(ranges: readonly DeviceRange[]) {
    this.ranges = ranges;
  }

  /** True when pfn has a ZONE_DEVICE struct page of a registered range. */
  isDevicePfn(pfn: number): boolean {
    return this.ranges.some((r) => pfn >= r.pfn && pfn < r.pfn + r.nr);
  }

  /** Remembers a fault: pfn (the head for a PMD/PUD) backs file page pgoff and is mapped at addr. */
  recordFault(mm: string, addr: number, level: Level, pfn: number, file: string, pgoff: number, shared = true): void {
    const order = levelOrder(level);
    const base = order ? pgoff - (pgoff % 2 ** order) : pgoff;
    this.fileOf.set(pfn, { file, pgoff: base, order });
    let table = this.ptes.get(mm);
    if (!table) this.ptes.set(mm, (table = new Map<number, Mapped>()));
    const at = order ? addr - (addr % (2 ** order * PAGE_SIZE)) : addr;
    table.set(at, { pfn, level, shared });
  }

  /** The file a device pfn was faulted from (a PMD or PUD fault covers its pages). */
  fileOfPfn(pfn: number): string | undefined {
    return this.fileOf.get(pfn)?.file ?? this.hugeEntry(pfn, PMD_ORDER)?.file ?? this.hugeEntry(pfn, PUD_ORDER)?.file;
  }

  private hugeEntry(pfn: number, order: number): { file: string } | undefined {
    const e = this.fileOf.get(pfn - (pfn % 2 ** order));
    return e?.order === order ? e : undefined;
  }

  /** The head of the PMD/PUD block a fault mapped pfn in, else pfn itself. */
  headOf(pfn: number): number {
    for (const order of [PMD_ORDER, PUD_ORDER]) {
      const head = pfn - (pfn % 2 ** order);
      if (this.fileOf.get(head)?.order === order) return head;
    }
    return pfn;
  }

  /** True when pfn heads a PMD or PUD mapping some fault made (a large folio in a unified kernel). */
  isHugeHead(pfn: number): boolean {
    return (this.fileOf.get(pfn)?.order ?? 0) > 0;
  }

  /**
   * The address mapping pfn in mm (or in any mm), with its level; in mm, one inside
   * `within` (the VMA a probe names) first, since one mm can map a page twice.
   */
  addressOf(mm: string, pfn: number, within?: { readonly start: number; readonly end: number }): { readonly mm: string; readonly addr: number; readonly level: Level } | undefined {
    if (within !== undefined) {
      for (const [addr, e] of this.ptes.get(mm) ?? []) if (e.pfn === pfn && addr >= within.start && addr < within.end) return { mm, addr, level: e.level };
    }
    const search = [mm, ...[...this.ptes.keys()].filter((k) => k !== mm)];
    for (const m of search) {
      for (const [addr, e] of this.ptes.get(m) ?? []) if (e.pfn === pfn) return { mm: m, addr, level: e.level };
    }
    return undefined;
  }

  /** The entry mapping addr in mm, if a fault made one. */
  mappedAt(mm: string, addr: number): Mapped | undefined {
    const table = this.ptes.get(mm);
    if (!table) return undefined;
    const at = (order: number): number => addr - (addr % (2 ** order * PAGE_SIZE));
    const pmd = table.get(at(PMD_ORDER));
    const pud = table.get(at(PUD_ORDER));
    return table.get(addr) ?? (pmd?.level === 'pmd' ? pmd : undefined) ?? (pud?.level === 'pud' ? pud : undefined);
  }

  /** The page mapped at addr in mm (inside a huge entry, its subpage), if a fault mapped it. */
  pageAt(mm: string, addr: number): number | undefined {
    const m = this.mappedAt(mm, addr);
    if (m === undefined) return undefined;
    const size = 2 ** levelOrder(m.level) * PAGE_SIZE;
    return m.pfn + Math.floor((addr % size) / PAGE_SIZE);
  }

  /**
   * A fork's child gets the parent's VMAs and, of its private mappings, the entries
   * (copy_page_range() copies a private VMA's PTEs once it has anon pages; over-copying
   * here only lets a later copy-on-write in the child be recognised).
   */
  copyForFork(parent: string, child: string): void {
    const vmas = this.vmas.get(parent);
    if (vmas !== undefined) this.vmas.set(child, vmas.map((v) => ({ ...v })));
    const table = this.ptes.get(parent);
    if (table === undefined) return;
    const copy = new Map<number, Mapped>();
    for (const [a, e] of table) if (!e.shared && e.level === 'pte') copy.set(a, e);
    if (copy.size > 0) this.ptes.set(child, copy);
  }

  /** Forgets the entry at addr in mm (a copy-on-write replaced it with an anonymous page). */
  forgetAt(mm: string, addr: number): void {
    this.ptes.get(mm)?.delete(addr - (addr % PAGE_SIZE));
  }

  /** Forgets every entry mapping pfn (unmap_mapping_pages() of a layout break reaches all mms). */
  forgetPfn(pfn: number): void {
    for (const table of this.ptes.values()) for (const [a, e] of [...table]) if (e.pfn === pfn) table.delete(a);
  }

  /** Forgets the entries of mm in [start, end). */
  unmap(mm: string, start: number, end: number): void {
    const table = this.ptes.get(mm);
    if (table) for (const a of [...table.keys()]) if (a >= start && a < end) table.delete(a);
  }

  /** True when a fault mapped some entry of mm in [start, end). */
  hasEntries(mm: string, start: number, end: number): boolean {
    for (const a of this.ptes.get(mm)?.keys() ?? []) if (a >= start && a < end) return true;
    return false;
  }

  /** True when some entry a fault made in mm overlaps [start, end) (a huge one may start before it). */
  overlapsEntries(mm: string, start: number, end: number): boolean {
    for (const [a, e] of this.ptes.get(mm) ?? []) if (a < end && a + 2 ** levelOrder(e.level) * PAGE_SIZE > start) return true;
    return false;
  }

  /**
   * mprotect() of [start, end) (mprotect-builder.ts): change_protection() keeps every entry
   * except the huge ones it clears: a PMD or PUD the range cuts is split
   * (__split_huge_pmd()/__split_huge_pud() clear a file or DAX entry, nothing is
   * remapped), and before 6.12 (`pudLeaf` false) every PUD in the range is cleared as a
   * bad table (change_pud_range() → pud_none_or_clear_bad()). The next access faults.
   */
  protect(mm: string, start: number, end: number, pudLeaf: boolean): void {
    const table = this.ptes.get(mm);
    if (!table) return;
    for (const [a, e] of [...table]) {
      if (e.level === 'pte') continue;
      const size = 2 ** levelOrder(e.level) * PAGE_SIZE;
      if (a >= end || a + size <= start) continue;
      const cut = a < start || a + size > end;
      if (cut || (e.level === 'pud' && !pudLeaf)) table.delete(a);
    }
  }

  /**
   * mremap() of [start, end) to [newStart, newEnd) (mremap-builder.ts): move_page_tables()
   * carries each entry by the same offset (move_huge_pmd(), move_ptes()); a huge entry
   * whose new address is not aligned is split first, and a file PMD split is cleared
   * (__split_huge_pmd_locked()), so it is forgotten. A shrink in place drops the tail. The
   * VMAs the range cut follow, with the file offset of their part.
   */
  remap(mm: string, start: number, end: number, newStart: number, newEnd: number): void {
    const delta = newStart - start;
    const table = this.ptes.get(mm);
    if (table) {
      const moved: [number, Mapped][] = [];
      for (const [a, e] of [...table]) {
        if (a < start || a >= end) continue;
        table.delete(a);
        const size = 2 ** levelOrder(e.level) * PAGE_SIZE;
        if (a + delta >= newEnd || (e.level !== 'pte' && (a + delta) % size !== 0)) continue;
        moved.push([a + delta, e]);
      }
      for (const [a, e] of moved) table.set(a, e);
    }
    const list = this.vmas.get(mm);
    if (!list) return;
    const next: KnownVma[] = [];
    let head: KnownVma | undefined;
    for (const v of list) {
      if (v.end <= start || v.start >= end) {
        if (v.end <= newStart || v.start >= newEnd) next.push(v);
        continue;
      }
      if (v.start < start) next.push({ ...v, end: start });
      if (v.end > end) next.push({ ...v, start: end, pgoff: v.pgoff + (end - v.start) / PAGE_SIZE });
      if (head === undefined || v.start < head.start) head = v;
    }
    if (head !== undefined) next.push({ ...head, start: newStart, end: newEnd, pgoff: head.pgoff + (start - head.start) / PAGE_SIZE });
    this.vmas.set(mm, next);
  }

  /** A VMA seen exactly (dax_pmd_fault prints vm_start and vm_end). */
  noteVma(mm: string, start: number, end: number, file: string, pgoffAtStart: number, shared: boolean): void {
    const list = (this.vmas.get(mm) ?? []).filter((v) => v.end <= start || v.start >= end);
    list.push({ start, end, file, pgoff: pgoffAtStart, shared, exact: true });
    this.vmas.set(mm, list);
  }

  /**
   * The VMA of a fault at addr: one seen or estimated before, or an estimate that puts
   * file page 0 at the VMA's start (a PTE fault event prints no vm_start).
   */
  vmaFor(mm: string, addr: number, file: string, pgoff: number, shared: boolean): VmaRef {
    const list = this.vmas.get(mm) ?? [];
    const hit = list.find((v) => v.file === file && addr >= v.start && addr < v.end);
    if (hit) return { start: hit.start, end: hit.end, shared: hit.shared, file, pgoff: hit.pgoff };
    const startPg = Math.min(pgoff, Math.floor(addr / PAGE_SIZE));
    const start = addr - startPg * PAGE_SIZE;
    const grown = list.find((v) => !v.exact && v.file === file && v.start === start);
    if (grown) {
      grown.end = Math.max(grown.end, addr + PAGE_SIZE);
      return { start, end: grown.end, shared, file, pgoff: grown.pgoff };
    }
    const est: KnownVma = { start, end: addr + PAGE_SIZE, file, pgoff: pgoff - startPg, shared, exact: false };
    this.vmas.set(mm, [...list, est]);
    return { start, end: est.end, shared, file, pgoff: est.pgoff };
  }

  /** Links a `struct address_space *` to a file. */
  linkMapping(mapping: bigint, file: string): void {
    if (mapping !== 0n) this.mappings.set(mapping, file);
  }

  /** Links a `struct inode *` to its `i_mapping` (seen together in one layout break). */
  linkInode(inode: bigint, mapping: bigint): void {
    if (inode !== 0n && mapping !== 0n) this.inodes.set(inode, mapping);
  }

  /** The file of a mapping pointer, if some event tied them. */
  fileOfMapping(mapping: bigint): string | undefined {
    return this.mappings.get(mapping);
  }

  /** The mapping of an inode pointer, if some event tied them. */
  mappingOfInode(inode: bigint): bigint | undefined {
    return this.inodes.get(inode);
  }
}

/** The file id of an fs_dax event: `<major>:<minor>/<ino>` (`259:0/0xd`). */
export function fileId(dev: { readonly major: number; readonly minor: number }, ino: bigint): string {
  return `${dev.major}:${dev.minor}/0x${ino.toString(16)}`;
}
