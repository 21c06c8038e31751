/**
 * The struct page words the simulator mirrors (spec §2.1), one record per touched pfn.
 * Folio metadata lives where the kernel keeps it: in page[1] of a large folio.
 */
import { PG_head, PG_reserved } from '../kernel/page-flags.ts';
import type { PgmapType } from '../events/op.ts';

/**
 * Word 1 of struct page: on an order-0 or head ZONE_DEVICE page the pgmap pointer
 * (here the pgmap's id, a string), on a tail the compound-head encoding as the
 * recording kernel stores it (a bigint with bit 0 set: `head | 1`, or the 7.1+ mask).
 */
export type Word1 = string | bigint;

/** PAGE_MAPPING_DAX_SHARED: legacy reflink sentinel `(void *)0x1` (fs/dax.c before v6.15). */
export const PAGE_MAPPING_DAX_SHARED = 'PAGE_MAPPING_DAX_SHARED';
/** TAIL_MAPPING: what prep_compound_tail() writes into page[3..] ->mapping. */
export const TAIL_MAPPING = 'TAIL_MAPPING';

/** One struct page. Fields named after the kernel's. */
export interface PageState {
  readonly flags: number;
  readonly word1: Word1;
  /** ->mapping: a file id, PAGE_MAPPING_DAX_SHARED, TAIL_MAPPING, or null (NULL). */
  readonly mapping: string | null;
  /** The index/share union word. */
  readonly index: number;
  readonly refcount: number;
  /** Raw _mapcount: −1 when unmapped. */
  readonly mapcount: number;
  // page[1] words of a large folio (meaningless elsewhere, and left stale after a split, spec §4.4).
  /** folio order (page[1] flags byte, +64 from the head). */
  readonly folioOrder: number;
  /** Raw _entire_mapcount (−1 = none). */
  readonly entireMapcount: number;
  /** Raw _large_mapcount (−1 = none). */
  readonly largeMapcount: number;
  /** _pincount. */
  readonly pincount: number;
}

/** A page being written inside a transaction. */
export type MutablePage = { -readonly [K in keyof PageState]: PageState[K] };

/** A registered memmap range: the lazy template of its pages (memmap_init_zone_device()). */
export interface MemmapRange {
  readonly pgmap: string;
  readonly pgmapType: PgmapType;
  readonly pfn: number;
  readonly nr: number;
  readonly refcount: number;
  readonly vmemmapShift: number;
}

/** How tails encode their head in word 1 (spec §0.5). */
export type TailEncoding = 'head' | 'mask';

/** Kernel facts the fold needs to write and read raw words. */
export interface StateConfig {
  readonly tailEncoding: TailEncoding;
  readonly vmemmapBase: bigint;
}

/** The struct page address of a pfn (vmemmap + pfn * 64). */
export function pageAddress(config: StateConfig, pfn: number): bigint {
  return config.vmemmapBase + BigInt(pfn) * 64n;
}

/**
 * set_compound_head()/set_compound_info(): the word-1 value a tail of `head` holds.
 * 'head': head address | 1. 'mask': ~((1 << (order + 6)) − 1) | 1 as a 64-bit value,
 * the same for every tail of a folio of that order (spec §0.5, recorded 0xffffffffff000001).
 */
export function tailWord(config: StateConfig, head: number, order: number): bigint {
  if (config.tailEncoding === 'mask') {
    const mask = ((1n << 64n) - 1n) ^ ((1n << BigInt(order + 6)) - 1n);
    return mask | 1n;
  }
  return pageAddress(config, head) | 1n;
}

/**
 * The page a tail's word 1 names as its head, decoded as compound_head() does for
 * the configured encoding. Returns null when word 1 is not a tail encoding.
 */
