/**
 * Bounds on the page counts of Ops, checked before a model expands one (the models
 * walk a call page by page, so an unchecked `nr` of 2^31 meant billions of steps for
 * one line of input). A call's pages are at most the least of:
 *
 * - the pages of the registered memmap range (pgmap) that holds `pfn`, from `pfn` on:
 *   past its end there is no struct page to take or release; for a `pfn` no range
 *   holds, the pages of the largest folio (2^MAX_FOLIO_ORDER): the model reports the
 *   missing struct page of each, and no real call gets there;
 * - for a user GUP (gup.get, gup.pin, dio.grab) in an mm that maps `pfn` at a known
 *   address, the pages from that address to the end of the contiguous run of VMAs it
 *   is in: __get_user_pages() goes on into the next VMA (a real 6.12 recording,
 *   test/fixtures/record/k612dbg-fsdax-gup.trace.txt, pins 2 pages from the last page
 *   of one VMA into the next) but stops with -EFAULT at a hole, where gup_vma_lookup()
 *   finds no VMA; and never past TASK_SIZE_MAX: gup_fast_fallback()
 *   (internal_get_user_pages_fast() before 6.10) refuses a range whose end overflows
 *   (check_add_overflow()) or lies above TASK_SIZE_MAX;
 * - for the pages of one bio (dio.grab: bio_iov_iter_get_pages(); dio.release:
 *   __bio_release_pages()), the pages a bio can hold: `bi_iter.bi_size` is an unsigned
 *   int, and __bio_iov_iter_get_pages() extracts at most UINT_MAX - bi_size bytes;
 * - for p2p.alloc_mmap, the pages of the VMA it names from its address on
 *   (p2pmem_alloc_mmap() maps vma->vm_end - vma->vm_start bytes);
 * - for unpin_user_folio(folio, npages), the pages of one folio;
 * - the work limit (--max-op-pages, {@link DEFAULT_MAX_OP_PAGES}) where nothing in
 *   the kernel bounds a call more tightly than a huge pgmap does (unpin_user_pages()
 *   and release_pages() take any array): the replay's work stays linear in its input.
 *
 * A count over its bound is an input error at the Op (OpBoundError), never work.
 */
import type { Op } from '../events/op.ts';
import { MAX_FOLIO_ORDER } from '../events/schema.ts';
import { findRange } from '../state/sim-state.ts';
import type { MemmapRange } from '../state/page.ts';
import type { Vma, World } from '../state/world.ts';
import { levelOrder, PAGE_SIZE } from '../kernel/constants.ts';

/**
 * The default of --max-op-pages: 2^18 pages, the largest folio (2^MAX_FOLIO_ORDER, a
 * 1 GiB PUD of 4 KiB pages). The largest call lifted from events/traces and the record
 * and vmtest fixtures takes 256 pages, the largest Op of replays/ 512 (a PMD pin), and
 * the vmtest workloads map at most one 1 GiB device-dax PUD, so a GUP of all of it
 * still passes. What one Op may cost (a put, on a loaded 2-core machine): 2^18 pages
 * 19 s (6 s of CPU) and 550 MB; 2^20 (4 GiB) 80 s and 2.3 GB; 2^40 would take weeks.
 */
export const DEFAULT_MAX_OP_PAGES = 2 ** MAX_FOLIO_ORDER;

let opPageLimit = DEFAULT_MAX_OP_PAGES;

/** The work limit on an Op's pages (the CLI's --max-op-pages). */
export function maxOpPages(): number {
  return opPageLimit;
}

/** Sets the work limit on an Op's pages (a positive integer). */
export function setMaxOpPages(pages: number): void {
  if (!Number.isSafeInteger(pages) || pages < 1) throw new RangeError(`Op page limit ${pages}: expected a positive integer`);
  opPageLimit = pages;
}

/**
 * x86-64's TASK_SIZE_MAX with 5-level paging, (1 << 56) - PAGE_SIZE: the larger of the
 * two paging modes, since a recording does not always say which one its kernel ran
 * (4-level: (1 << 47) - PAGE_SIZE).
 */
export const TASK_SIZE_MAX = 2 ** 56 - PAGE_SIZE;

/**
 * The pages one bio can span: bi_size < 2^32 bytes (an unsigned int) starting anywhere
 * in its first page, ceil((PAGE_SIZE - 1 + UINT_MAX) / PAGE_SIZE) = 2^20 + 1.
 */
export const BIO_MAX_PAGES = Math.ceil((PAGE_SIZE - 1 + (2 ** 32 - 1)) / PAGE_SIZE);

/** An Op whose count exceeds what the kernel allows at that point of the replay. */
export class OpBoundError extends Error {
  override readonly name = 'OpBoundError';
  readonly seq: number;
  readonly field: string;
  /** The count refused (the Op's `nr`). */
  readonly value: number;
  /** The input line the Op was lifted from, when it carries one. */
  readonly line: number | undefined;
  /** `file:line:column BAD_FIELD …` once a reader has found the Op's line (see locateOpBound). */
  located: string | undefined;
  constructor(seq: number, field: string, message: string, line?: number, value = Number.NaN) {
    super(message);
    this.seq = seq;
    this.field = field;
    this.line = line;
    this.value = value;
  }
}

/** The Op types that act on `nr` pages from `pfn`. */
const PAGE_RUN_OPS: ReadonlySet<Op['type']> = new Set(['gup.get', 'gup.pin', 'dio.grab', 'put', 'unpin', 'dio.release', 'p2p.alloc_mmap']);

