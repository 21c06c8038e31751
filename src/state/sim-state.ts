/**
 * SimState: sparse, immutable page state in two levels (block of 512 pfns → pages),
 * so one write copies one small node; untouched pages are derived lazily from the
 * memmap range that registered them, so a 1 TiB pgmap costs O(1).
 */
import { EMPTY_WORLD, type World } from './world.ts';
import { DEFAULT_VMEMMAP_BASE } from '../kernel/constants.ts';
import type { MemmapRange, PageState, StateConfig } from './page.ts';

/** log2 of the pfns per block: a PMD's worth, so a 2 MiB folio is one node. */
export const BLOCK_SHIFT = 9;
/** Pfns per block. */
export const BLOCK_SIZE = 1 << BLOCK_SHIFT;

/** A block: BLOCK_SIZE slots, undefined where the page was never written. */
export type Block = readonly (PageState | undefined)[];

/** The simulator's state after some prefix of a RefEvent stream. */
export interface SimState {
  readonly config: StateConfig;
  /** Registered memmap ranges, sorted by pfn. */
  readonly ranges: readonly MemmapRange[];
  /** ⌊pfn / BLOCK_SIZE⌋ → block of written pages. */
  readonly blocks: ReadonlyMap<number, Block>;
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
    blocks: new Map(),
    world: EMPTY_WORLD,
    events: 0,
  });
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
