/**
 * Txn: the draft of one chunk of RefEvents. Rules mutate pages through it as they
 * would an immer draft; it copies a block and a page the first time a chunk writes
 * them (a node is fresh while it is not frozen), and commit() freezes what it
 * copied, so the state after each chunk is a frozen value sharing every untouched
 * node with the state before it. The small non-page world is a real immer draft.
 */
import { createDraft, finishDraft, enableMapSet, type Draft } from 'immer';
import { BLOCK_SIZE, findRange, type Block, type SimState } from './sim-state.ts';
import { initialPage, type MemmapRange, type MutablePage, type PageState } from './page.ts';
import type { World } from './world.ts';

enableMapSet();

/** A writable view of a SimState for the length of one chunk. */
export class Txn {
  /** The state the chunk started from. */
  readonly base: SimState;
  private blocks: Map<number, Block> | null = null;
  private freshBlocks: (PageState | undefined)[][] = [];
  private worldDraft: Draft<World> | null = null;
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

  /** The current value of a page, or undefined where no struct page exists. */
  page(pfn: number): PageState | undefined {
    const block = (this.blocks ?? this.base.blocks).get(Math.floor(pfn / BLOCK_SIZE));
    const p = block?.[pfn % BLOCK_SIZE];
    if (p) return p;
    const range = findRange(this.ranges, pfn);
    return range ? initialPage(this.base.config, range, pfn) : undefined;
  }

  /** A writable page (copied at most once per chunk), or undefined where no struct page exists. */
  mut(pfn: number): MutablePage | undefined {
    const key = Math.floor(pfn / BLOCK_SIZE);
    const slot = pfn % BLOCK_SIZE;
    const cur = (this.blocks ?? this.base.blocks).get(key)?.[slot];
    if (cur && !Object.isFrozen(cur)) return cur;
    let base = cur;
    if (!base) {
      const range = findRange(this.ranges, pfn);
      if (!range) return undefined;
      base = initialPage(this.base.config, range, pfn);
    }
    this.blocks ??= new Map(this.base.blocks);
    let block = this.blocks.get(key);
    if (!block || Object.isFrozen(block)) {
      const fresh = block ? block.slice() : new Array<PageState | undefined>(BLOCK_SIZE).fill(undefined);
      this.blocks.set(key, fresh);
      this.freshBlocks.push(fresh);
      block = fresh;
    }
    const copy: MutablePage = { ...base };
    (block as (PageState | undefined)[])[slot] = copy;
    return copy;
  }

  /** Forgets written pages in [pfn, pfn+nr) so they read as their range's initial value again. */
  drop(pfn: number, nr: number): void {
    this.blocks ??= new Map(this.base.blocks);
    for (const key of [...this.blocks.keys()]) {
      const lo = key * BLOCK_SIZE;
      if (lo + BLOCK_SIZE <= pfn || lo >= pfn + nr) continue;
      if (lo >= pfn && lo + BLOCK_SIZE <= pfn + nr) this.blocks.delete(key);
      else {
        const block = this.blocks.get(key)!.slice();
        for (let i = 0; i < BLOCK_SIZE; i++) if (lo + i >= pfn && lo + i < pfn + nr) block[i] = undefined;
        this.blocks.set(key, block);
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

  /** The non-page world, drafted on first write in this chunk. */
  get world(): Draft<World> {
    this.worldDraft ??= createDraft(this.base.world);
    return this.worldDraft;
  }

  /** The non-page world for reading (the draft when one exists). */
  readWorld(): World {
    return (this.worldDraft as World | null) ?? this.base.world;
  }

  /** Freezes what this chunk wrote and returns the next state. */
  commit(): SimState {
    for (const block of this.freshBlocks) {
      for (const p of block) if (p && !Object.isFrozen(p)) Object.freeze(p);
      Object.freeze(block);
    }
    const next: SimState = {
      config: this.base.config,
      ranges: this.ranges,
      blocks: this.blocks ?? this.base.blocks,
      world: this.worldDraft ? finishDraft(this.worldDraft) : this.base.world,
      events: this.events,
    };
    return Object.freeze(next);
  }
}
