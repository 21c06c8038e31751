/**
 * RefEvent: what a model does to struct pages (and to the few kernel objects whose
 * state the refcount rules read: page tables, the DAX xarray, RSS counters, waiters).
 * The page_ref kinds mean exactly what include/linux/page_ref.h's tracepoints mean
 * (spec §9.1): `val` is the delta or the value set, `ret` what the helper returned.
 */
import type { Level, PgmapType } from './op.ts';

interface RefBase {
  /** 1-based position in the RefEvent stream. */
  readonly seq: number;
  /** seq of the Op this event was expanded from (absent in a raw RefEvent file). */
  readonly op?: number;
}

/** memmap_init_zone_device(): pages of [pfn, pfn+nr) come into being, lazily, with these values. */
export interface MemmapInitEvent extends RefBase {
  readonly type: 'memmap_init';
  readonly pfn: number;
  readonly nr: number;
  readonly pgmap: string;
  readonly pgmapType: PgmapType;
  /** _refcount after the type-specific reset (spec §3.1). */
  readonly refcount: number;
  /** Compound page order of device-dax (memmap_init_compound()). */
  readonly vmemmapShift: number;
}

/** memunmap_pages(): the pgmap's pages cease to exist. */
export interface MemmapRemoveEvent extends RefBase { readonly type: 'memmap_remove'; readonly pgmap: string }

/** set_page_count()/folio_set_count(): page_ref_set. */
export interface SetEvent extends RefBase { readonly type: 'set'; readonly pfn: number; readonly val: number }
/** page_ref_add/sub/inc/dec, folio_ref_*: page_ref_mod. */
export interface ModEvent extends RefBase { readonly type: 'mod'; readonly pfn: number; readonly val: number }
/** *_sub_and_test / *_dec_and_test: page_ref_mod_and_test; ret 1 when the count reached 0. */
export interface ModAndTestEvent extends RefBase {
  readonly type: 'mod_and_test'; readonly pfn: number; readonly val: number; readonly ret?: number;
}
/** *_inc_return / *_sub_return: page_ref_mod_and_return; ret is the new count. */
export interface ModAndReturnEvent extends RefBase {
  readonly type: 'mod_and_return'; readonly pfn: number; readonly val: number; readonly ret?: number;
}
/** page_ref_add_unless(page, val, unless): ret 1 on success (count was not `unless`, default 0). */
export interface ModUnlessEvent extends RefBase {
  readonly type: 'mod_unless'; readonly pfn: number; readonly val: number; readonly unless?: number; readonly ret?: number;
}
/** page_ref_freeze(page, val): cmpxchg val → 0, ret 1 on success. */
export interface FreezeEvent extends RefBase {
  readonly type: 'freeze'; readonly pfn: number; readonly val: number; readonly ret?: number;
}
/** page_ref_unfreeze(page, val): set the count back to val. */
export interface UnfreezeEvent extends RefBase { readonly type: 'unfreeze'; readonly pfn: number; readonly val: number }

/** prep_compound_page(head, order): PG_head, tails' word 1, TAIL_MAPPING, page[1] metadata. */
export interface PrepCompoundEvent extends RefBase { readonly type: 'prep_compound'; readonly pfn: number; readonly order: number }
/** dax_folio_put() split: every page of the folio back to an order-0 folio, pgmap restored. */
export interface SplitEvent extends RefBase { readonly type: 'split'; readonly pfn: number }
/** folio->mapping and index written (association, disassociation). null = NULL. */
export interface SetMappingEvent extends RefBase {
  readonly type: 'set_mapping'; readonly pfn: number; readonly mapping: string | null; readonly index?: number;
}
/** The index/share word written with a reflink share count. */
export interface ShareEvent extends RefBase { readonly type: 'share'; readonly pfn: number; readonly share: number }
/** folio_add_file_rmap_{ptes,pmd,pud}(): `pfn` is the folio head, `page` the first mapped page. */
export interface AddRmapEvent extends RefBase {
  readonly type: 'add_rmap'; readonly pfn: number; readonly page: number; readonly nr: number; readonly level: Level;
}
/** folio_remove_rmap_{ptes,pmd,pud}(). */
export interface RemoveRmapEvent extends RefBase {
  readonly type: 'remove_rmap'; readonly pfn: number; readonly page: number; readonly nr: number; readonly level: Level;
}
/** atomic_add(refs, &folio->_pincount) (negative on unpin). */
export interface PinCountEvent extends RefBase { readonly type: 'pin_count'; readonly pfn: number; readonly val: number }
/** wake_up_var() on the page's refcount (legacy) or page (unified). */
export interface WakeEvent extends RefBase { readonly type: 'wake'; readonly pfn: number; readonly fn: string }
/** free_zone_device_folio() ran on the folio. */
export interface FreeEvent extends RefBase { readonly type: 'free'; readonly pfn: number; readonly fn: string }
/** A kernel function the model follows begins. */
export interface EnterEvent extends RefBase { readonly type: 'enter'; readonly fn: string; readonly pfn?: number }
/** A kernel function the model follows returns. */
export interface ExitEvent extends RefBase { readonly type: 'exit'; readonly fn: string; readonly pfn?: number; readonly ret?: number }

