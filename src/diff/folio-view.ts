/**
 * What diff compares of a pfn range in one model's state: folios, their summed
 * references above idle, mapcounts, pins, association, busy-ness.
 */
import type { RefcountModel } from '../models/model.ts';
import type { World } from '../state/world.ts';
import { findRange } from '../state/sim-state.ts';
import { compoundHead, folioMapcount, folioNrPages, folioOrder, folioPincount, isTail, type PageSource, type StateView } from '../state/accessors.ts';
import { PAGE_MAPPING_DAX_SHARED, type MemmapRange, type PageState } from '../state/page.ts';
import { PG_head } from '../kernel/page-flags.ts';
/** One model's view of a compared range. */
export interface RangeView {
  /** Folio heads in the range. */
  readonly heads: readonly number[];
  /** Number of folios in the range (`heads.length`, without building the list). */
  readonly folios: number;
  /** The first folio's head and refcount (0 where the range holds none). */
  readonly head0: number;
  readonly refcount0: number;
  /** Number of refcounts (`refcounts.length`: a head with no struct page has none). */
  readonly nRefcounts: number;
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
export function folioSpan(view: StateView, pfn: number): [number, number] {
  const head = folioSpanHead(view, pfn);
  return [head, spanEnd];
}

/** The end of the span the last {@link folioSpanHead} found (module state: no tuple per call). */
let spanEnd = 0;

/**
 * The head of the folio containing pfn, its end left in `spanEnd`: folioSpan without
 * a tuple per call (a diff asks for the span of every pfn an Op touched, per model).
 */
function folioSpanHead(view: StateView, pfn: number): number {
  const stored = view.stored(pfn);
  if (stored === undefined) {
    if (findRange(view.ranges, pfn)?.vmemmapShift === 0) {
      spanEnd = pfn + 1; // untouched order-0 page
      return pfn;
    }
  } else if ((stored.flags & PG_head) === 0 && !isTail(stored)) {
    // a written page neither head nor tail: compound_head() is itself and folio_nr_pages() 1
    // (the test viewRange makes), read once instead of three times through the accessors
    spanEnd = pfn + 1;
    return pfn;
  }
  const head = compoundHead(view, pfn);
  spanEnd = head + folioNrPages(view, head);
  return head;
}

/** The merged spans of two states' folios over sorted pfns (see comparedRanges), as [lo, hi) pairs. */
export function mergedFolioSpans(a: StateView, b: StateView, pfns: ArrayLike<number>, n = pfns.length): [number, number][] {
  // spans as flat pairs (no tuple per pfn). The pfns rise, so a pfn below the end of the
  // previous pfn's folio in one state is in that same folio: each side's span is looked
  // up only past its last folio (a legacy PMD fault touches 512 order-0 pages of what is
  // one folio in the unified state: that folio's head was found 512 times over), and a
  // span the same as the last one pushed is not pushed again
  const flat = spansBuf;
  flat.length = 0;
  let la = 0;
  let ha = -1;
  let lb = 0;
  let hb = -1;
  let lastLo = -1;
  let lastHi = -1;
  let prev = -1;
  for (let i = 0; i < n; i++) {
    const p = pfns[i]!;
    if (p === prev) continue;
    prev = p;
    if (p >= ha) {
      la = folioSpanHead(a, p);
      ha = spanEnd;
    }
    if (p >= hb) {
      lb = folioSpanHead(b, p);
      hb = spanEnd;
    }
    const lo = Math.min(la, lb);
    const hi = Math.max(ha, hb);
    if (lo === lastLo && hi === lastHi) continue;
    flat.push(lo, hi);
    lastLo = lo;
    lastHi = hi;
  }
  return mergeSpans(flat);
}

/** mergedFolioSpans' flat pairs, reused (mergeSpans reads them and keeps none). */
const spansBuf: number[] = [];

/**
 * Spans given as flat [lo, hi) pairs, sorted by start (the longer first) and merged
 * where they overlap: what sorting the pairs as tuples and merging gave (the tests
 * compare the two), without a tuple per span or a sort where they come in order.
 */
export function mergeSpans(flat: readonly number[]): [number, number][] {
  const n = flat.length >> 1;
  // spans by start, then the longer first (the order the merge reads them in)
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) {
    const d = flat[2 * i]! - flat[2 * i - 2]!;
    if (d < 0 || (d === 0 && flat[2 * i + 1]! > flat[2 * i - 1]!)) sorted = false;
  }
  let order: number[] | null = null;
  if (!sorted) {
    order = [];
    for (let i = 0; i < n; i++) order.push(i);
    order.sort((x, y) => flat[2 * x]! - flat[2 * y]! || flat[2 * y + 1]! - flat[2 * x + 1]!);
  }
  const merged: [number, number][] = [];
  let last: [number, number] | undefined;
  for (let k = 0; k < n; k++) {
    const i = order === null ? k : order[k]!;
    const lo = flat[2 * i]!;
    const hi = flat[2 * i + 1]!;
    if (last !== undefined && lo < last[1]) last[1] = Math.max(last[1], hi);
    else merged.push((last = [lo, hi]));
  }
  return merged;
}

