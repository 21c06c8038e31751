/**
 * A positive number per pfn (0: none), sparse, in blocks of BLOCK_SIZE pfns as the
 * state keeps its pages. A page_ref check looks up every event's pfn (its last line,
 * whether the evidence saw it): in a Map of ~65 k pfns that is a cache miss per lookup,
 * where here the block map holds one entry per 512 pfns and consecutive lookups of one
 * block skip it.
 */
import { BLOCK_SIZE } from '../state/sim-state.ts';

export class PfnTable {
  private readonly blocks = new Map<number, Float64Array>();
  private lastKey = Number.NaN;
  private lastBlock: Float64Array | undefined = undefined;
  private count = 0;

  /** pfns with a value. */
  get size(): number {
    return this.count;
  }

  /** The value at pfn, 0 when none was set. */
  get(pfn: number): number {
    const key = Math.floor(pfn / BLOCK_SIZE);
    const block = key === this.lastKey ? this.lastBlock : this.block(key, false);
    return block === undefined ? 0 : block[pfn - key * BLOCK_SIZE]!;
  }

  /** Sets the value at pfn (`value` > 0). */
  set(pfn: number, value: number): void {
    const key = Math.floor(pfn / BLOCK_SIZE);
    const block = (key === this.lastKey ? this.lastBlock : undefined) ?? this.block(key, true)!;
    const slot = pfn - key * BLOCK_SIZE;
    if (block[slot] === 0) this.count++;
    block[slot] = value;
  }

  private block(key: number, create: boolean): Float64Array | undefined {
    let block = this.blocks.get(key);
    if (block === undefined && create) this.blocks.set(key, (block = new Float64Array(BLOCK_SIZE)));
    if (block !== undefined) {
      this.lastKey = key;
      this.lastBlock = block;
    }
    return block;
  }
}

/**
 * A set of pfns, in blocks of BLOCK_SIZE as {@link PfnTable}, one byte a pfn: the
 * evidence's "seen before" asked at every page_ref event. An eighth of a PfnTable's
 * memory, so it stays in cache beside the page tree (64 KiB for 64 Ki pfns).
 */
export class PfnSet {
  private readonly blocks = new Map<number, Uint8Array>();
  private lastKey = Number.NaN;
  private lastBlock: Uint8Array | undefined = undefined;
  private count = 0;

  /** pfns in the set. */
  get size(): number {
    return this.count;
  }

  /** Adds pfn; true when it was not in the set. */
  add(pfn: number): boolean {
    const key = Math.floor(pfn / BLOCK_SIZE);
    let block = key === this.lastKey ? this.lastBlock : this.blocks.get(key);
    if (block === undefined) this.blocks.set(key, (block = new Uint8Array(BLOCK_SIZE)));
    this.lastKey = key;
    this.lastBlock = block;
    const slot = pfn - key * BLOCK_SIZE;
    if (block[slot] !== 0) return false;
    block[slot] = 1;
    this.count++;
    return true;
  }
}