/** The Op types that are one user GUP call (get/pin_user_pages*()). */
const GUP_OPS: ReadonlySet<Op['type']> = new Set(['gup.get', 'gup.pin', 'dio.grab']);

/** One bound: its pages, and what it is (for the message). */
interface Bound {
  readonly max: number;
  readonly what: string;
}

/** The end of the run of VMAs of `list` that holds addr, each starting where the one before ends; undefined when none holds it. */
function contiguousEnd(list: readonly Vma[], addr: number): number | undefined {
  const sorted = [...list].sort((a, b) => a.start - b.start);
  const i = sorted.findIndex((v) => addr >= v.start && addr < v.end);
  if (i < 0) return undefined;
  let end = sorted[i]!.end;
  for (let j = i + 1; j < sorted.length && sorted[j]!.start <= end; j++) end = Math.max(end, sorted[j]!.end);
  return end;
}

/**
 * The pages a GUP in `mm` can take from `pfn`: from an address of `mm` that maps it to
 * the end of its contiguous run of VMAs, the most over every such address; undefined
 * when `mm` maps `pfn` nowhere the world knows (a mapping made before the recording).
 */
function gupPagesLeft(world: World, mm: string, pfn: number): Bound | undefined {
  const table = world.ptes.get(mm);
  const vmas = world.vmas.get(mm);
  if (!table || !vmas) return undefined;
  let best: Bound | undefined;
  for (const pte of table.values()) {
    if (pte.pfn < 0 || pfn < pte.pfn || pfn >= pte.pfn + 2 ** levelOrder(pte.level)) continue;
    const addr = pte.addr + (pfn - pte.pfn) * PAGE_SIZE;
    const end = contiguousEnd(vmas, addr);
    const b: Bound = end === undefined
      // a mapping outside every known VMA: only TASK_SIZE_MAX is certain (gup_fast_fallback())
      ? { max: Math.floor((TASK_SIZE_MAX - addr) / PAGE_SIZE), what: `pages from address 0x${addr.toString(16)} (where ${mm} maps pfn 0x${pfn.toString(16)}) to TASK_SIZE_MAX (gup_fast_fallback())` }
      : { max: Math.floor((end - addr) / PAGE_SIZE), what: `pages from address 0x${addr.toString(16)} (where ${mm} maps pfn 0x${pfn.toString(16)}) to 0x${end.toString(16)}, the end of its contiguous VMAs (__get_user_pages() stops at a hole with -EFAULT)` };
    if (best === undefined || b.max > best.max) best = b;
  }
  return best;
}

/** Every bound on `op`'s pages at this point of the replay. */
function boundsOf(ranges: readonly MemmapRange[], world: () => World, op: Extract<Op, { pfn: number; nr: number }>): Bound[] {
  const { pfn } = op;
  const range = findRange(ranges, pfn);
  const out: Bound[] = [range
    ? { max: range.pfn + range.nr - pfn, what: `pages of pgmap ${range.pgmap} from pfn 0x${pfn.toString(16)} to its end` }
    : { max: 2 ** MAX_FOLIO_ORDER, what: `pages of the largest folio (pfn 0x${pfn.toString(16)} is in no pgmap)` }];
  if (op.type === 'p2p.alloc_mmap') {
    out.push({ max: Math.max(0, Math.floor((op.vma.end - op.address) / PAGE_SIZE)), what: 'pages of its VMA from its address to the VMA\'s end (p2pmem_alloc_mmap())' });
  }
  if (GUP_OPS.has(op.type)) {
    // a user address range: gup_fast_fallback() refuses an end above TASK_SIZE_MAX
    out.push({ max: Math.floor(TASK_SIZE_MAX / PAGE_SIZE), what: 'user pages below TASK_SIZE_MAX (gup_fast_fallback())' });
    const mm = (op as { mm?: string }).mm;
    // only for a count that could pass a bound: the search walks the mm's page table
    const vma = mm !== undefined && op.nr > 1 ? gupPagesLeft(world(), mm, pfn) : undefined;
    if (vma !== undefined) out.push(vma);
  }
  if (op.type === 'dio.grab' || op.type === 'dio.release') {
    out.push({ max: BIO_MAX_PAGES, what: 'pages of one bio (bi_iter.bi_size is an unsigned int: __bio_iov_iter_get_pages(), __bio_release_pages())' });
  }
  if (op.type === 'unpin' && op.via === 'unpin_user_folio') {
    out.push({ max: 2 ** MAX_FOLIO_ORDER, what: 'pages of the largest folio (unpin_user_folio() unpins pages of one folio)' });
  }
  out.push({ max: opPageLimit, what: 'pages of the work limit on one Op (--max-op-pages; no kernel bound is tighter here)' });
  return out;
}

/** Throws OpBoundError when `op` covers more pages than the kernel (or the work limit) allows from this state. */
export function checkOpBounds(ranges: readonly MemmapRange[], world: () => World, op: Op): void {
  if (!PAGE_RUN_OPS.has(op.type)) return;
  const run = op as Extract<Op, { pfn: number; nr: number }>;
  // the common case costs no bound search: one page is within every bound but a 0-page VMA's
  if (run.nr <= 1 && op.type !== 'p2p.alloc_mmap') return;
  let tightest: Bound | undefined;
  for (const b of boundsOf(ranges, world, run)) if (tightest === undefined || b.max < tightest.max) tightest = b;
  if (tightest !== undefined && run.nr > tightest.max) {
    throw new OpBoundError(op.seq, 'nr', `nr: ${run.nr} pages exceed the ${tightest.max} ${tightest.what}`, op.line, run.nr);
  }
}
