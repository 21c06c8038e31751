/**
 * An unmap outside any fault or layout break (munmap(), exit): zap_huge_pmd() /
 * zap_huge_pud() print the address of each huge entry; in a unified kernel each
 * unmapped page also shows in folio_remove_rmap_ptes()/_pmd() (its address comes from
 * the fault that mapped it), followed, after the TLB flush, by the frees and wakes of
 * the folios that reached refcount 0. A legacy kernel traces nothing for a PTE zap.
 */
import { HPAGE_PMD_NR, HPAGE_PUD_NR, PAGE_SIZE } from '../kernel/constants.ts';
import type { KprobeRecord, TraceRecord } from '../trace/record-types.ts';
import { probeBigint } from '../trace/record-fields.ts';
import type { Builder, Closed, LiftEnv } from './builder.ts';
import { strayOnly } from './builder.ts';
import { mmKey, pfnField, probeFunction } from './record-view.ts';

/** Bits 12–51 of a page-table entry: the pfn (x86-64 PTE_PFN_MASK). */
const PTE_PFN_MASK = 0x000ffffffffff000n;
/** The span one page table maps: a PMD's worth of PTEs. */
const TABLE_SPAN = HPAGE_PMD_NR * PAGE_SIZE;
const ZAP: ReadonlySet<string> = new Set(['zap_huge_pmd', 'zap_huge_pud']);
const RMAP: ReadonlySet<string> = new Set(['folio_remove_rmap_ptes', 'folio_remove_rmap_pmd', 'folio_remove_rmap_pud', 'page_remove_rmap']);
const AFTER: ReadonlySet<string> = new Set(['free_zone_device_folio', 'free_zone_device_page', '__folio_put', 'wake_up_var', '__put_devmap_managed_folio_refs', '__put_devmap_managed_page_refs']);

/** True for a record that opens an unmap. */
export function opensMunmap(r: TraceRecord): r is KprobeRecord {
  if (r.kind !== 'kprobe' || r.probeKind !== 'entry') return false;
  const fn = probeFunction(r);
  return ZAP.has(fn) || RMAP.has(fn);
}

/** An unmap being read. */
export class MunmapBuilder implements Builder {
  readonly kind = 'munmap' as const;
  readonly context: string;
  readonly endsAtPhase = true;
  readonly finished = false;
  private readonly env: LiftEnv;
  private readonly records: TraceRecord[] = [];
  private readonly mm: string;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;
  private pte = false;
  /** Heads of the huge entries this unmap's zaps named (their rmap removal is the same entry). */
  private readonly zapped = new Set<number>();
  /** The highest page table (address / 2 MiB) an entry of this unmap was in. */
  private lastTable = Number.NEGATIVE_INFINITY;
  /** A free or wake (after a TLB flush) came after the last zapped entry. */
  private flushed = false;

  constructor(env: LiftEnv, context: string, r: KprobeRecord) {
    this.env = env;
    this.context = context;
    this.mm = mmKey(r);
    this.take(r);
  }

  offer(r: TraceRecord): boolean {
    if (r.kind === 'page_ref') {
      this.records.push(r);
      return true;
    }
    if (r.kind !== 'kprobe') return false;
    const fn = probeFunction(r);
    if (!(ZAP.has(fn) || RMAP.has(fn) || AFTER.has(fn)) || (r.probeKind === 'return' && !AFTER.has(fn))) return false;
    // one munmap() zaps its range in ascending address order (unmap_vmas() →
    // unmap_page_range()); a delayed rmap (a dirty PTE, zap_present_folio_ptes()) comes
    // at the end of its own page table. So an entry in a lower page table than the last
    // one, after the frees of a TLB flush, belongs to a later call (vmtest 7.3 xfs
    // fsdax-reflink: munmap(srcP), its flush, then munmap(d2P) at a lower address, with no
    // marker between). Both conditions, since the address of an rmap is where the lifter
    // last saw the page mapped, which a move (mremap) it cannot see makes stale.
    const at = r.probeKind === 'entry' ? this.placeOf(r) : null;
    if (at?.addr != null && this.flushed && Math.floor(at.addr / TABLE_SPAN) < this.lastTable) return false;
    this.take(r);
    return true;
  }

