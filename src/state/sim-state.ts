/**
 * SimState: sparse, immutable page state. Written pages live in a radix tree keyed by
 * pfn (dir of 512 blocks → block of 512 pfns → leaf of 32 pfns → page), so a chunk's
 * first write to a page copies one leaf (32 slots) and one block node (16 slots), not
 * a 512-slot block: with writes spread over millions of pfns each chunk touches ~one
 * page per block, and copying whole blocks cost 5× the CPU of a dense replay (issue 16
 * item 5, BENCHMARKS.md). Untouched pages are derived lazily from the memmap range
 * that registered them, so a 1 TiB pgmap costs O(1).
 */
import { EMPTY_WORLD, type World } from './world.ts';
import { DEFAULT_VMEMMAP_BASE } from '../kernel/constants.ts';
import type { MemmapRange, PageState, StateConfig } from './page.ts';

/** log2 of the pfns per leaf. */
export const LEAF_SHIFT = 5;
/** Pfns per leaf. */
export const LEAF_SIZE = 1 << LEAF_SHIFT;
/** log2 of the pfns per block: a PMD's worth, so a 2 MiB folio is one block node. */
export const BLOCK_SHIFT = 9;
/** Pfns per block. */
export const BLOCK_SIZE = 1 << BLOCK_SHIFT;
/** Leaves per block. */
export const BLOCK_LEAVES = BLOCK_SIZE / LEAF_SIZE;
/** log2 of the blocks per dir (a dir spans 2^18 pfns, 1 GiB of 4 KiB pages). */
export const DIR_SHIFT = 9;
/** Blocks per dir. */
export const DIR_SIZE = 1 << DIR_SHIFT;
/** Pfns per dir. */
export const DIR_PFNS = BLOCK_SIZE * DIR_SIZE;

/** A leaf: LEAF_SIZE slots, undefined where the page was never written. */
export type Leaf = readonly (PageState | undefined)[];
/** A block: BLOCK_LEAVES leaves, undefined where none of the leaf's pages was written. */
export type Block = readonly (Leaf | undefined)[];
/** A dir: DIR_SIZE blocks, undefined where none of the block's pages was written. */
export type Dir = readonly (Block | undefined)[];
/** Written pages: ⌊pfn / DIR_PFNS⌋ → dir. Every node is frozen once published. */
export type PageTree = ReadonlyMap<number, Dir>;

/** The simulator's state after some prefix of a RefEvent stream. */
export interface SimState {
  readonly config: StateConfig;
  /** Registered memmap ranges, sorted by pfn. */
  readonly ranges: readonly MemmapRange[];
  /** Written pages. */
  readonly pages: PageTree;
  readonly world: World;
  /** RefEvents folded so far. */
  readonly events: number;
}

/** Options of createState. */
export interface CreateStateOptions {
  readonly tailEncoding?: StateConfig['tailEncoding'];
  readonly vmemmapBase?: bigint;
}

/** An empty state (no pgmap registered). */
export function createState(opts: CreateStateOptions = {}): SimState {
  return Object.freeze({
    config: Object.freeze({
      tailEncoding: opts.tailEncoding ?? 'head',
      vmemmapBase: opts.vmemmapBase ?? DEFAULT_VMEMMAP_BASE,
    }),
    ranges: Object.freeze([]),
    pages: new Map(),
    world: EMPTY_WORLD,
    events: 0,
  });
}

/** The block at key ⌊pfn / BLOCK_SIZE⌋, or undefined where none of its pages was written. */
export function blockOf(tree: PageTree, key: number): Block | undefined {
  const d = Math.floor(key / DIR_SIZE);
  return tree.get(d)?.[key - d * DIR_SIZE];
}

/** The page of a block at a slot (0 ≤ slot < BLOCK_SIZE), or undefined where it was never written. */
export function blockPage(block: Block | undefined, slot: number): PageState | undefined {
  return block?.[slot >> LEAF_SHIFT]?.[slot & (LEAF_SIZE - 1)];
}

/** The written page at pfn, or undefined where it is untouched or absent. */
export function storedPage(tree: PageTree, pfn: number): PageState | undefined {
  const key = Math.floor(pfn / BLOCK_SIZE);
  return blockPage(blockOf(tree, key), pfn - key * BLOCK_SIZE);
}

/** The keys of a tree's dirs, ascending. */
function dirKeys(tree: PageTree): number[] {
  return [...tree.keys()].sort((a, b) => a - b);
}

/** Every block of a tree as [key, block], in key order. */
export function* blocksOf(tree: PageTree): Generator<[number, Block]> {
  for (const d of dirKeys(tree)) {
    const dir = tree.get(d)!;
    for (let b = 0; b < DIR_SIZE; b++) {
      const block = dir[b];
      if (block) yield [d * DIR_SIZE + b, block];
    }
  }
}

