/**
 * Txn: the draft of one chunk of RefEvents. Rules mutate pages through it as they
 * would an immer draft; it copies a page, and the leaf, block and dir nodes above it,
 * the first time a chunk writes them, and commit() freezes what it copied, so the
 * state after each chunk is a frozen value sharing every untouched node with the
 * state before it. The non-page world follows the same contract through a WorldTxn
 * (world-txn.ts).
 *
 * What this chunk copied is told by identity against the base state: a node (or page)
 * differs from the base's node at the same place only if this chunk copied it, so no
 * marks are allocated per block. (mut() must not ask Object.isFrozen() on every call:
 * a runtime call of 35–100 ns on Node 20. It asks only in a chunk that stored a shared
 * plain page, which is frozen though it is not the base's: storePlain().)
 *
 * A page_ref event changes only `_refcount`, so its page usually stays "plain" (page.ts
 * isPlain()): such a write stores one shared frozen page per (pgmap, counts) instead of
 * copying the page and freezing the copy at commit (storePlain(); issue 16).
 */
import { WorldTxn } from './world-txn.ts';
import { BLOCK_LEAVES, BLOCK_SIZE, DIR_PFNS, DIR_SIZE, LEAF_SHIFT, LEAF_SIZE, findRange, forEachPage, type Block, type Dir, type Leaf, type PageTree, type SimState } from './sim-state.ts';
import { copyPage, decodeTailWord, initialPage, initialRefcount, isPlain, plainPage, type MemmapRange, type MutablePage, type PageState } from './page.ts';
import type { World } from './world.ts';
import type { StateView } from './accessors.ts';

const LEAF_MASK = LEAF_SIZE - 1;

/**
 * A writable copy of a node. Not node.slice(): V8's slice of a frozen array takes a
 * slow generic path (17 µs for 512 slots in issue 16's profile), while spreading it
 * copies the elements directly.
 */
function copyNode<T>(node: readonly T[]): T[] {
  return [...node];
}

/** A new node of n empty slots. */
function emptyNode<T>(n: number): (T | undefined)[] {
  return new Array<T | undefined>(n).fill(undefined);
}

/** A writable view of a SimState for the length of one chunk (a new Txn per chunk: commit() ends it). */
export class Txn {
  /** The state the chunk started from. */
  readonly base: SimState;
  /** The chunk's own top level (a copy of the base's, made at the first write). */
  private dirs: Map<number, Dir> | null = null;
  /** Pages copied in this chunk: commit() freezes exactly these (no scan of their nodes). */
  private freshPages: MutablePage[] = [];
  /** Leaf, block and dir nodes copied in this chunk. */
  private freshNodes: unknown[][] = [];

  /**
   * The last dir looked up: its key, the chunk's dir there and the base's. Replay reads
   * a page's count (refcountOf) and then writes it (mut), and most traces stay in one
   * GiB of pfns, so a lookup rarely goes through the Maps. Reset whenever a dir or the
   * top level is replaced.
   */
  private lastDirKey = Number.NaN;
  private lastDir: Dir | undefined = undefined;
  private lastBaseDir: Dir | undefined = undefined;
  /** The last block looked up: its key, the chunk's block there and the base's (its origin). */
  private lastKey = Number.NaN;
  private lastBlock: Block | undefined = undefined;
  private lastOrigin: Block | undefined = undefined;

  /**
   * Whether this chunk stored a shared frozen page ({@link storePlain}): then a page in
   * the chunk's own leaf may be one of those, not a copy mut() may hand out.
   */
  private storedShared = false;
  /** The pgmap of the page {@link plainRefcount} last found plain. */
  private plainPgmap = '';
  /** The raw `_mapcount` of the page {@link plainRefcount} last found plain. */
  plainMapcount = -1;

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

  /** Pages copied in this chunk (each frozen at commit). */
  get copies(): number {
    return this.freshPages.length;
  }

  /** The pages as they stand in this chunk. */
  private get tree(): PageTree {
    return this.dirs ?? this.base.pages;
  }

  private forget(): void {
    this.lastDirKey = Number.NaN;
    this.lastDir = undefined;
    this.lastBaseDir = undefined;
    this.lastKey = Number.NaN;
    this.lastBlock = undefined;
    this.lastOrigin = undefined;
  }

  /** The block at a key as it stands in this chunk; sets lastOrigin to the base's block there. */
  private blockAt(key: number): Block | undefined {
    if (key === this.lastKey) return this.lastBlock;
    const d = Math.floor(key / DIR_SIZE);
    if (d !== this.lastDirKey) {
      this.lastDirKey = d;
      this.lastBaseDir = this.base.pages.get(d);
      this.lastDir = this.dirs === null ? this.lastBaseDir : this.dirs.get(d);
    }
    const b = key - d * DIR_SIZE;
    const block = this.lastDir?.[b];
    this.lastKey = key;
    this.lastBlock = block;
    this.lastOrigin = this.lastBaseDir?.[b];
    return block;
  }

