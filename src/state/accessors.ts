/**
 * Derived views of struct pages, computed from the words the way the kernel computes
 * them (include/linux/page-flags.h, mm.h): nothing here is stored separately, so the
 * seed's invariant (one pgmap for every page of a folio, even across sections) is a
 * checked fact, not an assumption.
 */
import { PG_head } from '../kernel/page-flags.ts';
import { findRange, storedPage, type SimState } from './sim-state.ts';
import { decodeTailWord, initialPage, type MemmapRange, type PageState, type StateConfig } from './page.ts';
import type { World } from './world.ts';

/** Anything that can read a page: a SimState (through `source`) or a Txn. */
export interface PageSource {
  readonly config: StateConfig;
  page(pfn: number): PageState | undefined;
  /**
   * compound_head() of pfn as {@link compoundHead} derives it from page(), where the
   * source can answer without building an untouched page (a Txn: the models and diff
   * ask it of nearly every page they read).
   */
  headOf?(pfn: number): number;
}

/** Reads pages of a committed state. */
export function source(state: SimState): PageSource {
  return {
    config: state.config,
    page: (pfn) => getPage(state, pfn),
  };
}

/**
 * A read-only view of a state: a committed SimState ({@link stateView}) or a chunk's
 * draft as it stands (Txn.view()), so a reader such as diff can look at the state
 * after every Op without committing a chunk per Op.
 */
export interface StateView extends PageSource {
  readonly ranges: readonly MemmapRange[];
  readonly world: World;
  /** The written page at pfn; undefined where the page is untouched (its range's initial value) or absent. */
  stored(pfn: number): PageState | undefined;
}

/** A committed state as a {@link StateView}. */
export function stateView(state: SimState): StateView {
  return {
    config: state.config,
    ranges: state.ranges,
    world: state.world,
    page: (pfn) => getPage(state, pfn),
    stored: (pfn) => storedPage(state.pages, pfn),
  };
}

/** The page at pfn in a committed state, or undefined where no struct page exists. */
export function getPage(state: SimState, pfn: number): PageState | undefined {
  const p = storedPage(state.pages, pfn);
  if (p) return p;
  const range = findRange(state.ranges, pfn);
  return range ? initialPage(state.config, range, pfn) : undefined;
}

/** PageTail(): word 1 has bit 0 set. */
export function isTail(page: PageState): boolean {
  return typeof page.word1 === 'bigint' && (page.word1 & 1n) === 1n;
}

/** compound_head(): the head pfn of the folio containing pfn (pfn itself unless a tail). */
export function compoundHead(src: PageSource, pfn: number): number {
  if (src.headOf !== undefined) return src.headOf(pfn);
  const page = src.page(pfn);
  if (!page) return pfn;
  return decodeTailWord(src.config, pfn, page.word1) ?? pfn;
}

/** page_folio(): the folio (its head page) of pfn. */
export function pageFolio(src: PageSource, pfn: number): { readonly head: number; readonly page: PageState } | undefined {
  const head = compoundHead(src, pfn);
  const page = src.page(head);
  return page ? { head, page } : undefined;
}

/** folio_order(): 0 unless the head has PG_head, then page[1]'s order byte. */
export function folioOrder(src: PageSource, head: number): number {
  const page = src.page(head);
  if (!page || (page.flags & PG_head) === 0) return 0;
  return src.page(head + 1)?.folioOrder ?? 0;
}

/** folio_nr_pages(). */
export function folioNrPages(src: PageSource, head: number): number {
  return 2 ** folioOrder(src, head);
}

/**
 * page_pgmap() (v6.15+: page_folio(page)->pgmap): the pgmap in word 1 of the folio's
 * head. A tail's own word 1 is the compound-head encoding, never a pgmap.
 */
export function pagePgmap(src: PageSource, pfn: number): string | undefined {
  // pageFolio() without its object: the folio-pgmap check asks this of every page of a new folio
  const w1 = src.page(compoundHead(src, pfn))?.word1;
  return typeof w1 === 'string' ? w1 : undefined;
}

/** The raw word 1 of a page, as a direct read (`page->pgmap` before v6.15) would see it. */
export function rawWord1(src: PageSource, pfn: number): string | bigint | undefined {
  return src.page(pfn)?.word1;
}

/**
 * folio_mapcount(): order-0 `_mapcount + 1`; large folios `_large_mapcount + 1`
 * (which counts PTE mappings of every page plus entire PMD/PUD mappings).
 */
export function folioMapcount(src: PageSource, head: number): number {
  const page = src.page(head);
  if (!page) return 0;
  if ((page.flags & PG_head) === 0) return page.mapcount + 1;
  return (src.page(head + 1)?.largeMapcount ?? -1) + 1;
}

/** folio_entire_mapcount(): page[1]'s `_entire_mapcount + 1` on a large folio. */
export function folioEntireMapcount(src: PageSource, head: number): number {
  if (folioOrder(src, head) === 0) return 0;
  return (src.page(head + 1)?.entireMapcount ?? -1) + 1;
}

/** folio's `_pincount` for large folios, null for order-0 (pins fold into the refcount). */
export function folioPincount(src: PageSource, head: number): number | null {
  if (folioOrder(src, head) === 0) return null;
  return src.page(head + 1)?.pincount ?? 0;
}

/** folio_maybe_dma_pinned(): large `_pincount > 0`, small refcount ≥ GUP_PIN_COUNTING_BIAS. */
export function folioMaybeDmaPinned(src: PageSource, head: number): boolean {
  const pin = folioPincount(src, head);
  if (pin !== null) return pin > 0;
  return (src.page(head)?.refcount ?? 0) >= 1024;
}

/**
 * get_dev_pagemap(pfn) (before v6.15, and what legacy GUP uses): the pgmap found by
 * pfn range lookup, not through any word of the page.
 */
export function getDevPagemap(state: SimState, pfn: number): string | undefined {
  return findRange(state.ranges, pfn)?.pgmap;
}
