/**
 * The open episodes of a diff, indexed by the pages of their ranges, for the question
 * every Op asks: which open episodes overlap the ranges it touched? The answer's order
 * is part of the output (episodes a report sorts as ties — same start, first page and
 * class — keep the order they closed in), and it is the order of a scan of 512-page
 * blocks: range by range, block by block, each block's list in opening order
 * ({@link OpenIndex.overlappingByScan}, what the diff did before this index).
 *
 * The blocks alone made that scan quadratic: after a PMD split every page of a block
 * can hold an episode of its own, and each of the 512 one-page ranges an Op compares
 * there read the whole block's list. So the episodes are also listed by 32-page slice
 * (or, over more than 16 slices, in one short list of wide episodes such as a 1 GiB
 * folio's, which would otherwise sit in 8,192 slices), and the overlapping ones found
 * there are put in the scan's order: an episode is first found in block
 * max(its first block, the range's first block), and within a block by opening order.
 */

/** What the index needs of an episode: its range [lo, hi) and two fields it owns. */
export interface Indexed {
  readonly lo: number;
  readonly hi: number;
  /** Opening order, set by add() (every list of the index holds its episodes in this order). */
  id: number;
  /** The overlapping() call that last found it, set by overlapping() (no Set per call); CLOSED once removed. */
  found: number;
}

/** Pages of a block (the scan's unit). */
const BLOCK_PAGES = 512;
/** Pages of a slice. */
const SLICE_PAGES = 32;

// Division, not `>>`: a shift works on 32-bit integers, and a pfn reaches 2^31 at 8 TiB
// of physical address (persistent memory on a large machine sits there), where `>>`
// would turn the key negative and wrap it past 2^32.
/** The block of a pfn. */
function blockOf(pfn: number): number {
  return Math.floor(pfn / BLOCK_PAGES);
}
/** The slice of a pfn. */
function sliceOf(pfn: number): number {
  return Math.floor(pfn / SLICE_PAGES);
}
/** Slices past which an episode is kept in the wide list rather than in each slice. */
const WIDE_SLICES = 16;
/** `found` of a removed episode (overlapping() counts its calls from 1). */
const CLOSED = -1;

/** e is still in the index (not removed). */
export function isOpen(e: Indexed): boolean {
  return e.found !== CLOSED;
}

/**
 * Puts episodes found overlapping the one range starting at lo in the order
 * overlapping([[lo, hi]]) gives them: for a caller that picks them out of an earlier,
 * wider answer instead of asking the index again.
 */
export function inScanOrder<T extends Indexed>(found: T[], lo: number): T[] {
  if (found.length > 1) {
    const block = blockOf(lo);
    found.sort((x, y) => Math.max(blockOf(x.lo), block) - Math.max(blockOf(y.lo), block) || x.id - y.id);
  }
  return found;
}

/** Open episodes by block and by slice; see the file comment. */
export class OpenIndex<T extends Indexed> {
  private readonly blocks = new Map<number, T[]>();
  private readonly slices = new Map<number, T[]>();
  private readonly wide: T[] = [];
  private opened = 0;
  private lookups = 0;

  /** Opens e (its id is set here). */
  add(e: T): void {
    e.id = ++this.opened;
    for (let k = blockOf(e.lo); k <= blockOf(e.hi - 1); k++) listIn(this.blocks, k, e);
    if (isWide(e)) this.wide.push(e);
    else for (let k = sliceOf(e.lo); k <= sliceOf(e.hi - 1); k++) listIn(this.slices, k, e);
  }

  /** Closes e. */
  remove(e: T): void {
    e.found = CLOSED;
    for (let k = blockOf(e.lo); k <= blockOf(e.hi - 1); k++) unlist(this.blocks, k, e);
    if (isWide(e)) {
      const i = this.wide.indexOf(e);
      if (i >= 0) this.wide.splice(i, 1);
    } else for (let k = sliceOf(e.lo); k <= sliceOf(e.hi - 1); k++) unlist(this.slices, k, e);
  }

  /** Every open episode, once each, block list by block list in the blocks' Map order (what the end of a diff finishes). */
  all(): T[] {
    const out = new Set<T>();
    for (const list of this.blocks.values()) for (const e of list) out.add(e);
    return [...out];
  }

  /** Open episodes overlapping any of the ranges, once each, in the order of {@link overlappingByScan}. */
  overlapping(ranges: readonly (readonly [number, number])[]): T[] {
    if (this.slices.size === 0 && this.wide.length === 0) return [];
    const call = ++this.lookups;
    const out: T[] = [];
    const found: T[] = [];
    for (const [lo, hi] of ranges) {
      const first = sliceOf(lo);
      const last = sliceOf(hi - 1);
      if (last - first + 1 <= this.slices.size) {
        for (let k = first; k <= last; k++) {
          const list = this.slices.get(k);
          if (list !== undefined) for (const e of list) foundIn(e, lo, hi, call, found);
        }
      } else {
        // a range over more slices than hold episodes (a 1 GiB folio spans 8,192): only
        // the slices that hold some, instead of a lookup per slice
        for (const [k, list] of this.slices) if (k >= first && k <= last) for (const e of list) foundIn(e, lo, hi, call, found);
      }
      for (const e of this.wide) foundIn(e, lo, hi, call, found);
      if (found.length > 1) {
        const block = blockOf(lo);
        found.sort((x, y) => Math.max(blockOf(x.lo), block) - Math.max(blockOf(y.lo), block) || x.id - y.id);
      }
      for (const e of found) out.push(e);
      found.length = 0;
    }
    return out;
  }

  /** {@link overlapping} by a scan of the blocks (its definition; the tests compare against it). */
  overlappingByScan(ranges: readonly (readonly [number, number])[]): T[] {
    const out = new Set<T>();
    for (const [lo, hi] of ranges) {
      for (let k = blockOf(lo); k <= blockOf(hi - 1); k++) for (const e of this.blocks.get(k) ?? []) if (e.lo < hi && lo < e.hi) out.add(e);
    }
    return [...out];
  }
}

/** An episode over more than WIDE_SLICES slices. */
function isWide(e: Indexed): boolean {
  return sliceOf(e.hi - 1) - sliceOf(e.lo) >= WIDE_SLICES;
}

/** Adds e to found if it overlaps [lo, hi) and this call has not found it yet. */
function foundIn<T extends Indexed>(e: T, lo: number, hi: number, call: number, found: T[]): void {
  if (e.found !== call && e.lo < hi && lo < e.hi) {
    e.found = call;
    found.push(e);
  }
}

/** Appends e to the list at key k. */
function listIn<T>(index: Map<number, T[]>, k: number, e: T): void {
  const list = index.get(k);
  if (list) list.push(e);
  else index.set(k, [e]);
}

/** Removes e from the list at key k (and the list once empty). */
function unlist<T>(index: Map<number, T[]>, k: number, e: T): void {
  const list = index.get(k);
  if (!list) return;
  const i = list.indexOf(e);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) index.delete(k);
}
