/**
 * What diff compares of a pfn range in one model's state: folios, their summed
 * references above idle, mapcounts, pins, association, busy-ness.
 */
import type { RefcountModel } from '../models/model.ts';
import type { SimState } from '../state/sim-state.ts';
import { findRange } from '../state/sim-state.ts';
import { compoundHead, folioMapcount, folioNrPages, folioOrder, folioPincount, getPage, source } from '../state/accessors.ts';
import { PAGE_MAPPING_DAX_SHARED } from '../state/page.ts';

/** One model's view of a compared range. */
export interface RangeView {
  /** Folio heads in the range. */
  readonly heads: readonly number[];
  /** Largest folio order in the range. */
  readonly order: number;
  /** Head refcounts, in head order. */
  readonly refcounts: readonly number[];
  /** Σ (refcount − idle) over the folios: references held beyond idle. */
  readonly held: number;
  /** Σ folio_mapcount(). */
  readonly mapcount: number;
  /** Σ _pincount of large folios. */
  readonly pincount: number;
  /** Some folio is busy by the model's layout-break predicate. */
  readonly busy: boolean;
  /** Some DAX xarray entry (of any file) points into the range: the block is associated. */
  readonly associated: boolean;
  /** The association words, rendered ("F", "DAX_SHARED×2", "shared×2", null). */
  readonly mapping: string | null;
  /** pgmap type of the range, if any. */
  readonly type: string | undefined;
  readonly idle: number;
}

/** The folio [head, end) containing pfn in a state. */
export function folioSpan(state: SimState, pfn: number): [number, number] {
  const src = source(state);
  const head = compoundHead(src, pfn);
  return [head, head + folioNrPages(src, head)];
}

/**
 * The association words rendered: a file, `DAX_SHARED×n` (legacy sentinel and per-page
 * share), `shared×n` (unified: mapping NULL with a share count), or `stale×n` for a
 * unified order-0 folio whose index/share word dax_folio_put() left behind (spec §0.3).
 */
function mappingWord(model: RefcountModel, type: string | undefined, mapping: string | null, index: number, associated: boolean): string | null {
  if (mapping === PAGE_MAPPING_DAX_SHARED) return `DAX_SHARED×${index}`;
  if (mapping === 'TAIL_MAPPING') return null;
  if (mapping !== null) return mapping;
  if (type !== 'fsdax' || model.family !== 'unified' || index === 0) return null;
  return associated ? `shared×${index}` : `stale×${index}`;
}

/** Reads a compared range [lo, hi) of one model's state. Only written pages and heads are visited. */
export function viewRange(model: RefcountModel, state: SimState, lo: number, hi: number): RangeView {
  const src = source(state);
  const range = findRange(state.ranges, lo);
  const type = range?.pgmapType;
  const idle = type ? model.idleRefcount(type) : 0;
  const heads: number[] = [];
  for (let p = lo; p < hi; ) {
    const head = compoundHead(src, p);
    heads.push(head);
    p = Math.max(p + 1, head + folioNrPages(src, head));
  }
  let associated = false;
  for (const xa of state.world.xa.values()) {
    for (const e of xa.values()) if (!e.zero && e.pfn < hi && lo < e.pfn + 2 ** e.order) associated = true;
  }
  let held = 0;
  let mapcount = 0;
  let pincount = 0;
  let busy = false;
  let order = 0;
  const refcounts: number[] = [];
  const mappings = new Set<string>();
  for (const head of heads) {
    const page = getPage(state, head);
    if (!page) continue;
    refcounts.push(page.refcount);
    held += page.refcount - idle;
    mapcount += folioMapcount(src, head);
    pincount += folioPincount(src, head) ?? 0;
    order = Math.max(order, folioOrder(src, head));
    if (type === 'fsdax' && model.isBusy(src, head)) busy = true;
    const m = mappingWord(model, type, page.mapping, page.index, associated);
    if (m !== null) mappings.add(m);
  }
  return { heads, order, refcounts, held, mapcount, pincount, busy, associated, mapping: mappings.size ? [...mappings].sort().join(',') : null, type, idle };
}
