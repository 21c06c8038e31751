/**
 * Which refcount model recorded a trace, from the trace itself: the facts that only
 * one family can produce, each with the line that shows it. The header's
 * `KTRACE-BEGIN kernel=` or `--kernel` names a profile; when the evidence points at the
 * other family, `check` and `replay` warn and name the evidence (a wrong `--kernel` is
 * otherwise blamed on lost events).
 *
 * - **idle values**: an FS DAX page is at rest at `_refcount` 1 under legacy
 *   (`free_zone_device_page()` leaves it at 1) and 0 under unified
 *   (`free_zone_device_folio()`); a page_ref event's count minus its val is the count
 *   before it, which at a page's first event is its resting count; a legacy DAX page
 *   never reaches 0 while its pgmap lives. The first snap shows a page's resting count
 *   only if no earlier event touched the page or its folio: after a fault, 1 is an
 *   idle legacy page or a unified folio mapped once (`insert_page()` takes the
 *   reference), so it tells the families apart no more; 0 still does (legacy never
 *   reaches it), but it is then no resting count (a unified folio freed, or a tail).
 * - **map references**: legacy DAX PTEs/PMDs take no mapcount (`insert_pfn()` of a
 *   pfn_t devmap entry); unified maps with `folio_add_file_rmap_*()`, so a raw
 *   `_mapcount` ≥ 0 (or a `page_mapcount()` ≥ 1) on a DAX page is a unified mapping.
 * - **compound FS DAX folios**: only unified `dax_folio_init()` makes an FS DAX folio
 *   compound (the page_ref `head` flag on an fsdax page).
 * - **devmap hooks**: `__put_devmap_managed_page_refs()` / `..._folio_refs()` exist only
 *   in legacy kernels; `vmf_insert_folio_pmd()` / `dax_folio_reset_order()` only in
 *   unified ones. A page_ref trace shows the hook without a probe: it drops an FS DAX
 *   page's references with `page_ref_sub_return()` / `folio_ref_sub_return()`, the
 *   `page_ref_mod_and_return` event with a negative val (6.12dbg ext4-fsdax-gup and
 *   k612dbg-ext4-daxwork.trace.txt, every unpin), where a unified kernel puts a DAX
 *   folio with `folio_put_refs()` (`page_ref_mod_and_test`); 7.3 has no x86 caller of
 *   either sub_return helper, and none of the 7.3dbg recordings has such an event.
 *
 * Pure: values in, values out.
 */
import type { PgmapType } from '../events/op.ts';
import { hex, PUD_ORDER } from '../kernel/constants.ts';
import { PfnSet, PfnTable } from './pfn-table.ts';

/** A model family. */
export type Family = 'legacy' | 'unified';

/** One fact that only one family produces. */
export interface Evidence {
  readonly family: Family;
  /** `idle value`, `map reference`, `compound fsdax folio`, `devmap hook`. */
  readonly kind: string;
  readonly line: number;
  /** What the line shows and why only that family does it. */
  readonly text: string;
}

/** Functions present in one family's kernels only (a probe event on them proves the family). */
const LEGACY_ONLY: ReadonlySet<string> = new Set(['__put_devmap_managed_page_refs', '__put_devmap_managed_folio_refs', 'put_devmap_managed_page', '__put_devmap_managed_page']);
const UNIFIED_ONLY: ReadonlySet<string> = new Set(['vmf_insert_folio_pmd', 'vmf_insert_folio_pud', 'dax_folio_reset_order', 'dax_folio_put']);

/** Collects evidence, at most one item per family and kind (the first line that shows it). */
export class EvidenceCollector {
  private readonly items = new Map<string, Evidence>();
  /** pfns seen by a page_ref event (a first event shows the resting count). */
  private readonly seen = new PfnSet();
  /** A raw `_mapcount` was printed (−1 appears): 6.10+, where 0 means mapped once. */
  private rawMapcount = false;
  /**
   * Folios an event before the first snap touched: at the head pfn, 1 + the largest
   * order touched from it (a block of 2^order pfns). Kept until the first snap only.
   */
  private touched: PfnTable | null = new PfnTable();
  /** The line of an event before the first snap that touched a page no field names (a fault whose insert probe was filtered out), or null. */
  private touchedUnnamed: number | null = null;

