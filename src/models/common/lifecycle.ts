/**
 * Ops whose expansion is the same in both families apart from named constants:
 * pgmap registration and teardown, device-private and P2PDMA allocation, hole reads,
 * fork, exit and munmap (which calls the family's zap and split).
 */
import { PAGES_PER_SECTION, PAGE_SIZE, pfnToSection, hex } from '../../kernel/constants.ts';
import type { OpOf, VmaRef } from '../../events/op.ts';
import type { ModelCtx } from '../model.ts';
import type { FamilyHooks } from './family.ts';
import { call, folioOf, refAdd, refSet } from './kernel.ts';
import { entryPages, ptesInRange, ptesMapping, vmaAt, type MmPte } from './mm.ts';
import { PAGE_MAPPING_DAX_SHARED } from '../../state/page.ts';

/** -EBUSY, -EOPNOTSUPP as the kernel returns them. */
export const EBUSY = -16;
export const EOPNOTSUPP = -95;

/** memremap_pages() + memmap_init_zone_device() (spec §3.1, §2.2). */
export function pgmapRegister(ctx: ModelCtx, hooks: FamilyHooks, op: OpOf<'pgmap.register'>): void {
  call(ctx, 'memremap_pages', op.pfn, () => {
    // "Conflicting mapping in same section": another pgmap in the section of the first or last pfn.
    const sections = [pfnToSection(op.pfn), pfnToSection(op.pfn + op.nr - 1)];
    const clash = ctx.txn.ranges.find((r) => sections.some((s) => s >= pfnToSection(r.pfn) && s <= pfnToSection(r.pfn + r.nr - 1)));
    if (clash) {
      warn(ctx, 'pgmap-section-conflict', 'error', op.pfn, 'memremap_pages', `pgmap ${op.pgmap} at ${hex(op.pfn)} shares a ${PAGES_PER_SECTION * 4 / 1024} MiB section with pgmap ${clash.pgmap}: conflicting mapping in same section, registration refused`);
      return EBUSY;
    }
    const unit = 2 ** op.vmemmapShift;
    if (op.pfn % unit !== 0 || op.nr % unit !== 0) {
      warn(ctx, 'folio-crosses-pgmap', 'error', op.pfn, 'memmap_init_zone_device', `pgmap ${op.pgmap} (${hex(op.pfn)}+${op.nr}) is not a whole number of order-${op.vmemmapShift} folios: a folio would cross the pgmap range`);
      return EBUSY;
    }
    ctx.emit({ type: 'memmap_init', pfn: op.pfn, nr: op.nr, pgmap: op.pgmap, pgmapType: op.pgmapType, refcount: hooks.consts.INIT_REFCOUNT[op.pgmapType], vmemmapShift: op.vmemmapShift });
    return 0;
  }, (r) => r);
}

/**
 * memunmap_pages(): identical in both families (spec §3.2, S11). A page still mapped,
 * referenced beyond idle, pinned, or (FS DAX) associated or compound is a finding.
 */
export function pgmapUnregister(ctx: ModelCtx, hooks: FamilyHooks, op: OpOf<'pgmap.unregister'>): void {
  call(ctx, 'memunmap_pages', undefined, () => {
    const ranges = ctx.txn.ranges.filter((r) => r.pgmap === op.pgmap);
    if (ranges.length === 0) {
      warn(ctx, 'pgmap-unknown', 'error', -1, 'memunmap_pages', `pgmap ${op.pgmap} is not registered`);
      return;
    }
    for (const r of ranges) {
      const world = ctx.txn.readWorld();
      for (const { mm, pte } of ptesMapping(world, r.pfn, r.nr)) {
        warn(ctx, 'pgmap-unregister-mapped', 'error', pte.pfn, 'memunmap_pages', `pfn ${hex(pte.pfn)} of pgmap ${op.pgmap} is still mapped by ${mm} at ${hex(pte.addr)} (${pte.level})`);
      }
      const idle = hooks.consts.IDLE_REFCOUNT[r.pgmapType];
      const seen = new Set<number>();
      for (const pfn of ctx.txn.written(r.pfn, r.pfn + r.nr)) {
        const f = folioOf(ctx, pfn);
        if (seen.has(f.head)) continue;
        seen.add(f.head);
        const p = ctx.txn.page(f.head)!;
        if (p.refcount !== idle) {
          warn(ctx, 'pgmap-unregister-busy', 'error', f.head, 'memunmap_pages', `folio ${hex(f.head)} of pgmap ${op.pgmap} has refcount ${p.refcount} (idle is ${idle}) at teardown: still referenced or pinned`);
        }
        if (r.pgmapType === 'fsdax' && (p.mapping !== null || f.order !== 0)) {
          warn(ctx, 'pgmap-unregister-associated', 'error', f.head, 'memunmap_pages', `FS DAX folio ${hex(f.head)} is still ${p.mapping !== null ? `associated (mapping ${p.mapping === PAGE_MAPPING_DAX_SHARED ? 'DAX_SHARED' : p.mapping})` : `order ${f.order}`} at teardown`);
        }
      }
    }
    ctx.emit({ type: 'memmap_remove', pgmap: op.pgmap });
  });
}