  /** The written page at pfn in this chunk, or undefined. */
  private at(pfn: number): PageState | undefined {
    const key = Math.floor(pfn / BLOCK_SIZE);
    const slot = pfn - key * BLOCK_SIZE;
    return this.blockAt(key)?.[slot >> LEAF_SHIFT]?.[slot & LEAF_MASK];
  }

  /** The current value of a page, or undefined where no struct page exists. */
  page(pfn: number): PageState | undefined {
    const p = this.at(pfn);
    if (p) return p;
    const range = findRange(this.ranges, pfn);
    return range ? initialPage(this.base.config, range, pfn) : undefined;
  }

  /** The page written at pfn so far (this chunk or before), or undefined where it is untouched or absent. */
  stored(pfn: number): PageState | undefined {
    return this.at(pfn);
  }

  /**
   * compound_head() of pfn: what accessors.ts compoundHead() derives from page(pfn),
   * without building the page where it is untouched (an order-0 range's page is its
   * own head: its word 1 is the pgmap).
   */
  headOf(pfn: number): number {
    const p = this.at(pfn);
    if (p !== undefined) return decodeTailWord(this.config, pfn, p.word1) ?? pfn;
    const range = findRange(this.ranges, pfn);
    if (range === undefined || range.vmemmapShift === 0) return pfn;
    return decodeTailWord(this.config, pfn, initialPage(this.base.config, range, pfn).word1) ?? pfn;
  }

  /** This draft as a read-only view (pages, ranges and world as they stand now). */
  view(): StateView {
    return { config: this.config, ranges: this.ranges, world: this.readWorld(), page: (pfn) => this.page(pfn), stored: (pfn) => this.stored(pfn), headOf: (pfn) => this.headOf(pfn) };
  }

  /**
   * The current `_refcount` of a page, or undefined where no struct page exists:
   * page(pfn)?.refcount without building an untouched page.
   */
  refcountOf(pfn: number): number | undefined {
    const p = this.at(pfn);
    if (p) return p.refcount;
    const range = findRange(this.ranges, pfn);
    return range ? initialRefcount(range, pfn) : undefined;
  }

  /** A writable page (copied at most once per chunk), or undefined where no struct page exists. */
  mut(pfn: number): MutablePage | undefined {
    const key = Math.floor(pfn / BLOCK_SIZE);
    const slot = pfn - key * BLOCK_SIZE;
    const block = this.blockAt(key);
    const li = slot >> LEAF_SHIFT;
    const leaf = block?.[li];
    const cur = leaf?.[slot & LEAF_MASK];
    if (cur !== undefined) {
      // this chunk's own page: its block, its leaf and the page itself are not the base's
      const origin = this.lastOrigin;
      if (block !== origin) {
        const ol = origin?.[li];
        // a shared plain page stored by this chunk is frozen: copy it like the base's
        if (leaf !== ol && cur !== ol?.[slot & LEAF_MASK] && !(this.storedShared && Object.isFrozen(cur))) return cur;
      }
      return this.write(key, slot, cur);
    }
    const range = findRange(this.ranges, pfn);
    if (!range) return undefined;
    return this.write(key, slot, initialPage(this.base.config, range, pfn));
  }

  /**
   * The `_refcount` of the page at pfn where it is plain (page.ts isPlain(): written
   * plain, or untouched in an order-0 range), else NaN (no struct page, a compound
   * range, or any other word changed). Remembers its pgmap for {@link storePlain}.
   */
  plainRefcount(pfn: number): number {
    const p = this.at(pfn);
    if (p !== undefined) {
      if (!isPlain(p)) return Number.NaN;
      this.plainPgmap = p.word1 as string;
      this.plainMapcount = p.mapcount;
      return p.refcount;
    }
    const range = findRange(this.ranges, pfn);
    if (range === undefined || range.vmemmapShift !== 0) return Number.NaN;
    this.plainPgmap = range.pgmap;
    this.plainMapcount = -1;
    return range.refcount;
  }

  /**
   * Sets `_refcount` (and `_mapcount`, else kept) of the page at pfn, which
   * {@link plainRefcount} (the call just before, for the same pfn) found plain: the slot
   * gets the shared frozen plain page of those counts (page.ts plainPage()) instead of
   * a copy, so nothing is copied or frozen per page; only the nodes above it are
   * copied, as for any write.
   */
  storePlain(pfn: number, refcount: number, mapcount = this.plainMapcount): void {
    const key = Math.floor(pfn / BLOCK_SIZE);
    const slot = pfn - key * BLOCK_SIZE;
    const leaf = this.ownLeaf(this.ownBlock(key), slot >> LEAF_SHIFT);
    leaf[slot & LEAF_MASK] = plainPage(this.plainPgmap, refcount, mapcount);
    this.storedShared = true;
  }

