/**
 * page_ref tracepoint records → RefEvents (spec §9.1): a recorded page_ref event is
 * already a RefEvent of the same name (`page_ref_mod` → `mod`), with `val` and `ret`
 * as recorded. What a recording does not contain is added here, explicitly:
 *
 * - struct pages: the header's `# pmem:` ranges (and `# daxX.Y:` devices) become lazy
 *   memmap_init events with the idle refcount of the recording kernel's profile; a
 *   pfn outside every range gets a memmap_init of its own 128 MiB section when first
 *   seen.
 * - untraced changes: every event also records the count after it, so the count
 *   before it is known. When that disagrees with the simulated state (lost events, a
 *   tracepoint filter, a change made before tracing began), a `set` to the recorded
 *   prior count is folded first and reported as an `untraced-change` finding, never
 *   silently.
 */
import { PAGES_PER_SECTION, PAGE_SHIFT, PMD_ORDER, PUD_ORDER, hex } from '../kernel/constants.ts';
import { PG_head } from '../kernel/page-flags.ts';
import { compoundHead, type PageSource } from '../state/accessors.ts';
import type { PgmapType } from '../events/op.ts';
import type { RefEvent, RefEventOf } from '../events/ref-event.ts';
import type { Finding } from '../state/finding.ts';
import type { MemmapRange } from '../state/page.ts';
import type { TraceHeader } from './header-types.ts';
import type { PageRefOp, PageRefRecord } from './record-types.ts';

/** The fields of a page_ref event that replay uses (a PageRefRecord, or the fast path's scratch). */
export interface PageRefRead {
  readonly op: PageRefOp;
  readonly pfn: number;
  /** `_refcount` after the operation. */
  readonly count: number;
  readonly val: number;
  readonly ret: number | null;
  /** The `head` page flag; null or absent when the flags could not be decoded (trace-cmd's hex without a kernel). */
  readonly head?: boolean | null;
  /** `mapcount` as printed, when the reader kept it. */
  readonly mapcount?: number | null;
}

/** The `head` flag of a page_ref record (null when its flags could not be decoded). */
export function headFlag(r: PageRefRecord): boolean | null {
  return r.flags.names === null ? null : r.flags.names.includes('head');
}

/** What a page_ref event's `head` flag says about the folio shape, as RefEvents to fold first. */
export interface ShapeChange {
  readonly events: readonly RefEvent[];
  /** An inference the order rests on (page_ref prints no order), or null. */
  readonly assumption: string | null;
}

/** No change (nearly every event): one value, not a new one per event. */
const NO_SHAPE_CHANGE: ShapeChange = Object.freeze({ events: Object.freeze([]), assumption: null });

/**
 * The compound shape a page_ref event shows: page_ref prints PG_head on a folio's head
 * page. A head the state does not have was made by prep_compound_page() (unified
 * dax_folio_init(), or a device-dax pgmap's vmemmap_shift); a page of a compound folio
 * seen without the flag means the folio was split back to order-0 pages
 * (dax_folio_reset_order()), which the kernel does only to a free folio, so only when
 * the head's count is 0; a head is made only over tails at count 0 (an inconsistent
 * trace changes no shape). The order is not
 * printed: an FS DAX folio is PMD-sized (dax_folio_init() of a PMD entry), a device-dax
 * one the pgmap's vmemmap_shift (else the largest PUD/PMD alignment that fits its
 * range). Empty when nothing changes.
 */
