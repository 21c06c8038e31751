/**
 * UNIFIED refcount rules (Linux v6.15+; spec, U columns). Read side by side with
 * ../legacy/rules.ts: same keys, same order; every constant on which they differ is
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

/** __init_zone_device_page(): 1, then FS_DAX/PRIVATE/COHERENT/P2PDMA reset to 0; GENERIC stays 1. */
export const INIT_REFCOUNT: Readonly<Record<PgmapType, number>> = { private: 0, coherent: 0, fsdax: 0, generic: 1, p2pdma: 0 };
/** An idle FS DAX folio is 0: "not mapped and not under DMA/GUP"; device-dax keeps 1 (spec §7.2). */
export const IDLE_REFCOUNT: Readonly<Record<PgmapType, number>> = { private: 0, coherent: 0, fsdax: 0, generic: 1, p2pdma: 0 };
/** wait_page_idle(): dax_page_is_idle() is page_ref_count(page) == 0 on the head. */
export const FSDAX_WAIT_UNTIL = 0;
/** vmf_insert_page_mkwrite()/vmf_insert_folio_pmd()/_pud(): +1 ref, +1 mapcount, RSS. */
export const MAP_TAKES_REFERENCE = true;
/** dax_folio_init(): a PMD association makes an order-9 compound folio; pgmap lives in the folio. */
export const FSDAX_COMPOUND_FOLIOS = true;
/** The busy scan runs whether or not the file is mapped (cee91fa13a8e). */
export const BUSY_SCAN_NEEDS_MAPPING = false;
/** dax_break_layout_final(): eviction waits, uninterruptibly, for every page to be idle. */
export const EVICT_WAITS = true;
/** No devmap hook: folio_put() at 0 → free_zone_device_folio() wakes. */
export const DEVMAP_PUT_HOOK = false;

/** The constants as one value for the shared mechanics. */
export const CONSTS: FamilyConstants = { INIT_REFCOUNT, IDLE_REFCOUNT, FSDAX_WAIT_UNTIL, MAP_TAKES_REFERENCE, FSDAX_COMPOUND_FOLIOS, BUSY_SCAN_NEEDS_MAPPING, EVICT_WAITS, DEVMAP_PUT_HOOK };

/** The rules, one per Op type, in the Op vocabulary's order. */
export const rules = {
  /** memremap_pages(): pages at 0 except GENERIC at 1. */
  'pgmap.register': (ctx, op) => pgmapRegister(ctx, hooks, op),
  /** memunmap_pages(): every FS DAX page must be R == 0, order 0 and unassociated (S11). */
  'pgmap.unregister': (ctx, op) => pgmapUnregister(ctx, hooks, op),
  /** dax_iomap_fault(): folio association (dax_folio_init) and a refcounted, rmapped entry. */
  'dax.fault': (ctx, op) => daxFault(ctx, op),
  /** dax_insert_pfn_mkwrite(): transient inc/put around the upgrade; net unchanged. */
  'dax.mkwrite': (ctx, op) => daxMkwrite(ctx, op),
  /** dax_load_hole(): zero page, special PTE. */
  'dax.hole_read': (ctx, op) => holeRead(ctx, op),
  /** zap: rmap removed, RSS down, refs dropped after the TLB flush; free at 0 wakes. */
  'munmap': (ctx, op) => munmap(ctx, hooks, op.mm, op.start, op.end),
  /** __split_huge_pmd_locked(): remove PMD rmap, folio_put(), RSS −512; not remapped. */
  'pmd.split': (ctx, op) => hooks.splitHuge(ctx, op.mm, op.address, 'pmd'),
  /** dup_mmap(): no page reference. */
  'fork': (ctx, op) => fork(ctx, op),
  /** exit_mmap(). */
  'exit': (ctx, op) => exitMm(ctx, hooks, op),
  /** get_user_pages(): +refs on the folio head (a PMD leaf in one grab). */
  'gup.get': (ctx, op) => gupOp(ctx, hooks, op),
  /** pin_user_pages(): +1024 on order-0; +refs and _pincount on large folios. */
  'gup.pin': (ctx, op) => gupOp(ctx, hooks, op),
  /** folio_put(): at 0 free_zone_device_folio() wakes. */
  'put': (ctx, op) => putPages(ctx, hooks, op),
  /** unpin_user_pages(): gup_put_folio() then folio_put_refs(). */
  'unpin': (ctx, op) => unpin(ctx, hooks, op),
  /** dax_break_layout(): wait for R == 0, then dax_delete_mapping_range(). */
  'fs.break_layout': (ctx, op) => breakLayouts(ctx, op, 'break_layout'),
  /** Break layouts (entries removed there), then truncate. */
  'fs.truncate': (ctx, op) => breakLayouts(ctx, op, 'truncate'),
  /** dax_break_layout_final(): uninterruptible wait, then delete. */
  'fs.evict': (ctx, op) => breakLayouts(ctx, op, 'evict'),
  /** zone_device_page_init(): r = 1. */
  'devpriv.alloc': (ctx, op) => devprivAlloc(ctx, op),
  /** folio_put() → free_zone_device_folio() → page_free. */
  'devpriv.free': (ctx, op) => devprivFree(ctx, hooks, op),
  /** set_page_count(1), vm_insert_page() +1, put_page(): the mapping holds 1; zap frees to 0. */
  'p2p.alloc_mmap': (ctx, op) => p2pAllocMmap(ctx, hooks, op, true),
  /** bio_iov_iter_get_pages(): FOLL_PIN through iov_iter_extract_pages() (+1024, or +n and _pincount). */
  'dio.grab': (ctx, op) => dioGrab(ctx, hooks, op),
  /** __bio_release_pages() → unpin_user_folio(): at 0 free_zone_device_folio() wakes. */
  'dio.release': (ctx, op) => dioRelease(ctx, hooks, op),
  /** wp_page_copy(): folio_get(), new anon page, rmap and file RSS of the old page dropped, two folio_put()s. */
  'cow': (ctx, op) => cow(ctx, hooks, op),
  /** move_page_tables(): entries move, no count changes; an unaligned huge entry is split. */
  'mremap': (ctx, op) => mremap(ctx, hooks, op),
  /** madvise(MADV_DONTNEED): the munmap zap, the VMA kept. */
  'madvise': (ctx, op) => madviseDontneed(ctx, hooks, op),
  /** change_protection(): a cut huge entry is split; write-protect; no count changes. */
  'mprotect': (ctx, op) => mprotect(ctx, hooks, op),
} satisfies RuleTable;