/** Calls fn(pfn, page) for every written page of [lo, hi), in pfn order. */
export function forEachPage(tree: PageTree, fn: (pfn: number, page: PageState) => void, lo = 0, hi = Infinity): void {
  for (const d of dirKeys(tree)) {
    const dlo = d * DIR_PFNS;
    if (dlo >= hi || dlo + DIR_PFNS <= lo) continue;
    const dir = tree.get(d)!;
    for (let b = 0; b < DIR_SIZE; b++) {
      const block = dir[b];
      if (!block) continue;
      for (let l = 0; l < BLOCK_LEAVES; l++) {
        const leaf = block[l];
        if (!leaf) continue;
        const base = dlo + b * BLOCK_SIZE + l * LEAF_SIZE;
        if (base >= hi || base + LEAF_SIZE <= lo) continue;
        for (let i = 0; i < LEAF_SIZE; i++) {
          const p = leaf[i];
          if (p !== undefined && base + i >= lo && base + i < hi) fn(base + i, p);
        }
      }
    }
  }
}

/** Every written page of [lo, hi) as [pfn, page], in pfn order. */
export function pagesOf(tree: PageTree, lo = 0, hi = Infinity): [number, PageState][] {
  const out: [number, PageState][] = [];
  forEachPage(tree, (pfn, p) => out.push([pfn, p]), lo, hi);
  return out;
}

/** The number of written pages. */
export function pageCount(tree: PageTree): number {
  let n = 0;
  forEachPage(tree, () => n++);
  return n;
}

/**
 * Calls fn(pfn, page) for every pfn whose written page differs (by identity) between
 * two trees, with undefined where `next` no longer holds one. Nodes the trees share
 * are skipped whole: the cost is that of what changed.
 */
export function diffTrees(prev: PageTree, next: PageTree, fn: (pfn: number, page: PageState | undefined) => void): void {
  const walk = (base: number, a: readonly unknown[] | undefined, b: readonly unknown[] | undefined, level: number): void => {
    if (a === b) return;
    if (level === 0) {
      for (let i = 0; i < LEAF_SIZE; i++) {
        const p = b?.[i] as PageState | undefined;
        if (p !== a?.[i]) fn(base + i, p);
      }
      return;
    }
    const [n, span] = level === 2 ? [DIR_SIZE, BLOCK_SIZE] : [BLOCK_LEAVES, LEAF_SIZE];
    for (let i = 0; i < n; i++) walk(base + i * span, a?.[i] as readonly unknown[] | undefined, b?.[i] as readonly unknown[] | undefined, level - 1);
  };
  for (const [d, dir] of next) walk(d * DIR_PFNS, prev.get(d), dir, 2);
  for (const [d, dir] of prev) if (!next.has(d)) walk(d * DIR_PFNS, dir, undefined, 2);
}

/** Builds a frozen tree of pages set one by one (a checkpoint's rebuild). */
export class TreeBuilder {
  private readonly dirs = new Map<number, (Block | undefined)[]>();
  private readonly nodes: object[] = [];

  set(pfn: number, page: PageState): void {
    const d = Math.floor(pfn / DIR_PFNS);
    let dir = this.dirs.get(d);
    if (!dir) this.dirs.set(d, (dir = this.node(DIR_SIZE)));
    const off = pfn - d * DIR_PFNS;
    const b = off >> BLOCK_SHIFT;
    const block = (dir[b] ??= this.node(BLOCK_LEAVES)) as (Leaf | undefined)[];
    const l = (off >> LEAF_SHIFT) & (BLOCK_LEAVES - 1);
    const leaf = (block[l] ??= this.node(LEAF_SIZE)) as (PageState | undefined)[];
    leaf[off & (LEAF_SIZE - 1)] = page;
  }

  private node<T>(n: number): (T | undefined)[] {
    const a = new Array<T | undefined>(n).fill(undefined);
    this.nodes.push(a);
    return a;
  }

  /** The tree, every node frozen (the pages are the caller's). */
  finish(): PageTree {
    for (const n of this.nodes) Object.freeze(n);
    return this.dirs;
  }
}

/** The memmap range holding pfn (binary search over sorted ranges), or undefined. */
export function findRange(ranges: readonly MemmapRange[], pfn: number): MemmapRange | undefined {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid]!;
    if (pfn < r.pfn) hi = mid - 1;
    else if (pfn >= r.pfn + r.nr) lo = mid + 1;
    else return r;
  }
  return undefined;
}