/** A RangeView whose `associated` is computed on first read (only when two mappings differ). */
class View implements RangeView {
  readonly folios: number;
  readonly head0: number;
  /** Number of refcounts (`refcounts.length`: a head with no struct page has none). */
  readonly nRefcounts: number;
  readonly refcount0: number;
  /** Every head and refcount where the range holds more than one, else null (built on read). */
  private hs: readonly number[] | null;
  private rs: readonly number[] | null;
  readonly order: number;
  readonly held: number;
  readonly mapcount: number;
  readonly pincount: number;
  readonly busy: boolean;
  readonly mapping: string | null;
  readonly type: string | undefined;
  readonly idle: number;
  private readonly world: World;
  private readonly lo: number;
  private readonly hi: number;
  private assoc: boolean | undefined;

  // positional: viewRange builds two of these per compared range, and a fields object would be a third allocation
  constructor(folios: number, head0: number, nRefcounts: number, refcount0: number, heads: readonly number[] | null, refcounts: readonly number[] | null, order: number, held: number, mapcount: number, pincount: number, busy: boolean, mapping: string | null, type: string | undefined, idle: number, world: World, lo: number, hi: number) {
    this.folios = folios;
    this.head0 = head0;
    this.nRefcounts = nRefcounts;
    this.refcount0 = refcount0;
    this.hs = heads;
    this.rs = refcounts;
    this.order = order;
    this.held = held;
    this.mapcount = mapcount;
    this.pincount = pincount;
    this.busy = busy;
    this.mapping = mapping;
    this.type = type;
    this.idle = idle;
    this.world = world;
    this.lo = lo;
    this.hi = hi;
  }

  get heads(): readonly number[] {
    return (this.hs ??= this.folios === 0 ? [] : [this.head0]);
  }

  get refcounts(): readonly number[] {
    return (this.rs ??= this.nRefcounts === 0 ? [] : [this.refcount0]);
  }

  get associated(): boolean {
    this.assoc ??= associationIndex(this.world)(this.lo, this.hi);
    return this.assoc;
  }
}

/**
 * One page answered from the caller's hand: the busy test of a written order-0 page
 * reads that page (through compound_head and folio_mapcount), so viewRange points
 * this at the page instead of letting the model look it up twice. Module state: the
 * busy tests never call viewRange.
 */
const memo: { view: StateView | null; pfn: number; page: PageState | undefined } = { view: null, pfn: -1, page: undefined };
const memoSource: PageSource = {
  get config() {
    return memo.view!.config;
  },
  page: (q) => (q === memo.pfn ? memo.page : memo.view!.page(q)),
};

/** The model's busy test of a written order-0 page, the page answered from the caller's hand (the memo). */
function storedBusy(model: RefcountModel, view: StateView, pfn: number, stored: PageState): boolean {
  memo.view = view;
  memo.pfn = pfn;
  memo.page = stored;
  const busy = model.isBusy(memoSource, pfn);
  memo.view = null;
  memo.page = undefined;
  return busy;
}