// sim-only: kernel objects outside struct page that the refcount rules depend on.

/** A VMA comes into being in an mm (mmap, fork). */
export interface VmaAddEvent extends RefBase {
  readonly type: 'vma_add'; readonly mm: string; readonly start: number; readonly end: number;
  readonly shared: boolean; readonly file: string | null; readonly pgoff: number;
  /** The VMA has an anon_vma (a private VMA that took a copy-on-write): fork copies its PTEs. */
  readonly anon?: boolean;
}
/** [start, end) of an mm's VMAs is unmapped (munmap, exit). */
export interface VmaRemoveEvent extends RefBase {
  readonly type: 'vma_remove'; readonly mm: string; readonly start: number; readonly end: number;
}
/** A page-table entry installed: `pfn` is the page it maps (the head for PMD/PUD). */
export interface PtSetEvent extends RefBase {
  readonly type: 'pt_set'; readonly mm: string; readonly addr: number; readonly level: Level;
  readonly pfn: number; readonly write: boolean; readonly special: boolean;
  /** The entry holds a folio reference and a mapcount (unified maps; legacy devmap entries do not). */
  readonly refcounted: boolean;
}
/** A page-table entry cleared. */
export interface PtClearEvent extends RefBase {
  readonly type: 'pt_clear'; readonly mm: string; readonly addr: number; readonly level: Level;
}
/** A DAX xarray entry stored for file index pgoff. */
export interface XaStoreEvent extends RefBase {
  readonly type: 'xa_store'; readonly file: string; readonly pgoff: number; readonly pfn: number;
  readonly order: number; readonly zero: boolean; readonly shared: boolean;
}
/** A DAX xarray entry removed. */
export interface XaEraseEvent extends RefBase { readonly type: 'xa_erase'; readonly file: string; readonly pgoff: number }
/** add_mm_counter(mm, MM_FILEPAGES, val). */
export interface RssEvent extends RefBase { readonly type: 'rss'; readonly mm: string; readonly val: number }
/** A layout breaker begins waiting on a page (wait_var_event on its refcount). */
export interface WaitEvent extends RefBase {
  readonly type: 'wait'; readonly pfn: number; readonly fn: string; readonly file: string;
  readonly start: number; readonly end: number; readonly until: number; readonly interruptible: boolean;
  /** The Op that waits (resumed when woken). */
  readonly waiter: number;
  /** What the waiter does once the page is idle. */
  readonly kind: 'break_layout' | 'truncate' | 'evict';
}
/** A waiter stops waiting (woken and its condition holds, or interrupted). */
export interface WaitEndEvent extends RefBase { readonly type: 'wait_end'; readonly waiter: number; readonly how: 'woken' | 'interrupted' }
/** A kernel WARN_ON/VM_WARN/BUG condition or a hazard the model detected (becomes a Finding). */
export interface WarnEvent extends RefBase {
  readonly type: 'warn'; readonly code: string; readonly severity: 'warn' | 'error';
  readonly pfn: number; readonly fn: string; readonly message: string;
}

/** Every RefEvent. */
export type RefEvent =
  | MemmapInitEvent | MemmapRemoveEvent | SetEvent | ModEvent | ModAndTestEvent | ModAndReturnEvent | ModUnlessEvent
  | FreezeEvent | UnfreezeEvent | PrepCompoundEvent | SplitEvent | SetMappingEvent | ShareEvent
  | AddRmapEvent | RemoveRmapEvent | PinCountEvent | WakeEvent | FreeEvent | EnterEvent | ExitEvent
  | VmaAddEvent | VmaRemoveEvent | PtSetEvent | PtClearEvent | XaStoreEvent | XaEraseEvent
  | RssEvent | WaitEvent | WaitEndEvent | WarnEvent;

/** The RefEvent `type` strings. */
export type RefEventType = RefEvent['type'];
/** The RefEvent of one type. */
export type RefEventOf<K extends RefEventType> = Extract<RefEvent, { type: K }>;
/** A RefEvent before the stream numbers it. */
export type RefEventInit = RefEvent extends infer E ? (E extends RefEvent ? Omit<E, 'seq'> : never) : never;

/** Every RefEvent type. */
export const REF_EVENT_TYPES: readonly RefEventType[] = [
  'memmap_init', 'memmap_remove', 'set', 'mod', 'mod_and_test', 'mod_and_return', 'mod_unless', 'freeze', 'unfreeze',
  'prep_compound', 'split', 'set_mapping', 'share', 'add_rmap', 'remove_rmap', 'pin_count', 'wake',
  'free', 'enter', 'exit', 'vma_add', 'vma_remove', 'pt_set', 'pt_clear', 'xa_store', 'xa_erase',
  'rss', 'wait', 'wait_end', 'warn',
];

/** The page_ref tracepoint kinds (the ones a CONFIG_DEBUG_PAGE_REF kernel records). */
export const PAGE_REF_TYPES = ['set', 'mod', 'mod_and_test', 'mod_and_return', 'mod_unless', 'freeze', 'unfreeze'] as const;

/** Raises a compile error when a switch over a union misses a case. */
export function assertNever(x: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(x)}`);
}