/** zone_device_page_init(): a device-private page handed out at refcount 1 (same since v6.1). */
export function devprivAlloc(ctx: ModelCtx, op: OpOf<'devpriv.alloc'>): void {
  call(ctx, 'zone_device_page_init', op.pfn, () => {
    const f = folioOf(ctx, op.pfn);
    const p = ctx.txn.page(op.pfn);
    if (p && p.refcount !== 0) warn(ctx, 'devpriv-alloc-busy', 'warn', op.pfn, 'zone_device_page_init', `page ${hex(op.pfn)} handed out with refcount ${p.refcount}, not 0`);
    if (f.type !== undefined && f.type !== 'private' && f.type !== 'coherent') {
      warn(ctx, 'devpriv-wrong-type', 'error', op.pfn, 'zone_device_page_init', `page ${hex(op.pfn)} belongs to a ${f.type} pgmap`);
    }
    if (op.order > 0) ctx.emit({ type: 'prep_compound', pfn: op.pfn, order: op.order });
    refSet(ctx, op.pfn, 1);
  });
}

/** The last put of a device-private page: folio_put() → free_zone_device_folio() → page_free. */
export function devprivFree(ctx: ModelCtx, hooks: FamilyHooks, op: OpOf<'devpriv.free'>): void {
  const f = folioOf(ctx, op.pfn);
  hooks.putRefs(ctx, f.head, 1, f.type, 'put_page');
}

/**
 * p2pmem_alloc_mmap() (spec §7.4): per page vm_insert_page() (+1, rmap, RSS), then
 * put_page(). Unified first sets the 0-based count to 1 (set_page_count()).
 */
export function p2pAllocMmap(ctx: ModelCtx, hooks: FamilyHooks, op: OpOf<'p2p.alloc_mmap'>, setCountFirst: boolean): void {
  ensureVma(ctx, op.mm, op.vma, null, op.address);
  call(ctx, 'p2pmem_alloc_mmap', op.pfn, () => {
    for (let i = 0; i < op.nr; i++) {
      const pfn = op.pfn + i;
      if (setCountFirst) refSet(ctx, pfn, 1);
      call(ctx, 'vm_insert_page', pfn, () => {
        refAdd(ctx, pfn, 1);
        ctx.emit({ type: 'rss', mm: op.mm, val: 1 });
        ctx.emit({ type: 'add_rmap', pfn, page: pfn, nr: 1, level: 'pte' });
        ctx.emit({ type: 'pt_set', mm: op.mm, addr: op.address + i * PAGE_SIZE, level: 'pte', pfn, write: true, special: false, refcounted: true });
      });
      hooks.putRefs(ctx, pfn, 1, 'p2pdma', 'put_page');
    }
  });
}

/** dax_load_hole(): the zero page, special PTE, a zero entry; no device page is touched (S10). */
export function holeRead(ctx: ModelCtx, op: OpOf<'dax.hole_read'>): void {
  ensureVma(ctx, op.mm, op.vma, op.file, op.address);
  call(ctx, 'dax_load_hole', undefined, () => {
    const xa = ctx.txn.readWorld().xa.get(op.file);
    if (!xa?.has(op.pgoff)) ctx.emit({ type: 'xa_store', file: op.file, pgoff: op.pgoff, pfn: -1, order: 0, zero: true, shared: false });
    ctx.emit({ type: 'pt_set', mm: op.mm, addr: op.address, level: 'pte', pfn: -1, write: false, special: true, refcounted: false });
  });
}

/**
 * Creates the VMA an Op names when no VMA of the mm covers `addr` yet (the mmap() a
 * trace or Op stream did not show). A VMA that munmap() already cut is not revived.
 */
