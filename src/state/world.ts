/**
 * sim-only: the kernel objects outside struct page whose state the refcount rules
 * read: VMAs, page-table entries, the DAX xarray, MM_FILEPAGES counters and the
 * layout breakers waiting on a page. Small and rarely written, so it is an immer
 * value drafted once per chunk.
 */
import type { Level } from '../events/op.ts';

/** A VMA (vm_area_struct) of an mm. */
export interface Vma {
  readonly start: number;
  readonly end: number;
  readonly shared: boolean;
  readonly file: string | null;
  readonly pgoff: number;
  /** It has an anon_vma (anon_vma_prepare() ran: a copy-on-write): vma_needs_copy() is true. */
  readonly anon?: boolean;
}

/** A present page-table leaf entry. */
export interface Pte {
  readonly addr: number;
  readonly level: Level;
  /** The mapped page (the folio head for PMD/PUD leaves). */
  readonly pfn: number;
  readonly write: boolean;
  /** pte_special()/pmd_special(): vm_normal_page() returns NULL for it. */
  readonly special: boolean;
  /** Holds a folio reference and a mapcount. */
  readonly refcounted: boolean;
}

/** A DAX xarray entry (spec §4): value entries carry pfn and order. */
export interface XaEntry {
  readonly pgoff: number;
  readonly pfn: number;
  readonly order: number;
  readonly zero: boolean;
  /** Associated through the shared (reflink) path. */
  readonly shared: boolean;
}

/** A layout breaker sleeping in wait_var_event() on a page. */
export interface Waiter {
  /** seq of the Op that waits. */
  readonly waiter: number;
  readonly pfn: number;
  readonly fn: string;
  readonly file: string;
  readonly start: number;
  readonly end: number;
  /** The refcount the waiter waits for (legacy 1, unified 0). */
  readonly until: number;
  readonly interruptible: boolean;
  readonly kind: 'break_layout' | 'truncate' | 'evict';
  /** RefEvent seq at which the wait began. */
  readonly since: number;
}

/** The non-page kernel state. */
export interface World {
  readonly vmas: ReadonlyMap<string, readonly Vma[]>;
  readonly ptes: ReadonlyMap<string, ReadonlyMap<number, Pte>>;
  readonly xa: ReadonlyMap<string, ReadonlyMap<number, XaEntry>>;
  readonly rss: ReadonlyMap<string, number>;
  readonly waiters: readonly Waiter[];
}

/** The empty world. */
export const EMPTY_WORLD: World = {
  vmas: new Map(),
  ptes: new Map(),
  xa: new Map(),
  rss: new Map(),
  waiters: [],
};
