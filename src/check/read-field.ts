/**
 * Reading the simulated words an observation names, the way the recording read the
 * real ones: `_refcount` and `_mapcount` of the page itself (a tail reads its own 0 and
 * −1, not the folio's), the page[1] words (order byte, entire and large mapcounts,
 * `_pincount`) only where the pfn heads a compound folio, since elsewhere the same
 * offsets land in a neighbouring struct page; word 1 as stored (a tail's encoding, or
 * the pgmap of a head or order-0 page); and the pgmap a lookup by pfn finds.
 */
import { PGMAP_TYPES } from '../events/op.ts';
import { PG_head } from '../kernel/page-flags.ts';
import type { PageSource } from '../state/accessors.ts';
import type { MemmapRange } from '../state/page.ts';
import { findRange } from '../state/sim-state.ts';
import type { ObsField } from './observations.ts';
import type { Simulated } from './words.ts';

/** What the reads need: pages, and the registered ranges (a Txn, or a committed state's view). */
export interface StateReader extends PageSource {
  readonly ranges: readonly MemmapRange[];
}

/** True when pfn heads a compound folio (PG_head, and an order in page[1]). */
export function isCompoundHead(src: PageSource, pfn: number): boolean {
  const p = src.page(pfn);
  return p !== undefined && (p.flags & PG_head) !== 0 && (src.page(pfn + 1)?.folioOrder ?? 0) > 0;
}

/** The simulated value of `field` of pfn, or null when it is not an observation there. */
export function readField(src: StateReader, pfn: number, field: ObsField): Simulated | null {
  const p = src.page(pfn);
  if (p === undefined) return null;
  switch (field) {
    case 'refcount':
      return p.refcount;
    case 'mapcount':
      return p.mapcount;
    case 'word1':
      return p.word1;
    case 'pgmap':
    case 'pgmapType':
    case 'pgmapShift': {
      // get_dev_pagemap(pfn): the pgmap whose range holds pfn (not a word of the page)
      const r = findRange(src.ranges, pfn);
      if (r === undefined) return null;
      return field === 'pgmap' ? r.pgmap : field === 'pgmapType' ? PGMAP_TYPES.indexOf(r.pgmapType) + 1 : r.vmemmapShift;
    }
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