  /** The address and size a zap or rmap record covers (and the pfn a zap names), or null. */
  private placeOf(r: KprobeRecord): { addr: number | null; size: number; pte: boolean; zapped: number | null } | null {
    const fn = probeFunction(r);
    if (ZAP.has(fn)) {
      const printed = probeBigint(r, 'addr');
      // the entry's pfn (x86-64 PTE_PFN_MASK) finds where the lifter placed its fault: a
      // device fault no probe gave an address to sits at a synthetic one (devdax-fault-builder.ts)
      const val = probeBigint(r, 'pudval') ?? probeBigint(r, 'pmdval');
      const pfn = val === null ? null : Number((val & PTE_PFN_MASK) >> 12n);
      // a printed address the lifter has a fault at is the entry itself (two mappings of
      // one device folio in one mm are told apart only by their addresses)
      const real = printed !== null && pfn !== null && this.env.world.mappedAt(this.mm, Number(printed))?.pfn === pfn;
      const placed = pfn === null || real ? undefined : this.env.world.addressOf(this.mm, pfn);
      const addr = placed !== undefined && placed.mm === this.mm && placed.level !== 'pte' ? placed.addr : printed === null ? null : Number(printed);
      return { addr, size: (fn === 'zap_huge_pud' ? HPAGE_PUD_NR : HPAGE_PMD_NR) * PAGE_SIZE, pte: false, zapped: pfn };
    }
    if (!RMAP.has(fn)) return null;
    const page = pfnField(r, 'page', this.env.vmemmapBase) ?? pfnField(r, 'folio', this.env.vmemmapBase);
    // zap_huge_pud()/zap_huge_pmd() → folio_remove_rmap_pud()/_pmd() of the entry just
    // zapped: searched by pfn it could name another mapping of the same folio (vmtest 7.3
    // devdax-1G: the second mapping's zap at :308, the first mapping still in place)
    if (page !== null && fn !== 'folio_remove_rmap_ptes' && fn !== 'page_remove_rmap' && this.zapped.has(page)) return null;
    // a page one mm maps twice (vmtest 7.3 ext4 fsdax-vma: file page 1 through the shared
    // PTE mapping and the private one): folio_remove_rmap_ptes()'s VMA says which entry
    // zap_pte_range() cleared; without it munmap(private) took the shared entry, and
    // the stale private one was later moved by mremap() and zapped (:770, :790)
    const vmStart = probeBigint(r, 'vm_start');
    const vmEnd = probeBigint(r, 'vm_end');
    const within = vmStart !== null && vmEnd !== null && vmEnd > vmStart ? { start: Number(vmStart), end: Number(vmEnd) } : undefined;
    const at = page === null ? undefined : this.env.world.addressOf(this.mm, page, within);
    if (at === undefined) return null;
    return { addr: at.addr, size: (at.level === 'pte' ? 1 : at.level === 'pmd' ? HPAGE_PMD_NR : HPAGE_PUD_NR) * PAGE_SIZE, pte: at.level === 'pte', zapped: null };
  }

  private take(r: KprobeRecord): void {
    this.records.push(r);
    if (r.probeKind === 'return') return;
    if (AFTER.has(probeFunction(r))) this.flushed = true;
    const at = this.placeOf(r);
    if (at === null) return;
    if (at.zapped !== null) this.zapped.add(at.zapped);
    if (at.addr === null) return;
    this.flushed = false;
    if (at.pte) this.pte = true;
    this.lastTable = Math.max(this.lastTable, Math.floor(at.addr / TABLE_SPAN));
    this.cover(at.addr, at.size);
  }

  private cover(addr: number, size: number): void {
    this.lo = Math.min(this.lo, addr);
    this.hi = Math.max(this.hi, addr + size);
  }

  /** True when the unmap covered PTE mappings (a kind some probe sets cannot see). */
  get coversPtes(): boolean {
    return this.pte;
  }

  close(): Closed {
    const first = this.records[0];
    if (first === undefined || !Number.isFinite(this.lo)) return strayOnly(this.records);
    this.env.world.unmap(this.mm, this.lo, this.hi);
    return { ops: [{ op: { type: 'munmap', line: first.line, mm: this.mm, start: this.lo, end: this.hi }, records: this.records }], stray: [] };
  }
}
