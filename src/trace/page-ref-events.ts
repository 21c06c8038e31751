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
import { PAGES_PER_SECTION, PAGE_SHIFT, hex } from '../kernel/constants.ts';
import type { PgmapType } from '../events/op.ts';
import type { RefEvent, RefEventOf } from '../events/ref-event.ts';
import type { Finding } from '../state/finding.ts';
import type { MemmapRange } from '../state/page.ts';
import type { TraceHeader } from './header-types.ts';
import type { PageRefOp } from './record-types.ts';

/** The fields of a page_ref event that replay uses (a PageRefRecord, or the fast path's scratch). */
export interface PageRefRead {
  readonly op: PageRefOp;
  readonly pfn: number;
  /** `_refcount` after the operation. */
  readonly count: number;
  readonly val: number;
  readonly ret: number | null;
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