export function shapeChange(src: PageSource & { readonly ranges: readonly MemmapRange[] }, r: PageRefRead, seq: number): ShapeChange {
  const none = NO_SHAPE_CHANGE;
  if (r.head === undefined || r.head === null) return none;
  const page = src.page(r.pfn);
  if (page === undefined) return none;
  const isHead = (page.flags & PG_head) !== 0;
  // nearly every event: the flag as the state has it, on a page that is not a tail (word 1 a pgmap, not a tail encoding)
  if (r.head === isHead && typeof page.word1 !== 'bigint') return none;
  const head = compoundHead(src, r.pfn);
  if (r.head && !isHead) {
    const range = src.ranges.find((x) => r.pfn >= x.pfn && r.pfn < x.pfn + x.nr);
    if (range === undefined) return none;
    const { order, assumption } = compoundOrder(range, r.pfn);
    // prep_compound_page() runs on free pages only: a page of the would-be folio in use means the trace is not showing a folio
    for (let i = 1; i < 2 ** order; i++) if ((src.page(r.pfn + i)?.refcount ?? 0) !== 0) return none;
    const events: RefEvent[] = [];
    if (head !== r.pfn) events.push({ seq, type: 'split', pfn: head });
    events.push({ seq, type: 'prep_compound', pfn: r.pfn, order });
    return { events, assumption };
  }
  if (!r.head && (isHead || head !== r.pfn) && src.page(head)?.refcount === 0) return { events: [{ seq, type: 'split', pfn: head }], assumption: null };
  return none;
}

/** The order of a new compound head at `pfn` in `range`, and the assumption it rests on. */
function compoundOrder(range: MemmapRange, pfn: number): { order: number; assumption: string | null } {
  if (range.vmemmapShift > 0) return { order: range.vmemmapShift, assumption: null };
  if (range.pgmapType === 'fsdax') {
    return { order: PMD_ORDER, assumption: `compound FS DAX folios are order ${PMD_ORDER} (page_ref prints the head flag, not the order; dax_folio_init() makes a folio per PMD entry)` };
  }
  const fits = (o: number): boolean => pfn % 2 ** o === 0 && pfn + 2 ** o <= range.pfn + range.nr;
  const order = fits(PUD_ORDER) ? PUD_ORDER : PMD_ORDER;
  return { order, assumption: `device-dax compound folios at ${hex(pfn)} are order ${order} (the largest PUD/PMD alignment that fits; give the instance's align)` };
}

/** The RefEvent a recorded page_ref event is, numbered `seq`. */
export function pageRefEvent(r: PageRefRead, seq: number): RefEvent {
  const { pfn, val } = r;
  switch (r.op) {
    case 'set':
    case 'mod':
    case 'unfreeze':
      return { seq, type: r.op, pfn, val };
    case 'mod_and_test':
    case 'mod_and_return':
    case 'mod_unless':
    case 'freeze':
      // page_ref_add_unless()'s `u` is not printed; every caller the spec lists passes 0 (the RefEvent default)
      return r.ret === null ? { seq, type: r.op, pfn, val } : { seq, type: r.op, pfn, val, ret: r.ret };
  }
}

/**
 * The `_refcount` the page must have had before the recorded event, or null when
 * the event does not depend on it (`set`). `count` is recorded after the operation:
 * a mod of `val` had `count − val`; a failed mod_unless or freeze changed nothing;
 * a successful freeze found its expected count `val`; unfreeze restores from 0.
 */
export function priorCount(r: PageRefRead): number | null {
  switch (r.op) {
    case 'set':
      return null;
    case 'mod':
    case 'mod_and_test':
    case 'mod_and_return':
      return r.count - r.val;
    case 'mod_unless':
      return r.ret === 0 ? r.count : r.count - r.val;
    case 'freeze':
      return r.ret === 0 ? r.count : r.val;
    case 'unfreeze':
      return 0;
  }
}

/** The `untraced-change` finding: the recording shows a count the simulation did not reach. */
export function untracedChange(r: PageRefRead, seq: number, line: number, simulated: number, prior: number): Finding {
  return {
    code: 'untraced-change',
    severity: 'warn',
    seq,
    pfn: r.pfn,
    function: `page_ref_${r.op}`,
    message:
      `trace line ${line}: page_ref_${r.op} on pfn ${hex(r.pfn)} (count=${r.count} val=${r.val}${r.ret === null ? '' : ` ret=${r.ret}`}) ` +
      `implies a count of ${prior} before it, but the replay has ${simulated}: a change the trace did not record ` +
      `(lost events, a filter, or a change before tracing began); resynced with set ${prior}`,
  };
}

