/**
 * What a model family supplies to the shared mechanics (lifecycle, GUP, waiters):
 * its named constants and the few kernel paths whose behaviour differs.
 */
import type { Level, PgmapType, PutPath } from '../../events/op.ts';
import type { Waiter } from '../../state/world.ts';
import type { ModelCtx } from '../model.ts';
import type { MmPte } from './mm.ts';

/** Constants on which the families differ (named at the top of each rules.ts). */
export interface FamilyConstants {
  /** _refcount after memmap_init_zone_device() and the type-specific reset (spec §3.1). */
  readonly INIT_REFCOUNT: Readonly<Record<PgmapType, number>>;
  /** The refcount of an idle page of each type (spec §3.1, §7). */
  readonly IDLE_REFCOUNT: Readonly<Record<PgmapType, number>>;
  /** The refcount an FS DAX layout breaker waits for (legacy 1, unified 0). */
  readonly FSDAX_WAIT_UNTIL: number;
  /** Mapping a DAX page takes a reference and a mapcount. */
  readonly MAP_TAKES_REFERENCE: boolean;
  /** FS DAX associations build compound folios (dax_folio_init()). */
  readonly FSDAX_COMPOUND_FOLIOS: boolean;
  /** dax_layout_busy_page_range() returns early when !mapping_mapped() (fixed by cee91fa13a8e). */
  readonly BUSY_SCAN_NEEDS_MAPPING: boolean;
  /** Inode eviction waits for busy pages (dax_break_layout_final(), 0e2f80afcfa6). */
  readonly EVICT_WAITS: boolean;
  /** The put path's legacy devmap hook (put_devmap_managed_folio_refs()) exists. */
  readonly DEVMAP_PUT_HOOK: boolean;
}

/** A put path: an Op's PutPath, gup_put_folio() (unpin), or the TLB batch of a zap (folios_put_refs()). */
export type PutVia = PutPath | 'gup_put_folio' | 'tlb_batch';

/** A family's kernel paths. */
export interface FamilyHooks {
  readonly consts: FamilyConstants;
  /** free_zone_device_folio() for a folio whose refcount reached 0. */
  freeZoneDeviceFolio(ctx: ModelCtx, head: number, type: PgmapType | undefined): void;
  /** Drops `refs` references on the folio at `head` through `via` (put_page(), folio_put_refs(), …). */
  putRefs(ctx: ModelCtx, head: number, refs: number, type: PgmapType | undefined, via: PutVia): void;
  /** Zaps present entries (zap_pte_range()/zap_huge_pmd()/zap_huge_pud() then the TLB batch). */
  zap(ctx: ModelCtx, entries: readonly MmPte[]): void;
  /** __split_huge_pmd()/__split_huge_pud() of one entry. */
  splitHuge(ctx: ModelCtx, mm: string, addr: number, level: Level): void;
  /** A woken layout breaker goes on where it slept. */
  resume(ctx: ModelCtx, w: Waiter): void;
}