  /** How many pfns a page_ref event was seen for. */
  get pageRefPfns(): number {
    return this.seen.size;
  }

  /** The evidence so far, legacy first, then by line. */
  get list(): readonly Evidence[] {
    return [...this.items.values()].sort((a, b) => (a.family === b.family ? a.line - b.line : a.family === 'legacy' ? -1 : 1));
  }

  /** The family all the evidence points to, `null` when there is none, `'mixed'` when it disagrees. */
  verdict(): Family | 'mixed' | null {
    const fams = new Set([...this.items.values()].map((e) => e.family));
    if (fams.size === 0) return null;
    if (fams.size > 1) return 'mixed';
    return [...fams][0]!;
  }

  private add(e: Evidence): void {
    const key = `${e.family}:${e.kind}`;
    if (!this.items.has(key)) this.items.set(key, e);
  }

  /**
   * True when one item of this family and kind is already kept (so its text need not be
   * built: the hot path). `key` is `family:kind` as a literal, whose hash V8 keeps: a key
   * built per call is a new string to hash on every page_ref event.
   */
  private has(key: `${Family}:${string}`): boolean {
    return this.items.has(key);
  }

  /**
   * A page_ref event. `prior` is the count before it (null for a set), `type` the pgmap
   * type of its page when known for certain (the header or --pmem; not an inference).
   */
  pageRef(line: number, pfn: number, prior: number | null, mapcount: number | null, head: boolean | null, type: PgmapType | null, put?: { readonly op: string; readonly val: number }): void {
    if (put !== undefined && put.op === 'mod_and_return' && put.val < 0 && !this.has('legacy:devmap hook')) {
      this.add({ family: 'legacy', kind: 'devmap hook', line, text: `pfn ${hex(pfn)} dropped ${-put.val} reference(s) by page_ref_mod_and_return (folio_ref_sub_return() of the devmap put hook __put_devmap_managed_*_refs(), legacy only; unified kernels put a DAX folio with folio_put_refs(), page_ref_mod_and_test)` });
    }
    const first = this.seen.add(pfn);
    if (first && prior === 0 && !this.has('unified:idle value')) {
      this.add({ family: 'unified', kind: 'idle value', line, text: `pfn ${hex(pfn)} is at count 0 before its first event (unified idles an FS DAX folio at 0; a legacy DAX page rests at 1 and never reaches 0 while its pgmap lives)` });
    }
    if (first && prior === 1 && type === 'fsdax' && !this.has('legacy:idle value')) {
      this.add({ family: 'legacy', kind: 'idle value', line, text: `fsdax pfn ${hex(pfn)} is at count 1 before its first event (legacy idles an FS DAX page at 1; unified at 0)` });
    }
    if (mapcount !== null) {
      if (mapcount === -1) this.rawMapcount = true;
      if ((mapcount >= 1 || (mapcount === 0 && this.rawMapcount)) && !this.has('unified:map reference')) {
        this.add({ family: 'unified', kind: 'map reference', line, text: `pfn ${hex(pfn)} has mapcount=${mapcount}: it is rmapped (unified maps DAX folios with folio_add_file_rmap_*(); legacy DAX mappings take no mapcount)` });
      }
    }
    if (head === true && type === 'fsdax' && !this.has('unified:compound fsdax folio')) {
      this.add({ family: 'unified', kind: 'compound fsdax folio', line, text: `fsdax pfn ${hex(pfn)} has the head flag (only unified dax_folio_init() makes an FS DAX folio compound; legacy FS DAX pages are order 0)` });
    }
  }