/** The association words of a folio head as compared ("F", "DAX_SHARED×2", "shared×2"), or null. */
function mappingWord(page: PageState, type: string | undefined, family: string): string | null {
  if (page.mapping === PAGE_MAPPING_DAX_SHARED) return `DAX_SHARED×${page.index}`;
  if (page.mapping === null) return page.index > 0 && type === 'fsdax' && family === 'unified' ? `shared×${page.index}` : null;
  return page.mapping === 'TAIL_MAPPING' ? null : page.mapping;
}

/** What viewRange reads of a one-page range holding a written order-0 page (see plainPage). */
export interface PlainPage {
  refcount: number;
  idle: number;
  /** folio_mapcount(): `_mapcount` + 1. */
  mapcount: number;
  busy: boolean;
  mapping: string | null;
}

/**
 * The one-page range [pfn, pfn + 1) as viewRange would read it, where its page is
 * written and neither head nor tail (a truncate compares 85 such ranges per Op on input
 * (b)): the same words, into `out`, without a view. False, with `out` untouched, for
 * any other page (viewRange then). Its folio is the page: order 0, one refcount, no
 * _pincount.
 */
export function plainPage(model: RefcountModel, view: StateView, pfn: number, out: PlainPage): boolean {
  const stored = view.stored(pfn);
  if (stored === undefined || (stored.flags & PG_head) !== 0 || isTail(stored)) return false;
  const type = findRange(view.ranges, pfn)?.pgmapType;
  out.refcount = stored.refcount;
  out.idle = type ? model.idleRefcount(type) : 0;
  out.mapcount = stored.mapcount + 1;
  out.busy = type === 'fsdax' && storedBusy(model, view, pfn, stored);
  out.mapping = mappingWord(stored, type, model.family);
  return true;
}

/**
 * Reads a compared range [lo, hi) of one model's state. Folio by folio; an untouched
 * page of an order-0 range is its own folio with its range's initial words, so such
 * runs (511 of a legacy PMD's 512 pages, say) cost a push each, not a derivation.
 * A diff builds hundreds of thousands of these (a truncate compares 512 one-page
 * ranges per model), so it allocates only what it returns.
 */
export function viewRange(model: RefcountModel, view: StateView, lo: number, hi: number): RangeView {
  const range = findRange(view.ranges, lo);
  const type = range?.pgmapType;
  const fsdax = type === 'fsdax';
  const idle = type ? model.idleRefcount(type) : 0;
  resetLists();
  let held = 0;
  let mapcount = 0;
  let pincount = 0;
  let busy = false;
  let order = 0;
  let mapping: string | null = null;
  let mappings: Set<string> | null = null;
  // the order-0 range of the last untouched page and its busy answer (two locals, not a literal per range)
  let untouchedRange: MemmapRange | undefined;
  let untouchedBusy = false;
  for (let p = lo; p < hi; ) {
    const stored = view.stored(p);
    if (stored === undefined) {
      const r = untouchedRange !== undefined && p >= untouchedRange.pfn && p < untouchedRange.pfn + untouchedRange.nr ? untouchedRange : findRange(view.ranges, p);
      if (r !== undefined && r.vmemmapShift === 0) {
        // folio_mapcount() 0, no pins, no mapping: only the refcount and the busy test remain,
        // and the busy test reads nothing but the page's own words, the same for every such page
        if (untouchedRange !== r) {
          untouchedRange = r;
          untouchedBusy = fsdax && model.isBusy(view, p);
        }
        pushHead(p);
        pushRefcount(r.refcount);
        held += r.refcount - idle;
        if (untouchedBusy) busy = true;
        p++;
        continue;
      }
    } else if ((stored.flags & PG_head) === 0 && !isTail(stored)) {
      // a written order-0 folio: its own head, its words read once (the other accessors would re-read them)
      pushHead(p);
      pushRefcount(stored.refcount);
      held += stored.refcount - idle;
      mapcount += stored.mapcount + 1;
      // one busy folio makes the range busy: the test need not run again
      if (!busy && fsdax) busy = storedBusy(model, view, p, stored);
      // the distinct association words (inline: a closure per call cost more than the words)
      const m = mappingWord(stored, type, model.family);
      if (m !== null && m !== mapping) {
        if (mapping === null) mapping = m;
        else (mappings ??= new Set([mapping])).add(m);
      }
      p++;
      continue;
    }
    const head = compoundHead(view, p);
    pushHead(head);
    p = Math.max(p + 1, head + folioNrPages(view, head));
    const page = view.page(head);
    if (!page) continue;
    pushRefcount(page.refcount);
    held += page.refcount - idle;
    mapcount += folioMapcount(view, head);
    pincount += folioPincount(view, head) ?? 0;
    order = Math.max(order, folioOrder(view, head));
    if (!busy && fsdax && model.isBusy(view, head)) busy = true;
    const m = mappingWord(page, type, model.family);
    if (m !== null && m !== mapping) {
      if (mapping === null) mapping = m;
      else (mappings ??= new Set([mapping])).add(m);
    }
  }
  const joined = mappings === null ? mapping : [...mappings].sort().join(',');
  return new View(nHeads, head0, nRefcounts, refcount0, heads, refcounts, order, held, mapcount, pincount, busy, joined, type, idle, view.world, lo, hi);
}

