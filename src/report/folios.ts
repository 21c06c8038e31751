/**
 * Folio summaries of a state, the values both report formats print: every folio
 * with at least one written page, grouped by compound_head() (so a folio of which
 * only a tail was written appears once, under its head), sorted by head pfn. Every
 * value is derived through the state accessors, the way the kernel derives it.
 */
import { findRange, pagesOf, type SimState } from '../state/sim-state.ts';
import type { PageState } from '../state/page.ts';
import {
  compoundHead, folioMapcount, folioMaybeDmaPinned, folioOrder, folioPincount, getPage, pagePgmap, source, type PageSource,
} from '../state/accessors.ts';

/** One written page of a folio (`--pages`). */
export interface PageSummary {
  readonly pfn: number;
  readonly page: PageState;
}

/** One folio as the reports print it. */
export interface FolioSummary {
  readonly head: number;
  readonly order: number;
  /** First and last pfn. */
  readonly first: number;
  readonly last: number;
  /** The head's _refcount (the folio's). */
  readonly refcount: number;
  /** folio_mapcount(). */
  readonly mapcount: number;
  /** folio's _pincount; null for order 0. */
  readonly pincount: number | null;
  readonly maybeDmaPinned: boolean;
  /** page_pgmap() of the head (the registering range's pgmap if the head holds none). */
  readonly pgmap: string;
  readonly mapping: string | null;
  /** The head's index/share union word (one word in the kernel). */
  readonly index: number;
  /** Written pages of the folio, by pfn. */
  readonly pages: readonly PageSummary[];
}

/** Every written page, as [pfn, page], in pfn order. */
function writtenPages(state: SimState): [number, PageState][] {
  return pagesOf(state.pages);
}

/** Written pages in [lo, hi]. */
function writtenIn(state: SimState, lo: number, hi: number): PageSummary[] {
  return pagesOf(state.pages, lo, hi + 1).map(([pfn, page]) => ({ pfn, page }));
}

function summarize(state: SimState, src: PageSource, head: number, pages: readonly PageSummary[]): FolioSummary {
  const order = folioOrder(src, head);
  const hp = getPage(state, head);
  return {
    head,
    order,
    first: head,
    last: head + 2 ** order - 1,
    refcount: hp?.refcount ?? 0,
    mapcount: folioMapcount(src, head),
    pincount: folioPincount(src, head),
    maybeDmaPinned: folioMaybeDmaPinned(src, head),
    pgmap: pagePgmap(src, head) ?? findRange(state.ranges, head)?.pgmap ?? '',
    mapping: hp?.mapping ?? null,
    index: hp?.index ?? 0,
    pages,
  };
}

/** Every folio with a written page, sorted by head pfn. */
export function summarizeFolios(state: SimState): FolioSummary[] {
  return [...folioSummaries(state)];
}

/** summarizeFolios one folio at a time (the streamed JSON report summarises each as it writes it). */
export function* folioSummaries(state: SimState): Generator<FolioSummary> {
  const src = source(state);
  const byHead = new Map<number, PageSummary[]>();
  for (const [pfn, page] of writtenPages(state)) {
    const head = compoundHead(src, pfn);
    let list = byHead.get(head);
    if (!list) byHead.set(head, (list = []));
    list.push({ pfn, page });
  }
  for (const head of [...byHead.keys()].sort((a, b) => a - b)) yield summarize(state, src, head, byHead.get(head)!);
}

/**
 * The folio containing `pfn` (a tail resolves to its head through compound_head()),
 * written or not; empty when no struct page exists at `pfn`.
 */
export function summarizeFolioAt(state: SimState, pfn: number): FolioSummary[] {
  if (!getPage(state, pfn)) return [];
  const src = source(state);
  const head = compoundHead(src, pfn);
  const last = head + 2 ** folioOrder(src, head) - 1;
  return [summarize(state, src, head, writtenIn(state, head, last))];
}
