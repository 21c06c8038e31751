/**
 * Bounds from the kernel on the page counts of Ops, checked before a model expands
 * one (the models walk a call page by page, so an unchecked `nr` of 2^31 meant
 * billions of steps for one line of input). A call's pages are at most:
 *
 * - for p2p.alloc_mmap, the pages of the VMA it names from its address on;
 * - the pages of the registered memmap range (pgmap) that holds `pfn`, from `pfn` on:
 *   past its end there is no struct page to take or release;
 * - for a `pfn` no range holds, the pages of the largest folio (2^MAX_FOLIO_ORDER):
 *   the model reports the missing struct page of each, and no real call gets there.
 *
 * A count over its bound is an input error at the Op (OpBoundError), never work.
 */
import type { Op } from '../events/op.ts';
import { MAX_FOLIO_ORDER } from '../events/schema.ts';
import { findRange } from '../state/sim-state.ts';
import type { MemmapRange } from '../state/page.ts';
import type { World } from '../state/world.ts';
import { levelOrder, PAGE_SIZE } from '../kernel/constants.ts';

/** An Op whose count exceeds what the kernel allows at that point of the replay. */
export class OpBoundError extends Error {
  override readonly name = 'OpBoundError';
  readonly seq: number;
  readonly field: string;
  /** The input line the Op was lifted from, when it carries one. */
  readonly line: number | undefined;
  /** `file:line:column BAD_FIELD …` once a reader has found the Op's line (see locateOpBound). */
  located: string | undefined;
  constructor(seq: number, field: string, message: string, line?: number) {
    super(message);
    this.seq = seq;
    this.field = field;
    this.line = line;
  }
}

/** The Op types that act on `nr` pages from `pfn`. */
const PAGE_RUN_OPS: ReadonlySet<Op['type']> = new Set(['gup.get', 'gup.pin', 'dio.grab', 'put', 'unpin', 'dio.release', 'p2p.alloc_mmap']);

/** Pages of the VMA of `mm` mapping `pfn`, from the mapping address to the VMA's end; undefined when none maps it. */
function vmaPagesLeft(world: World, mm: string, pfn: number): number | undefined {
  const table = world.ptes.get(mm);
  if (!table) return undefined;
  for (const pte of table.values()) {
    if (pte.pfn < 0 || pfn < pte.pfn) continue;
    const span = 2 ** levelOrder(pte.level);
    if (pfn >= pte.pfn + span) continue;
    const addr = pte.addr + (pfn - pte.pfn) * PAGE_SIZE;
    const vma = world.vmas.get(mm)?.find((v) => addr >= v.start && addr < v.end);
    if (vma) return Math.floor((vma.end - addr) / PAGE_SIZE);
  }
  return undefined;
}

/** Throws OpBoundError when `op` covers more pages than the kernel allows from this state. */
export function checkOpBounds(ranges: readonly MemmapRange[], world: () => World, op: Op): void {
  if (!PAGE_RUN_OPS.has(op.type)) return;
  const { pfn, nr } = op as Extract<Op, { pfn: number; nr: number }>;
  const range = findRange(ranges, pfn);
  let max = range ? range.pfn + range.nr - pfn : 2 ** MAX_FOLIO_ORDER;
  let what = range ? `pages of pgmap ${range.pgmap} from pfn 0x${pfn.toString(16)} to its end` : `pages of the largest folio (pfn 0x${pfn.toString(16)} is in no pgmap)`;
  if (op.type === 'p2p.alloc_mmap') {
    // the VMA is in the Op: the mapping runs from address to the VMA's end
    const left = Math.floor((op.vma.end - op.address) / PAGE_SIZE);
    if (left < max) {
      max = Math.max(0, left);
      what = 'pages of its VMA from its address to the VMA\'s end';
    }
  }
  // not the VMA of a GUP: __get_user_pages() goes on into the next VMA (a real 6.12
  // recording pins 2 pages from the last page of one), so only the pgmap bounds it
  const mm = undefined as string | undefined;
  if (mm !== undefined) {
    const left = vmaPagesLeft(world(), mm, pfn);
    if (left !== undefined && left < max) {
      max = left;
      what = `pages of the VMA of ${mm} that maps pfn 0x${pfn.toString(16)}, from there to its end`;
    }
  }
  if (nr > max) throw new OpBoundError(op.seq, 'nr', `nr: ${nr} pages exceed the ${max} ${what}`, op.line);
}