/*
 * The heads and refcounts viewRange collects, as module state: most compared ranges
 * hold one folio (an Op compares a dozen one-page ranges), so a list is made only at
 * the second entry. viewRange is not re-entered (the busy tests never call it).
 */
let nHeads = 0;
let head0 = 0;
let heads: number[] | null = null;
let nRefcounts = 0;
let refcount0 = 0;
let refcounts: number[] | null = null;

function resetLists(): void {
  nHeads = 0;
  head0 = 0;
  heads = null;
  nRefcounts = 0;
  refcount0 = 0;
  refcounts = null;
}

function pushHead(h: number): void {
  if (nHeads === 0) head0 = h;
  else if (nHeads === 1) heads = [head0, h];
  else heads!.push(h);
  nHeads++;
}

function pushRefcount(r: number): void {
  if (nRefcounts === 0) refcount0 = r;
  else if (nRefcounts === 1) refcounts = [refcount0, r];
  else refcounts!.push(r);
  nRefcounts++;
}

/** Overlap queries over the non-zero DAX entries of a world, built once per world value. */
type AssociationIndex = (lo: number, hi: number) => boolean;

const indexes = new WeakMap<World, AssociationIndex | 'scanned'>();

/**
 * "Some DAX xarray entry (of any file) points into [lo, hi)": sorted entry starts with
 * a running maximum of their ends, so a query is one binary search instead of a scan
 * of every entry of every file (a truncate compares 512 one-page ranges per model).
 * Worlds are frozen values, so the index is cached per world object.
 */
export function associationIndex(world: World): AssociationIndex {
  const cached = indexes.get(world);
  if (typeof cached === 'function') return cached;
  if (cached === undefined && Object.isFrozen(world)) {
    // most Ops compare one or two ranges per world value: a scan is cheaper than an index until the second query
    indexes.set(world, 'scanned');
    return (lo, hi) => scanAssociated(world, lo, hi);
  }
  const spans: [number, number][] = [];
  for (const xa of world.xa.values()) for (const e of xa.values()) if (!e.zero) spans.push([e.pfn, e.pfn + 2 ** e.order]);
  spans.sort((x, y) => x[0] - y[0]);
  const starts = spans.map((x) => x[0]);
  const maxEnd: number[] = [];
  for (const [, end] of spans) maxEnd.push(Math.max(end, maxEnd[maxEnd.length - 1] ?? -Infinity));
  const query: AssociationIndex = (lo, hi) => {
    // the last entry starting before hi; some entry up to it ending after lo overlaps
    let a = 0;
    let b = starts.length - 1;
    let at = -1;
    while (a <= b) {
      const mid = (a + b) >> 1;
      if (starts[mid]! < hi) {
        at = mid;
        a = mid + 1;
      } else b = mid - 1;
    }
    return at >= 0 && maxEnd[at]! > lo;
  };
  if (Object.isFrozen(world)) indexes.set(world, query);
  return query;
}

function scanAssociated(world: World, lo: number, hi: number): boolean {
  for (const xa of world.xa.values()) for (const e of xa.values()) if (!e.zero && e.pfn < hi && lo < e.pfn + 2 ** e.order) return true;
  return false;
}
