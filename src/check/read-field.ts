/**
 * Reading the simulated struct page words an observation names, the way the
 * recording read the real ones: `_refcount` and `_mapcount` of the page itself (a tail
 * reads its own 0 and −1, not the folio's), and the page[1] words (order byte, entire
 * and large mapcounts, `_pincount`) only where the pfn heads a compound folio, since
 * elsewhere the same offsets land in a neighbouring struct page.
 */
import { PG_head } from '../kernel/page-flags.ts';
import type { PageSource } from '../state/accessors.ts';
import type { ObsField } from './observations.ts';

/** True when pfn heads a compound folio (PG_head, and an order in page[1]). */
export function isCompoundHead(src: PageSource, pfn: number): boolean {
  const p = src.page(pfn);
  return p !== undefined && (p.flags & PG_head) !== 0 && (src.page(pfn + 1)?.folioOrder ?? 0) > 0;
}

/** The simulated value of `field` of pfn, or null when it is not an observation there. */
export function readField(src: PageSource, pfn: number, field: ObsField): number | null {
  const p = src.page(pfn);
  if (p === undefined) return null;
  switch (field) {
    case 'refcount':
      return p.refcount;
    case 'mapcount':
      return p.mapcount;
    default: {
      if (!isCompoundHead(src, pfn)) return null;
      const p1 = src.page(pfn + 1);
      if (p1 === undefined) return null;
      if (field === 'order') return p1.folioOrder;
      if (field === 'entire') return p1.entireMapcount;
      if (field === 'large') return p1.largeMapcount;
      return p1.pincount;
    }
  }
}

/**
 * page_ref's `mapcount` as the recording kernel prints it (spec §0.1): the raw
 * `_mapcount` since v6.10; before, page_mapcount(): `_mapcount + 1`, plus the entire
 * mapcount on the head of a large folio.
 */
export function pageRefMapcount(src: PageSource, pfn: number, style: 'raw' | 'page_mapcount'): number | null {
  const p = src.page(pfn);
  if (p === undefined) return null;
  if (style === 'raw') return p.mapcount;
  const entire = isCompoundHead(src, pfn) ? (src.page(pfn + 1)?.entireMapcount ?? -1) + 1 : 0;
  return p.mapcount + 1 + entire;
}