export function decodeTailWord(config: StateConfig, pfn: number, word1: Word1): number | null {
  if (typeof word1 !== 'bigint') return null;
  // compound_head() runs on every tail page a rule or a diff reads, and BigInt arithmetic
  // allocates each intermediate value: the word last decoded is remembered (the tails of
  // one folio share it), and its answer computed in plain numbers where that is exact
  if (config !== decoded.config || word1 !== decoded.word1) {
    if ((word1 & 1n) === 0n) return null;
    learnTailWord(config, word1);
  }
  if (config.tailEncoding === 'mask') {
    const align = decoded.align;
    if (align > 0 && pfn >= 0 && pfn <= decoded.maxPfn) {
      // headAddr = addr & ~(align − 1) with addr = base + pfn·64 < 2^64, all below 2^53 here
      const r = (decoded.baseMod + ((pfn * 64) % align)) % align;
      // + 0: BigInt division never gives −0
      return Math.trunc((pfn * 64 - r) / 64) + 0;
    }
    return decodeTailWordSlow(config, pfn, word1);
  }
  return decoded.head;
}

/** decodeTailWord() in BigInt arithmetic throughout (its definition; the tests compare against it). */
export function decodeTailWordSlow(config: StateConfig, pfn: number, word1: Word1): number | null {
  if (typeof word1 !== 'bigint' || (word1 & 1n) === 0n) return null;
  if (config.tailEncoding === 'mask') {
    const headAddr = pageAddress(config, pfn) & (word1 & ~1n);
    return Number((headAddr - config.vmemmapBase) / 64n);
  }
  return Number((word1 - 1n - config.vmemmapBase) / 64n);
}

/**
 * The tail word decodeTailWord() saw last (bit 0 set), under which config: for the
 * 'head' encoding its answer; for 'mask', when the word is a 64-bit mask
 * ~(align − 1) | 1 with align ≤ 2^40, align, base mod align and the largest pfn whose
 * page address stays below 2^64 and whose pfn·64 below 2^53 (align 0: use BigInt).
 */
const decoded: { config: StateConfig | null; word1: bigint; head: number; align: number; baseMod: number; maxPfn: number } = {
  config: null, word1: 0n, head: 0, align: 0, baseMod: 0, maxPfn: -1,
};

const TWO_64 = 1n << 64n;

function learnTailWord(config: StateConfig, word1: bigint): void {
  decoded.config = config;
  decoded.word1 = word1;
  decoded.head = 0;
  decoded.align = 0;
  decoded.baseMod = 0;
  decoded.maxPfn = -1;
  if (config.tailEncoding !== 'mask') {
    decoded.head = Number((word1 - 1n - config.vmemmapBase) / 64n);
    return;
  }
  const base = config.vmemmapBase;
  const mask = word1 - 1n;
  const align = TWO_64 - mask;
  // a power of two from 2 to 2^40, and the mask all ones above it up to bit 63
  if (mask <= 0n || mask >= TWO_64 || align < 2n || align > 1n << 40n || (align & (align - 1n)) !== 0n || base < 0n || base >= TWO_64) return;
  decoded.align = Number(align);
  decoded.baseMod = Number(base % align);
  const room = (TWO_64 - 1n - base) / 64n;
  decoded.maxPfn = Number(room < 1n << 46n ? room : 1n << 46n);
}

/**
 * The untouched value of a pfn in a registered range: __init_zone_device_page()
 * plus the type's refcount reset, and memmap_init_compound() for device-dax
 * (head keeps the type's refcount; tails get refcount 0, word 1 = head encoding,
 * page[3..] TAIL_MAPPING; prep_compound_head() sets page[1]'s counters).
 */
export function initialPage(config: StateConfig, range: MemmapRange, pfn: number): PageState {
  const shift = range.vmemmapShift;
  if (shift > 0) {
    const head = range.pfn + Math.floor((pfn - range.pfn) / 2 ** shift) * 2 ** shift;
    const i = pfn - head;
    if (i === 0) return makePage(PG_reserved | PG_head, range.pgmap, null, range.refcount, 0);
    return makePage(PG_reserved, tailWord(config, head, shift), i >= 3 ? TAIL_MAPPING : null, 0, i === 1 ? shift : 0);
  }
  return makePage(PG_reserved, range.pgmap, null, range.refcount, 0);
}

/**
 * The `_refcount` of a pfn in a registered range that was never written: what
 * initialPage() would give, without building the page (the trace replay asks this
 * for every recorded event).
 */
export function initialRefcount(range: MemmapRange, pfn: number): number {
  const shift = range.vmemmapShift;
  if (shift > 0 && (pfn - range.pfn) % 2 ** shift !== 0) return 0;
  return range.refcount;
}