export function ensureVma(ctx: ModelCtx, mm: string, vma: VmaRef, file: string | null, addr = vma.start): void {
  if (vmaAt(ctx.txn.readWorld(), mm, addr)) return;
  ctx.emit({ type: 'vma_add', mm, start: vma.start, end: vma.end, shared: vma.shared, file: vma.file ?? file, pgoff: vma.pgoff ?? 0 });
}

/**
 * fork(): dup_mmap() copies each VMA and calls copy_page_range() on it, which returns
 * at once unless vma_needs_copy(): a shared file VMA without anon_vma (every DAX
 * MAP_SHARED mapping, and device-dax, which refuses MAP_PRIVATE) has its entries
 * re-faulted by the child, so fork takes no page reference in either family
 * (events/traces/k72-ext4-daxshare.trace.txt:306-307 `src_flags=0x480000fb` … `ret=0`,
 * snap fork_child_read still 1/1; legacy the same, k612-ext4-daxshare).
 *
 * A private VMA with an anon_vma (it took a copy-on-write) is copied: copy_pte_range()
 * → copy_present_ptes() gives the child every PTE. Where vm_normal_page() finds the
 * DAX folio (unified, a refcounted entry) that is folio_get() and
 * folio_dup_file_rmap_pte(): +1 reference, +1 mapcount and file RSS, and a writable
 * entry is write-protected in both (a CoW mapping). A legacy devmap entry is special:
 * the PTE is copied with no count. A PMD is not: copy_huge_pmd() returns at once for a
 * file VMA ("Skip if can be re-fill on fault"). vmtest 7.3dbg ext4-fsdax-vma.trace.txt:
 * 513 `page_ref_mod pfn=0x48051 val=1 count=3 mapcount=1` inside the fork, then the
 * child's CoW of that page at :568 `ref=4 mapcount=2` (three mappings and the CoW's
 * own reference); the stock 7.3 trace shows the same at :519.
 */
export function fork(ctx: ModelCtx, op: OpOf<'fork'>): void {
  call(ctx, 'dup_mmap', undefined, () => {
    for (const v of ctx.txn.readWorld().vmas.get(op.mm) ?? []) {
      ctx.emit({ type: 'vma_add', mm: op.child, start: v.start, end: v.end, shared: v.shared, file: v.file, pgoff: v.pgoff, ...(v.anon === true ? { anon: true } : {}) });
      call(ctx, 'copy_page_range', undefined, () => {
        if (v.shared || v.anon !== true) return 0;
        for (const pte of ptesInRange(ctx.txn.readWorld(), op.mm, v.start, v.end)) {
          if (pte.level !== 'pte') continue;
          if (pte.write) ctx.emit({ type: 'pt_set', mm: op.mm, addr: pte.addr, level: 'pte', pfn: pte.pfn, write: false, special: pte.special, refcounted: pte.refcounted });
          if (pte.refcounted && pte.pfn >= 0) {
            const f = folioOf(ctx, pte.pfn);
            refAdd(ctx, f.head, 1);
            ctx.emit({ type: 'add_rmap', pfn: f.head, page: pte.pfn, nr: 1, level: 'pte' });
            ctx.emit({ type: 'rss', mm: op.child, val: 1 });
          }
          ctx.emit({ type: 'pt_set', mm: op.child, addr: pte.addr, level: 'pte', pfn: pte.pfn, write: false, special: pte.special, refcounted: pte.refcounted });
        }
        return 0;
      }, (r) => r);
    }
  });
}

/**
 * munmap(): split huge entries that straddle the range, zap the rest, drop the VMAs.
 * The marker is the version's munmap core (do_mas_munmap() in 6.1, do_vmi_munmap()
 * since the VMA iterator), or `fn` (exit_mmap).
 */
export function munmap(ctx: ModelCtx, hooks: FamilyHooks, mm: string, start: number, end: number, fn: string = ctx.profile.names.munmap, removeVma = true): void {
  call(ctx, fn, undefined, () => {
    for (const pte of ptesInRange(ctx.txn.readWorld(), mm, start - 2 ** 30, end)) {
      const size = entryPages(pte) * PAGE_SIZE;
      const straddles = pte.addr < end && pte.addr + size > start && (pte.addr < start || pte.addr + size > end);
      if (straddles && pte.level !== 'pte') hooks.splitHuge(ctx, mm, pte.addr, pte.level);
    }
    const inside: MmPte[] = ptesInRange(ctx.txn.readWorld(), mm, start, end)
      .filter((p) => p.addr + entryPages(p) * PAGE_SIZE <= end)
      .map((pte) => ({ mm, pte }));
    hooks.zap(ctx, inside);
    if (removeVma) ctx.emit({ type: 'vma_remove', mm, start, end });
  });
}

