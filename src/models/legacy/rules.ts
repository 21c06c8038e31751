/**
 * LEGACY refcount rules (Linux v6.1–v6.14; spec, L columns). Read side by side with
 * ../unified/rules.ts: same keys, same order; every constant on which they differ is
 * named here.
 */
import type { PgmapType } from '../../events/op.ts';
import type { FamilyConstants } from '../common/family.ts';
import type { RuleTable } from '../common/create-model.ts';
import { devprivAlloc, devprivFree, exitMm, fork, holeRead, madviseDontneed, mprotect, mremap, munmap, p2pAllocMmap, pgmapRegister, pgmapUnregister, putPages } from '../common/lifecycle.ts';
import { gupOp } from '../common/gup.ts';
import { dioGrab, dioRelease, unpin } from '../common/unpin.ts';
import { cow } from '../common/cow.ts';
import { breakLayouts, daxFault, daxMkwrite } from './dax.ts';
import { hooks } from './hooks.ts';

/** __init_zone_device_page(): 1, then PRIVATE/COHERENT reset to 0 (since v6.1). */
export const INIT_REFCOUNT: Readonly<Record<PgmapType, number>> = { private: 0, coherent: 0, fsdax: 1, generic: 1, p2pdma: 1 };
/** An idle FS DAX page sits at 1: "free" meant refcount 1 (spec §1.1). */
export const IDLE_REFCOUNT: Readonly<Record<PgmapType, number>> = { private: 0, coherent: 0, fsdax: 1, generic: 1, p2pdma: 1 };
/** ext4/xfs/fuse wait with ___wait_var_event(&page->_refcount, count == 1). */
export const FSDAX_WAIT_UNTIL = 1;
/** insert_pfn()/vmf_insert_pfn_pmd() build pte/pmd_mkdevmap entries: no ref, no rmap, no RSS. */
export const MAP_TAKES_REFERENCE = false;
/** FS DAX pages are order-0; page->pgmap lives in word 1 of every page. */
export const FSDAX_COMPOUND_FOLIOS = false;
/** dax_layout_busy_page_range() returns NULL when !mapping_mapped() (the bug cee91fa13a8e fixed). */
export const BUSY_SCAN_NEEDS_MAPPING = true;
/** Eviction does not wait for busy pages (fixed by 0e2f80afcfa6). */
export const EVICT_WAITS = false;
/** put_page() runs put_devmap_managed_folio_refs(), which wakes at 1. */
export const DEVMAP_PUT_HOOK = true;

/** The constants as one value for the shared mechanics. */
export const CONSTS: FamilyConstants = { INIT_REFCOUNT, IDLE_REFCOUNT, FSDAX_WAIT_UNTIL, MAP_TAKES_REFERENCE, FSDAX_COMPOUND_FOLIOS, BUSY_SCAN_NEEDS_MAPPING, EVICT_WAITS, DEVMAP_PUT_HOOK };

/** The rules, one per Op type, in the Op vocabulary's order. */
export const rules = {
  /** memremap_pages(): pages at 1 except PRIVATE/COHERENT at 0. */
  'pgmap.register': (ctx, op) => pgmapRegister(ctx, hooks, op),
  /** memunmap_pages(): every FS DAX page must be r == 1 and unassociated (S11). */
  'pgmap.unregister': (ctx, op) => pgmapUnregister(ctx, hooks, op),
  /** dax_iomap_fault(): per-page association; a devmap entry with no reference. */
  'dax.fault': (ctx, op) => daxFault(ctx, op),
  /** vmf_insert_mixed_mkwrite(): the entry becomes writable; no count changes. */
  'dax.mkwrite': (ctx, op) => daxMkwrite(ctx, op),
  /** dax_load_hole(): zero page, special PTE. */
  'dax.hole_read': (ctx, op) => holeRead(ctx, op),
  /** zap: devmap entries are cleared; nothing changes on the page. */
  'munmap': (ctx, op) => munmap(ctx, hooks, op.mm, op.start, op.end),
  /** __split_huge_pmd_locked(): special huge, the PMD is cleared, nothing remapped. */
  'pmd.split': (ctx, op) => hooks.splitHuge(ctx, op.mm, op.address, 'pmd'),
  /** dup_mmap(): no page reference. */
  'fork': (ctx, op) => fork(ctx, op),
  /** exit_mmap(). */
  'exit': (ctx, op) => exitMm(ctx, hooks, op),
  /** get_user_pages(): +1 per 4 KiB page (per subpage of a PMD). */
  'gup.get': (ctx, op) => gupOp(ctx, hooks, op),
  /** pin_user_pages(): +1024 per order-0 page. */
  'gup.pin': (ctx, op) => gupOp(ctx, hooks, op),
  /** put_page(): the devmap hook; wakes when the count is back at 1. */
  'put': (ctx, op) => putPages(ctx, hooks, op),
  /** unpin_user_pages(): gup_put_folio() then the devmap hook. */
  'unpin': (ctx, op) => unpin(ctx, hooks, op),
  /** ext4_break_layouts(): wait for r == 1; entries stay. */
  'fs.break_layout': (ctx, op) => breakLayouts(ctx, op, 'break_layout'),
  /** Break layouts, then dax_delete_mapping_entry() (WARN if r > 1). */
  'fs.truncate': (ctx, op) => breakLayouts(ctx, op, 'truncate'),
  /** No wait on eviction: entries deleted under DMA. */
  'fs.evict': (ctx, op) => breakLayouts(ctx, op, 'evict'),
  /** zone_device_page_init(): r = 1. */
  'devpriv.alloc': (ctx, op) => devprivAlloc(ctx, op),
  /** folio_put() → free_zone_device_folio() → page_free. */
  'devpriv.free': (ctx, op) => devprivFree(ctx, hooks, op),
  /** vm_insert_page() +1 then put_page(): the mapping holds the pool page's 1. */
  'p2p.alloc_mmap': (ctx, op) => p2pAllocMmap(ctx, hooks, op, false),
  /** bio_iov_iter_get_pages(): 6.1–6.2 FOLL_GET (+1), 6.3+ FOLL_PIN (+1024). */
  'dio.grab': (ctx, op) => dioGrab(ctx, hooks, op),
  /** __bio_release_pages(): 6.1.y folio_put_refs() (no devmap hook: nothing wakes at 1), 6.2 put_page(), 6.3+ unpin. */
  'dio.release': (ctx, op) => dioRelease(ctx, hooks, op),
  /** wp_page_copy(): vm_normal_page() is NULL for a devmap PTE; only the entry changes. */
  'cow': (ctx, op) => cow(ctx, hooks, op),
  /** move_page_tables(): entries move, no count changes; an unaligned huge entry is split. */
  'mremap': (ctx, op) => mremap(ctx, hooks, op),
  /** madvise(MADV_DONTNEED): the munmap zap, the VMA kept. */
  'madvise': (ctx, op) => madviseDontneed(ctx, hooks, op),
  /** change_protection(): a cut huge entry is split; write-protect; no count changes. */
  'mprotect': (ctx, op) => mprotect(ctx, hooks, op),
} satisfies RuleTable;
