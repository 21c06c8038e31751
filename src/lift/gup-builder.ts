/**
 * A GUP walk: consecutive grabs of one task (try_grab_folio(), try_grab_folio_fast(),
 * pre-6.10 try_grab_page()) that continue one another become one get_user_pages() /
 * pin_user_pages() Op, so the model can expand it the way the kernel walks: a legacy
 * devmap PMD grabs page by page (follow_devmap_pmd()), a unified PMD folio in one
 * fast grab, or, in slow GUP, 1 page in follow_huge_pmd() and the rest in
 * __get_user_pages() (both recorded as try_grab_folio on the head).
 */
import type { KprobeRecord, TraceRecord } from '../trace/record-types.ts';
import { probeNumber } from '../trace/record-fields.ts';
import type { Builder, Closed, LiftEnv } from './builder.ts';
import { strayOnly } from './builder.ts';
import { decodeGrabFlags, isFastGrab, type GrabKind } from './gup-flags.ts';
import { mmKey, probeFunction, probePage } from './record-view.ts';

/** Functions whose entry probe grabs references. */
export const GRAB_FUNCTIONS: ReadonlySet<string> = new Set(['try_grab_folio', 'try_grab_folio_fast', 'try_grab_page']);
/** Page-table walkers that lead to a grab (context, no reference of their own). */
const WALK_FUNCTIONS: ReadonlySet<string> = new Set(['follow_devmap_pmd', 'gup_fast_devmap_leaf', '__gup_device_huge', 'follow_huge_pmd', 'gup_fast_pmd_leaf', 'follow_page_pte']);

/** True for a record that opens or continues a GUP walk. */
export function isGupRecord(r: TraceRecord): r is KprobeRecord {
  if (r.kind !== 'kprobe') return false;
  const fn = probeFunction(r);
  return GRAB_FUNCTIONS.has(fn) || WALK_FUNCTIONS.has(fn);
}

interface Grab {
  readonly pfn: number;
  readonly refs: number;
  readonly fast: boolean;
  readonly kind: GrabKind;
}

/** A GUP walk being read. */
export class GupBuilder implements Builder {
  readonly kind = 'gup' as const;
  readonly context: string;
  readonly endsAtPhase = true;
  readonly finished = false;
  private readonly env: LiftEnv;
  private readonly records: TraceRecord[] = [];
  private readonly grabs: Grab[] = [];
  private first: KprobeRecord | null = null;

  constructor(env: LiftEnv, context: string, r: KprobeRecord) {
    this.env = env;
    this.context = context;
    this.take(r);
  }

  offer(r: TraceRecord): boolean {
    if (r.kind === 'page_ref') {
      // the grab's own page_ref_mod / page_ref_mod_unless (a page_ref build)
      if (r.val <= 0 || this.grabs.length === 0) return false;
      this.records.push(r);
      return true;
    }
    if (r.kind !== 'kprobe') return false;
    const fn = probeFunction(r);
    if (r.probeKind === 'return') {
      if (!GRAB_FUNCTIONS.has(fn)) return false;
      this.records.push(r);
      return true;
    }
    if (!isGupRecord(r)) return false;
    const g = this.grabOf(r);
    if (g !== null && !this.continues(g)) return false;
    this.take(r);
    return true;
  }

  private take(r: KprobeRecord): void {
    this.records.push(r);
    const g = this.grabOf(r);
    if (g === null) return;
    this.first ??= r;
    this.grabs.push(g);
  }

  private grabOf(r: KprobeRecord): Grab | null {
    const fn = probeFunction(r);
    if (!GRAB_FUNCTIONS.has(fn) || r.probeKind === 'return') return null;
    const pfn = probePage(r, this.env.vmemmapBase);
    if (pfn === null) return null;
    const refs = fn === 'try_grab_page' ? 1 : (probeNumber(r, 'refs') ?? 1);
    const flags = probeNumber(r, 'flags') ?? 0;
    return { pfn, refs, fast: isFastGrab(fn, this.env.release), kind: decodeGrabFlags(flags, this.env.foll) };
  }

  /** The next grab goes on from the last one: the next page, or more pages of one large folio. */
  private continues(g: Grab): boolean {
    const last = this.grabs[this.grabs.length - 1];
    if (last === undefined) return true;
    if (g.fast !== last.fast || g.kind.pin !== last.kind.pin || g.kind.longterm !== last.kind.longterm || g.kind.write !== last.kind.write) return false;
    if (g.pfn === last.pfn + last.refs) return true;
    // slow GUP on a PMD-mapped folio names its head in both grabs
    return g.pfn === last.pfn && this.env.world.isPmdHead(g.pfn);
  }

  close(): Closed {
    const first = this.grabs[0];
    if (first === undefined || this.first === null) return strayOnly(this.records);
    const nr = this.grabs.reduce((n, g) => n + g.refs, 0);
    if (!first.kind.pin && first.kind.write) this.env.world.noteWriteGets(first.pfn, nr);
    const base = { line: this.first.line, mm: mmKey(this.first), pfn: first.pfn, nr, fast: first.fast };
    const op = first.kind.pin ? { type: 'gup.pin' as const, ...base, longterm: first.kind.longterm } : { type: 'gup.get' as const, ...base };
    return { ops: [{ op, records: this.records }], stray: [] };
  }
}
