/**
 * Txn: the draft of one chunk of RefEvents. Rules mutate pages through it as they
 * would an immer draft; it copies a block and a page the first time a chunk writes
 * them (marked in a per-block byte array, see `marks`), and commit() freezes what it
 * copied, so the state after each chunk is a frozen value sharing every untouched
 * node with the state before it. The non-page world follows the same contract
 * through a WorldTxn (world-txn.ts).
 */
import { WorldTxn } from './world-txn.ts';
import { BLOCK_SIZE, findRange, type Block, type SimState } from './sim-state.ts';
import { copyPage, initialPage, initialRefcount, type MemmapRange, type MutablePage, type PageState } from './page.ts';
import type { World } from './world.ts';
import type { StateView } from './accessors.ts';

/**
 * A writable copy of a block. Not block.slice(): V8's slice of a frozen array takes
 * a slow generic path (17 µs for 512 slots in issue 16's profile, a third of replay's
 * CPU), while spreading it copies the elements directly (under 1 µs).
 */
function copyBlock(block: Block): (PageState | undefined)[] {
  return [...block];
}

/** A writable view of a SimState for the length of one chunk. */
export class Txn {
  /** The state the chunk started from. */
  readonly base: SimState;
  private blocks: Map<number, Block> | null = null;
  private freshBlocks: (PageState | undefined)[][] = [];
  /** Pages copied in this chunk: commit() freezes exactly these (no scan of their blocks). */
  private freshPages: MutablePage[] = [];

  /**
   * The last block looked up and its key: replay reads a page's count (refcountOf) and
   * then writes it (mut), so the second Map lookup of the same block is skipped.
   * Reset whenever a block of the map is replaced.
   */
  private lastKey = Number.NaN;
  private lastBlock: Block | undefined = undefined;
  /** marks.get(lastKey). */
  private lastMarks: Uint8Array | undefined = undefined;

  /**
   * The blocks this chunk copied, each with a byte per slot: 1 where this chunk copied
   * the page. mut() asks this, not Object.isFrozen(): isFrozen is a runtime call of
   * 35–100 ns on Node 20, twice per first write, and mut() runs for every event a
   * trace replay folds (2 M on the benchmark's input).
   */
  private marks = new Map<number, Uint8Array>();

  private worldTxn: WorldTxn | null = null;
  /** Memmap ranges (replaced, never mutated, when a range is registered). */
  ranges: readonly MemmapRange[];
  /** RefEvents folded so far. */
  events: number;
  /** The kernel facts of the state (tail encoding, vmemmap base). */
  readonly config: SimState['config'];

  constructor(base: SimState) {
    this.base = base;
    this.config = base.config;
    this.ranges = base.ranges;
    this.events = base.events;
  }

  /** The block of pages at a key as it stands in this chunk (the chunk's own or the base's). */
  private blockAt(key: number): Block | undefined {
    if (key === this.lastKey) return this.lastBlock;
    const block = (this.blocks ?? this.base.blocks).get(key);
    this.lastKey = key;
    this.lastBlock = block;
    this.lastMarks = this.marks.get(key);
    return block;
  }

  /** The current value of a page, or undefined where no struct page exists. */
  page(pfn: number): PageState | undefined {
    const key = Math.floor(pfn / BLOCK_SIZE);
    const p = this.blockAt(key)?.[pfn - key * BLOCK_SIZE];
    if (p) return p;
    const range = findRange(this.ranges, pfn);
    return range ? initialPage(this.base.config, range, pfn) : undefined;
  }

  /** The page written at pfn so far (this chunk or before), or undefined where it is untouched or absent. */
  stored(pfn: number): PageState | undefined {
    const key = Math.floor(pfn / BLOCK_SIZE);
    return this.blockAt(key)?.[pfn - key * BLOCK_SIZE];
  }

  /** This draft as a read-only view (pages, ranges and world as they stand now). */
  view(): StateView {
    return { config: this.config, ranges: this.ranges, world: this.readWorld(), page: (pfn) => this.page(pfn), stored: (pfn) => this.stored(pfn) };
  }

  /**
   * The current `_refcount` of a page, or undefined where no struct page exists:
   * page(pfn)?.refcount without building an untouched page.
   */
  refcountOf(pfn: number): number | undefined {
    const key = Math.floor(pfn / BLOCK_SIZE);
    const p = this.blockAt(key)?.[pfn - key * BLOCK_SIZE];
    if (p) return p.refcount;
    const range = findRange(this.ranges, pfn);
    return range ? initialRefcount(range, pfn) : undefined;
  }