  /** A probe event on kernel function `fn`. */
  probe(line: number, fn: string): void {
    if (LEGACY_ONLY.has(fn)) this.add({ family: 'legacy', kind: 'devmap hook', line, text: `${fn}() ran (the devmap put hook exists only in legacy kernels)` });
    if (UNIFIED_ONLY.has(fn)) this.add({ family: 'unified', kind: 'folio mapping', line, text: `${fn}() ran (it exists only in unified kernels, 6.15+)` });
  }

  /** True until the first snap is read: the events before it are to be told with {@link touch}. */
  get wantsTouches(): boolean {
    return this.touched !== null;
  }

  /**
   * An event before the first snap touched pfns [pfn, pfn + nr) (a fault's insert, a
   * grab, an rmap, a put): their first snap shows no resting count. Kept as aligned
   * power-of-two blocks, so a 1 GiB PUD is one entry, not 2^18.
   */
  touch(pfn: number, nr = 1): void {
    const t = this.touched;
    if (t === null) return;
    let at = pfn;
    const end = pfn + nr;
    while (at < end) {
      let order = 0;
      while (order < PUD_ORDER && at % 2 ** (order + 1) === 0 && at + 2 ** (order + 1) <= end) order++;
      if (t.get(at) < order + 1) t.set(at, order + 1);
      at += 2 ** order;
    }
  }

  /** An event before the first snap touched a page that it does not name (a DAX fault whose insert went unrecorded). */
  touchUnnamed(line: number): void {
    if (this.touched !== null && this.touchedUnnamed === null) this.touchedUnnamed = line;
  }

  /** The first snap has been read: no more touches are kept (the memory is released). */
  endTouches(): void {
    this.touched = null;
  }

  /** True when an event before the first snap touched pfn or a block (a folio) holding it. */
  private wasTouched(pfn: number): boolean {
    const t = this.touched;
    if (t === null) return false;
    for (let order = 0; order <= PUD_ORDER; order++) {
      const size = 2 ** order;
      if (t.get(pfn - (pfn % size)) > order) return true;
    }
    return false;
  }

  /**
   * A snap line's `r_` value of an fsdax pfn at the first snap, read before
   * {@link endTouches}. A page no earlier event touched shows its resting count
   * (free_zone_device_page() leaves a legacy page at 1, free_zone_device_folio() a
   * unified folio at 0). A touched one at 1 is either family (an idle legacy page, which
   * a DAX mapping takes no reference on, or a unified folio mapped once): no evidence. A
   * touched one at 0 is still unified (a legacy DAX page never reaches 0 while its pgmap
   * lives), but no resting count: the text says so.
   */
  restingSnap(line: number, pfn: number, refcount: number): void {
    const touched = this.touchedUnnamed !== null || this.wasTouched(pfn);
    if (refcount === 0 && !touched) this.add({ family: 'unified', kind: 'idle value', line, text: `fsdax pfn ${hex(pfn)} rests at refcount 0 in the first snap (unified idle; legacy rests at 1)` });
    else if (refcount === 0) this.add({ family: 'unified', kind: 'idle value', line, text: `fsdax pfn ${hex(pfn)} is at refcount 0 in the first snap, after earlier events touched it (a legacy DAX page never reaches 0 while its pgmap lives; unified frees an FS DAX folio to 0 and keeps its tails at 0)` });
    else if (refcount === 1 && !touched) this.add({ family: 'legacy', kind: 'idle value', line, text: `fsdax pfn ${hex(pfn)} rests at refcount 1 in the first snap (legacy idle; unified rests at 0)` });
  }
}

/**
 * The warning for a profile the evidence contradicts, or null. `source` says where the
 * profile came from (`--kernel 6.12`, `the header's kernel=6.12.117`).
 */
export function evidenceWarning(profileFamily: Family, profile: string, source: string, evidence: readonly Evidence[]): string | null {
  const against = evidence.filter((e) => e.family !== profileFamily);
  if (against.length === 0 || evidence.some((e) => e.family === profileFamily)) return null;
  const other = against[0]!.family;
  const lines = against.map((e) => `line ${e.line}: ${e.text}`).join('; ');
  return `the trace shows a ${other} kernel, not ${profile} as ${source} says: ${lines}`;
}