/**
 * madvise(MADV_DONTNEED): madvise_dontneed_single_vma() → zap_page_range_single(): the
 * same zap as munmap (zap_pmd_range() splits a huge entry the range cuts,
 * __split_huge_pmd(), which for a file PMD clears it: no PTEs are remapped), and the
 * VMA stays, so a later access faults again.
 */
export function madviseDontneed(ctx: ModelCtx, hooks: FamilyHooks, op: OpOf<'madvise'>): void {
  munmap(ctx, hooks, op.mm, op.start, op.end, 'madvise_dontneed_single_vma', false);
}

/**
 * mprotect(): change_protection() → change_pmd_range(): a huge entry the range cuts is
 * split (__split_huge_pmd(); a file PMD is cleared, not remapped), a whole one changed
 * in place (change_huge_pmd()), PTEs by change_pte_range(). Removing PROT_WRITE
 * write-protects the entries; adding it leaves them read-only, since a shared DAX
 * mapping wants write notification (vma_wants_writenotify(): ->pfn_mkwrite): the next
 * write faults (dax_iomap_fault(), a `dax.fault` write). No count changes.
 * A PUD: before 6.12 change_pud_range() knows no huge PUD (profile.changeHugePud), so
 * pud_none_or_clear_bad() clears it as a bad table whether the range covers or cuts it;
 * from 6.12 a whole one is changed in place (change_huge_pud()), a cut one split
 * (__split_huge_pud()).
 */
export function mprotect(ctx: ModelCtx, hooks: FamilyHooks, op: OpOf<'mprotect'>): void {
  call(ctx, 'change_protection', undefined, () => {
    for (const pte of ptesInRange(ctx.txn.readWorld(), op.mm, op.start - 2 ** 30, op.end)) {
      const size = entryPages(pte) * PAGE_SIZE;
      if (pte.addr >= op.end || pte.addr + size <= op.start) continue;
      if (pte.level === 'pud' && !ctx.profile.changeHugePud) {
        // x86 pud_bad() takes a leaf PUD (_PAGE_PSE) for a bad table: pud_clear_bad()
        // clears it with no rmap removal and no put (a legacy device-dax map took
        // neither), "bad pud" in the log; the next access faults again (vmtest 6.1
        // devdax-1G console: one bad pud for mprotect(PROT_READ) of the writable 1 GiB
        // mapping, one for mprotect(PROT_READ|PROT_WRITE) of the read-only one)
        call(ctx, 'pud_clear_bad', pte.pfn < 0 ? undefined : pte.pfn, () => {
          warn(ctx, 'pud-clear-bad', 'warn', pte.pfn, 'pud_clear_bad', `mprotect() of ${op.mm} at ${hex(pte.addr)}: change_pud_range() takes the device PUD for a bad table (pud_none_or_clear_bad()) and clears it; no count changes, the next access faults again`);
          ctx.emit({ type: 'pt_clear', mm: op.mm, addr: pte.addr, level: pte.level });
        });
        continue;
      }
      if (pte.level !== 'pte' && (pte.addr < op.start || pte.addr + size > op.end)) {
        hooks.splitHuge(ctx, op.mm, pte.addr, pte.level);
        continue;
      }
      if (op.write || !pte.write) continue;
      const fn = pte.level === 'pte' ? 'change_pte_range' : `change_huge_${pte.level}`;
      call(ctx, fn, pte.pfn < 0 ? undefined : pte.pfn, () => ctx.emit({ ...pte, type: 'pt_set', mm: op.mm, write: false }));
    }
  });
}

/**
 * mremap(): in place, vma_expand() (a grow) or do_vmi_munmap() of the tail (a shrink);
 * moved, move_vma() → move_page_tables(): move_huge_pmd()/move_huge_pud() carry an
 * aligned huge entry and move_ptes() the PTEs to the new address with no count change
 * (the folio keeps its references and mapcount: the entry is the same), a huge entry
 * whose new address is not aligned is split first (split_huge_pmd(): a file PMD is
 * cleared); then the old range is unmapped, and a grow extends the new VMA.
 */