  /** The chunk's own dir at key d (copied from the base's, or new), made the cached dir. */
  private ownDir(d: number): (Block | undefined)[] {
    this.dirs ??= new Map(this.base.pages);
    let dir = this.dirs.get(d);
    const baseDir = this.base.pages.get(d);
    if (dir === undefined || dir === baseDir) {
      dir = dir ? copyNode(dir) : emptyNode<Block>(DIR_SIZE);
      this.dirs.set(d, dir);
      this.freshNodes.push(dir as unknown[]);
    }
    this.lastDirKey = d;
    this.lastDir = dir;
    this.lastBaseDir = baseDir;
    return dir as (Block | undefined)[];
  }

  /** The chunk's own block at key (copied or new) in its own dir, made the cached block. */
  private ownBlock(key: number): (Leaf | undefined)[] {
    let block = this.blockAt(key);
    const origin = this.lastOrigin;
    if (block === undefined || block === origin) {
      const d = Math.floor(key / DIR_SIZE);
      const dir = this.ownDir(d);
      block = block ? copyNode(block) : emptyNode<Leaf>(BLOCK_LEAVES);
      dir[key - d * DIR_SIZE] = block;
      this.freshNodes.push(block as unknown[]);
      this.lastKey = key;
      this.lastBlock = block;
      this.lastOrigin = origin;
    }
    return block as (Leaf | undefined)[];
  }

  /** The chunk's own leaf li of its own block at key (copied or new). */
  private ownLeaf(block: (Leaf | undefined)[], li: number): (PageState | undefined)[] {
    let leaf = block[li];
    if (leaf === undefined || leaf === this.lastOrigin?.[li]) {
      leaf = leaf ? copyNode(leaf) : emptyNode<PageState>(LEAF_SIZE);
      block[li] = leaf;
      this.freshNodes.push(leaf as unknown[]);
    }
    return leaf as (PageState | undefined)[];
  }

  /** Stores a copy of `from` at the slot, copying the nodes above it as needed. */
  private write(key: number, slot: number, from: PageState): MutablePage {
    const leaf = this.ownLeaf(this.ownBlock(key), slot >> LEAF_SHIFT);
    const copy = copyPage(from);
    leaf[slot & LEAF_MASK] = copy;
    this.freshPages.push(copy);
    return copy;
  }

  /** Forgets written pages in [pfn, pfn+nr) so they read as their range's initial value again. */
  drop(pfn: number, nr: number): void {
    const hi = pfn + nr;
    this.dirs ??= new Map(this.base.pages);
    this.forget();
    // only the dirs that exist: a 1 TiB range costs its written nodes, not its pfns
    for (const d of [...this.dirs.keys()]) {
      const dlo = d * DIR_PFNS;
      if (dlo + DIR_PFNS <= pfn || dlo >= hi) continue;
      if (dlo >= pfn && dlo + DIR_PFNS <= hi) {
        this.dirs.delete(d);
        continue;
      }
      for (let b = 0; b < DIR_SIZE; b++) {
        const key = d * DIR_SIZE + b;
        const blo = key * BLOCK_SIZE;
        if (blo + BLOCK_SIZE <= pfn || blo >= hi || this.blockAt(key) === undefined) continue;
        if (blo >= pfn && blo + BLOCK_SIZE <= hi) {
          this.ownDir(d)[b] = undefined;
          this.forget();
          continue;
        }
        const block = this.ownBlock(key);
        for (let l = 0; l < BLOCK_LEAVES; l++) {
          const llo = blo + l * LEAF_SIZE;
          if (block[l] === undefined || llo + LEAF_SIZE <= pfn || llo >= hi) continue;
          if (llo >= pfn && llo + LEAF_SIZE <= hi) {
            block[l] = undefined;
            continue;
          }
          const leaf = this.ownLeaf(block, l);
          for (let i = 0; i < LEAF_SIZE; i++) if (llo + i >= pfn && llo + i < hi) leaf[i] = undefined;
        }
      }
    }
    this.forget();
  }

  /** The pfns of [lo, hi) that hold a written page, in order. */
  written(lo: number, hi: number): number[] {
    const out: number[] = [];
    forEachPage(this.tree, (pfn) => out.push(pfn), lo, hi);
    return out;
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

  /** Freezes what this chunk wrote and returns the next state. The Txn is done: the next chunk takes a new one. */
  commit(): SimState {
    // A page copied and then dropped (memmap_init over it) is frozen too: harmless, it is unreachable.
    for (const p of this.freshPages) Object.freeze(p);
    for (const n of this.freshNodes) Object.freeze(n);
    this.freshPages = [];
    this.freshNodes = [];
    this.forget();
    const next: SimState = {
      config: this.base.config,
      ranges: this.ranges,
      pages: this.tree,
      world: this.worldTxn ? this.worldTxn.commit() : this.base.world,
      events: this.events,
    };
    return Object.freeze(next);
  }
}