/** What pages of a recording are: the type and idle refcount of a range the header names. */
export interface PageTemplate {
  readonly pgmapType: PgmapType;
  /** The idle `_refcount` of that type under the recording kernel's profile. */
  readonly refcount: number;
}

/**
 * The memmap_init events (without seq) for the header's ranges: each `# daxX.Y:`
 * device as a `generic` pgmap (compound pages of its `align`), and what is left of
 * each `# pmem:` range as `fsdax`. `idle` gives the profile's idle refcount of a type.
 */
export function headerMemmaps(header: TraceHeader, idle: (type: PgmapType) => number): RefEventOf<'memmap_init'>[] {
  const out: RefEventOf<'memmap_init'>[] = [];
  const taken: [number, number][] = [];
  for (const dev of header.daxDevices) {
    const start = parseSize(dev.settings.resource);
    const size = parseSize(dev.settings.size);
    if (start === null || size === null || size === 0) continue;
    const pfn = start / 2 ** PAGE_SHIFT;
    const nr = size / 2 ** PAGE_SHIFT;
    const align = parseSize(dev.settings.align) ?? 0;
    const shift = align > 2 ** PAGE_SHIFT ? Math.log2(align / 2 ** PAGE_SHIFT) : 0;
    const unit = 2 ** shift;
    const whole = Number.isInteger(shift) && pfn % unit === 0 && nr % unit === 0;
    out.push({ seq: 0, type: 'memmap_init', pfn, nr, pgmap: dev.device, pgmapType: 'generic', refcount: idle('generic'), vmemmapShift: whole ? shift : 0 });
    taken.push([pfn, pfn + nr]);
  }
  header.pmem.forEach((r, i) => {
    let lo = Number(r.start >> BigInt(PAGE_SHIFT));
    const hi = Number((r.end + 1n) >> BigInt(PAGE_SHIFT));
    for (const [a, b] of [...taken].sort((x, y) => x[0] - y[0])) {
      if (b <= lo || a >= hi) continue;
      if (a > lo) out.push(fsdaxInit(`pmem${i}`, lo, a, idle));
      lo = Math.max(lo, b);
    }
    if (hi > lo) out.push(fsdaxInit(out.some((e) => e.pgmap === `pmem${i}`) ? `pmem${i}.${out.length}` : `pmem${i}`, lo, hi, idle));
  });
  return out;
}

function fsdaxInit(pgmap: string, lo: number, hi: number, idle: (type: PgmapType) => number): RefEventOf<'memmap_init'> {
  return { seq: 0, type: 'memmap_init', pfn: lo, nr: hi - lo, pgmap, pgmapType: 'fsdax', refcount: idle('fsdax'), vmemmapShift: 0 };
}

/** `1073741824`, `0x140000000` → a number; null when absent or not a number. */
function parseSize(text: string | undefined): number | null {
  if (text === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(text)) return null;
  return Number(text);
}

/**
 * The memmap_init (seq `seq`) that gives an uncovered pfn a struct page: its 128 MiB
 * section (sparse-vmemmap's unit), clipped to the gap between the ranges around it.
 */
export function sectionMemmap(pfn: number, ranges: readonly MemmapRange[], template: PageTemplate, seq: number): RefEventOf<'memmap_init'> {
  let lo = Math.floor(pfn / PAGES_PER_SECTION) * PAGES_PER_SECTION;
  let hi = lo + PAGES_PER_SECTION;
  for (const r of ranges) {
    const end = r.pfn + r.nr;
    if (end <= pfn && end > lo) lo = end;
    if (r.pfn > pfn && r.pfn < hi) hi = r.pfn;
  }
  return { seq, type: 'memmap_init', pfn: lo, nr: hi - lo, pgmap: `section-${hex(Math.floor(pfn / PAGES_PER_SECTION))}`, pgmapType: template.pgmapType, refcount: template.refcount, vmemmapShift: 0 };
}