export function mremap(ctx: ModelCtx, hooks: FamilyHooks, op: OpOf<'mremap'>): void {
  const vma = vmaAt(ctx.txn.readWorld(), op.mm, op.start);
  if (!vma) return warn(ctx, 'mremap-no-vma', 'error', -1, 'mremap', `no VMA of ${op.mm} at ${hex(op.start)}: mremap() fails with -EFAULT`);
  const pgoff = vma.pgoff + (op.start - vma.start) / PAGE_SIZE;
  const delta = op.newStart - op.start;
  call(ctx, 'mremap', undefined, () => {
    if (delta === 0 && op.newEnd <= op.end) {
      if (op.newEnd < op.end) munmap(ctx, hooks, op.mm, op.newEnd, op.end);
      return;
    }
    if (delta !== 0) {
      call(ctx, 'move_page_tables', undefined, () => {
        for (const pte of ptesInRange(ctx.txn.readWorld(), op.mm, op.start, op.end)) {
          const size = entryPages(pte) * PAGE_SIZE;
          const to = pte.addr + delta;
          if (pte.level === 'pud') {
            // get_old_pud() → pud_none_or_clear_bad() runs before the pud_trans_huge()
            // test: to x86 pud_bad() a leaf PUD (_PAGE_PSE) is a bad table, so
            // pud_clear_bad() clears it with no rmap removal and no put ("bad pud" in the
            // kernel log, "Bad rss-counter state" at exit). The folio keeps the reference
            // and mapcount; the new address faults afresh (vmtest 7.3 devdax-1G
            // mremap_move :517, its fault :523 inserts with entire mapcount 0 and :529
            // shows refcount 3, entire mapcount 1; the console shows the bad pud)
            call(ctx, 'pud_clear_bad', pte.pfn < 0 ? undefined : pte.pfn, () => {
              // legacy device-dax maps with vmf_insert_pfn_pud(): no reference, no mapcount to leak
              const kept = ctx.profile.family === 'unified' ? 'the folio keeps the reference and mapcount the mapping took (leaked)' : 'no count changes (a legacy device-dax mapping took no reference or mapcount)';
              warn(ctx, 'pud-clear-bad', 'warn', pte.pfn, 'pud_clear_bad', `mremap() of ${op.mm} at ${hex(pte.addr)}: get_old_pud() takes the device PUD for a bad table and clears it; ${kept}; the new address faults afresh`);
              ctx.emit({ type: 'pt_clear', mm: op.mm, addr: pte.addr, level: pte.level });
            });
            continue;
          }
          if (pte.level !== 'pte' && to % size !== 0) {
            hooks.splitHuge(ctx, op.mm, pte.addr, pte.level);
            continue;
          }
          call(ctx, pte.level === 'pte' ? 'move_ptes' : `move_huge_${pte.level}`, pte.pfn < 0 ? undefined : pte.pfn, () => {
            ctx.emit({ type: 'pt_clear', mm: op.mm, addr: pte.addr, level: pte.level });
            ctx.emit({ ...pte, type: 'pt_set', mm: op.mm, addr: to });
          });
        }
      });
    }
    ctx.emit({ type: 'vma_remove', mm: op.mm, start: op.start, end: op.end });
    ctx.emit({ type: 'vma_add', mm: op.mm, start: op.newStart, end: op.newEnd, shared: vma.shared, file: vma.file, pgoff });
  });
}

/** exit_mmap(): unmap every VMA of the mm. */
export function exitMm(ctx: ModelCtx, hooks: FamilyHooks, op: OpOf<'exit'>): void {
  const vmas = ctx.txn.readWorld().vmas.get(op.mm) ?? [];
  if (vmas.length === 0) return;
  munmap(ctx, hooks, op.mm, Math.min(...vmas.map((v) => v.start)), Math.max(...vmas.map((v) => v.end)), 'exit_mmap');
}

/** folio_put_refs() on each run of pages of one folio: the common "drop n refs" shape. */
export function putPages(ctx: ModelCtx, hooks: FamilyHooks, op: OpOf<'put'>): void {
  const puts = (): void => {
    // put_page() per page: each page's put is its own call, even within one folio.
    for (let i = 0; i < op.nr; i++) {
      const f = folioOf(ctx, op.pfn + i);
      hooks.putRefs(ctx, f.head, 1, f.type, op.via ?? 'put_page');
    }
  };
  // a bio's pages are released by __bio_release_pages() (the entry a recording probes)
  if (op.via === 'bio_release') call(ctx, '__bio_release_pages', undefined, puts);
  else puts();
}

/** A kernel WARN or a hazard, as a `warn` RefEvent (it becomes a finding in the fold). */
export function warn(ctx: ModelCtx, code: string, severity: 'warn' | 'error', pfn: number, fn: string, message: string): void {
  ctx.emit({ type: 'warn', code, severity, pfn, fn, message });
}