/** A fresh page from memmap_init_zone_device()'s values (the other words at their reset values). */
function makePage(flags: number, word1: Word1, mapping: string | null, refcount: number, folioOrder: number): PageState {
  // Written as one literal in field order, like copyPage(): every page shares one hidden class.
  return { flags, word1, mapping, index: 0, refcount, mapcount: -1, folioOrder, entireMapcount: -1, largeMapcount: -1, pincount: 0 };
}

/**
 * A writable copy of a page. An explicit literal, not `{ ...page }`: on Node 20 a
 * spread copy gets a hidden class outside the literal's transition tree, and
 * Object.freeze() then turns it into a slow dictionary object (measured ~9x slower
 * to copy-and-freeze, and slower to read afterwards; BENCHMARKS.md).
 */
export function copyPage(p: PageState): MutablePage {
  return {
    flags: p.flags, word1: p.word1, mapping: p.mapping, index: p.index, refcount: p.refcount, mapcount: p.mapcount,
    folioOrder: p.folioOrder, entireMapcount: p.entireMapcount, largeMapcount: p.largeMapcount, pincount: p.pincount,
  };
}

/**
 * Whether a page is "plain": its order-0 range's untouched page (initialPage(): PG_reserved
 * only, word 1 the pgmap, no mapping, every folio counter at its reset value) but for
 * `_refcount` and `_mapcount`. Nearly every page a page_ref trace replay or check writes
 * stays plain: a page_ref event changes the count, and check's mapcount resync the
 * mapcount, of an order-0 page.
 */
export function isPlain(p: PageState): boolean {
  return p.flags === PG_reserved && typeof p.word1 === 'string' && p.mapping === null && p.index === 0 &&
    p.folioOrder === 0 && p.entireMapcount === -1 && p.largeMapcount === -1 && p.pincount === 0;
}

/** Counts from −1 (a `set` a recording shows, page_ref_set(page, -1)) up to below this − 1 share one frozen plain page per pgmap. */
const PLAIN_COUNTS = 64;
/** Raw `_mapcount`s from −1 up to below this − 1 share one too. */
const PLAIN_MAPCOUNTS = 8;
/** pgmaps whose plain pages are shared, at most (a long-lived library caller sees few; past it, pages are built each time). */
const PLAIN_PGMAPS = 1024;
/** Shared frozen plain pages: pgmap → (refcount + 1) × PLAIN_MAPCOUNTS + mapcount + 1 → page. */
const plainPages = new Map<string, (PageState | undefined)[]>();

/** A new frozen plain page. */
function newPlain(pgmap: string, refcount: number, mapcount: number): PageState {
  const p = makePage(PG_reserved, pgmap, null, refcount, 0) as MutablePage;
  p.mapcount = mapcount;
  return Object.freeze(p);
}

/**
 * The frozen plain page of `pgmap` at `refcount` and raw `mapcount` (see
 * {@link isPlain}). Pages are values: two plain pages with the same pgmap and counts
 * are the same page, so a state may hold one frozen object in many slots, and a chunk
 * stores it instead of copying and freezing a page per event (issue 16: the copy, its
 * freeze and its garbage were most of the fold). Txn.mut() copies such a page before a write.
 */
export function plainPage(pgmap: string, refcount: number, mapcount = -1): PageState {
  if (!(refcount >= -1 && refcount < PLAIN_COUNTS - 1 && mapcount >= -1 && mapcount < PLAIN_MAPCOUNTS - 1 && Number.isInteger(refcount) && Number.isInteger(mapcount))) {
    return newPlain(pgmap, refcount, mapcount);
  }
  let row = plainPages.get(pgmap);
  if (row === undefined) {
    if (plainPages.size >= PLAIN_PGMAPS) return newPlain(pgmap, refcount, mapcount);
    row = new Array<PageState | undefined>(PLAIN_COUNTS * PLAIN_MAPCOUNTS).fill(undefined);
    plainPages.set(pgmap, row);
  }
  return (row[(refcount + 1) * PLAIN_MAPCOUNTS + mapcount + 1] ??= newPlain(pgmap, refcount, mapcount));
}