  /** A writable page (copied at most once per chunk), or undefined where no struct page exists. */
  mut(pfn: number): MutablePage | undefined {
    const key = Math.floor(pfn / BLOCK_SIZE);
    const slot = pfn - key * BLOCK_SIZE;
    let block = this.blockAt(key);
    // the marks of `block` when this chunk copied it (undefined: the block is the base's, frozen)
    let marks = this.lastMarks;
    const cur = block?.[slot];
    if (cur && marks !== undefined && marks[slot] === 1) return cur;
    let base = cur;
    if (!base) {
      const range = findRange(this.ranges, pfn);
      if (!range) return undefined;
      base = initialPage(this.base.config, range, pfn);
    }
    if (!block || marks === undefined) {
      this.blocks ??= new Map(this.base.blocks);
      const fresh = block ? copyBlock(block) : new Array<PageState | undefined>(BLOCK_SIZE).fill(undefined);
      marks = new Uint8Array(BLOCK_SIZE);
      this.blocks.set(key, fresh);
      this.marks.set(key, marks);
      this.freshBlocks.push(fresh);
      this.lastKey = key;
      this.lastBlock = fresh;
      this.lastMarks = marks;
      block = fresh;
    }
    const copy = copyPage(base);
    (block as (PageState | undefined)[])[slot] = copy;
    marks[slot] = 1;
    this.freshPages.push(copy);
    return copy;
  }

  /** Forgets written pages in [pfn, pfn+nr) so they read as their range's initial value again. */
  drop(pfn: number, nr: number): void {
    this.blocks ??= new Map(this.base.blocks);
    this.lastKey = Number.NaN;
    this.lastBlock = undefined;
    this.lastMarks = undefined;
    for (const key of [...this.blocks.keys()]) {
      const lo = key * BLOCK_SIZE;
      if (lo + BLOCK_SIZE <= pfn || lo >= pfn + nr) continue;
      if (lo >= pfn && lo + BLOCK_SIZE <= pfn + nr) {
        this.blocks.delete(key);
        this.marks.delete(key);
      } else {
        const block = copyBlock(this.blocks.get(key)!);
        // the pages this chunk copied stay its own (writable) in the new copy of their block
        const marks = this.marks.get(key)?.slice() ?? new Uint8Array(BLOCK_SIZE);
        for (let i = 0; i < BLOCK_SIZE; i++) {
          if (lo + i >= pfn && lo + i < pfn + nr) {
            block[i] = undefined;
            marks[i] = 0;
          }
        }
        this.blocks.set(key, block);
        this.marks.set(key, marks);
        this.freshBlocks.push(block);
      }
    }
  }

  /** The pfns of [lo, hi) that hold a written page, in order. */
  *written(lo: number, hi: number): Generator<number> {
    const blocks = this.blocks ?? this.base.blocks;
    const keys = [...blocks.keys()].filter((k) => k * BLOCK_SIZE < hi && (k + 1) * BLOCK_SIZE > lo).sort((a, b) => a - b);
    for (const k of keys) {
      const block = blocks.get(k)!;
      for (let i = 0; i < BLOCK_SIZE; i++) {
        const pfn = k * BLOCK_SIZE + i;
        if (block[i] && pfn >= lo && pfn < hi) yield pfn;
      }
    }
  }

  /** The non-page world, copied on write in this chunk (the world fold rules write through it). */
  get world(): WorldTxn {
    this.worldTxn ??= new WorldTxn(this.base.world);
    return this.worldTxn;
  }

  /**
   * The non-page world for reading, as it stands now: the chunk's own collections
   * where it wrote (they may still change until the chunk commits), the committed
   * ones elsewhere. Plain Maps, no proxies.
   */
  readWorld(): World {
    return this.worldTxn ? this.worldTxn.current : this.base.world;
  }

  /** Freezes what this chunk wrote and returns the next state. */
  commit(): SimState {
    // A page copied and then dropped (memmap_init over it) is frozen too: harmless, it is unreachable.
    for (const p of this.freshPages) Object.freeze(p);
    for (const block of this.freshBlocks) Object.freeze(block);
    this.freshPages = [];
    this.freshBlocks = [];
    // what commit froze is no longer this draft's to write
    this.marks = new Map();
    this.lastKey = Number.NaN;
    this.lastBlock = undefined;
    this.lastMarks = undefined;
    const next: SimState = {
      config: this.base.config,
      ranges: this.ranges,
      blocks: this.blocks ?? this.base.blocks,
      world: this.worldTxn ? this.worldTxn.commit() : this.base.world,
      events: this.events,
    };
    return Object.freeze(next);
  }
}
