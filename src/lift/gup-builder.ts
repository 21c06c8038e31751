/**
 * One GUP call, from its caller's probe (io_pin_pages(), pin_user_pages_fast(), …) or
 * its first walk or grab to the last event of the same task that belongs to it: GUP-fast
 * grabs (try_grab_folio_fast(), pre-6.10 try_grab_folio(page, …)), a grab GUP-fast gives
 * back (gup_put_folio() with the call's own gup_flags: gup_fast_folio_allowed() said no),
 * slow GUP's check_vma_flags(), its pgmap lookups (get_dev_pagemap(), legacy devmap
 * entries) and its grabs (try_grab_folio(folio, …), pre-6.10 try_grab_page()), and
 * __gup_longterm_locked()'s return. They lift to one gup.get / gup.pin naming the pages
 * asked for, so each model walks them its own way: events/traces/k72-devdax-devdaxwork.
 * trace.txt:233-242 (fast grab of 2, given back, two slow grabs) and k612-devdax-
 * devdaxwork.trace.txt:212-219 (no fast grab, check_vma_flags, one pgmap lookup, two
 * slow grabs) are the same io_uring registration of 2 pages from pfn 0x144000.
 */
import type { KprobeRecord, TraceRecord } from '../trace/record-types.ts';
import { probeBigint, probeNumber } from '../trace/record-fields.ts';
import { PAGE_SIZE, PMD_ORDER } from '../kernel/constants.ts';
import type { Builder, Closed, LiftEnv } from './builder.ts';
import { strayOnly } from './builder.ts';
import { decodeGrabFlags, isFastGrab, type GrabKind } from './gup-flags.ts';
import { mmKey, probeFunction, probePage } from './record-view.ts';
import type { PageLine } from './types.ts';

/** Functions whose entry probe grabs references. */
export const GRAB_FUNCTIONS: ReadonlySet<string> = new Set(['try_grab_folio', 'try_grab_folio_fast', 'try_grab_page']);
/** Page-table walkers that lead to a grab (context, no reference of their own). */
const WALK_FUNCTIONS: ReadonlySet<string> = new Set([
  'follow_devmap_pmd', 'follow_devmap_pud', 'gup_fast_devmap_leaf', '__gup_device_huge', 'follow_huge_pmd', 'follow_huge_pud',
  'gup_fast_pmd_leaf', 'gup_fast_pud_leaf', 'follow_page_pte', 'get_dev_pagemap', 'check_vma_flags', '__gup_longterm_locked',
]);
/** The fast entries slow GUP is reached from (a `_ret` probe's caller). */
const FAST_ENTRIES: ReadonlySet<string> = new Set(['gup_fast_fallback', 'internal_get_user_pages_fast', 'get_user_pages_fast', 'pin_user_pages_fast']);
/** GUP callers whose probe names the user range: address and length (bytes) or page count. */
const CALLERS: Readonly<Record<string, { readonly addr: string; readonly bytes?: string; readonly pages?: string; readonly fast: boolean }>> = {
  io_pin_pages: { addr: 'uaddr', bytes: 'len', fast: true },
  pin_user_pages_fast: { addr: 'start', pages: 'nr_pages', fast: true },
  get_user_pages_fast: { addr: 'start', pages: 'nr_pages', fast: true },
  gup_fast_fallback: { addr: 'start', pages: 'nr_pages', fast: true },
  internal_get_user_pages_fast: { addr: 'start', pages: 'nr_pages', fast: true },
  pin_user_pages_remote: { addr: 'start', pages: 'nr_pages', fast: false },
  get_user_pages_remote: { addr: 'start', pages: 'nr_pages', fast: false },
};

/** True for a record that opens a GUP call. */
export function isGupRecord(r: TraceRecord): r is KprobeRecord {
  if (r.kind !== 'kprobe' || r.probeKind !== 'entry') return false;
  const fn = probeFunction(r);
  return GRAB_FUNCTIONS.has(fn) || WALK_FUNCTIONS.has(fn) || fn in CALLERS;
}

interface Grab {
  readonly pfn: number;
  readonly refs: number;
  readonly fast: boolean;
  readonly flags: number;
  readonly kind: GrabKind;
}

/**
 * The first grab of each page among a GUP Op's records (try_grab_folio(),
 * try_grab_folio_fast(), try_grab_page() entries), with its line: a GUP call takes each
 * page's reference with its own grab, so each page has its own line, not the Op's.
 */
export function grabLines(records: readonly TraceRecord[], vmemmapBase: bigint): PageLine[] {
  const out: PageLine[] = [];
  const seen = new Set<number>();
  for (const r of records) {
    if (r.kind !== 'kprobe' || r.probeKind === 'return' || !GRAB_FUNCTIONS.has(probeFunction(r))) continue;
    const pfn = probePage(r, vmemmapBase);
    if (pfn === null || seen.has(pfn)) continue;
    seen.add(pfn);
    out.push({ pfn, line: r.line });
  }
  return out;
}

/** A GUP call being read. */
export class GupBuilder implements Builder {
  readonly kind = 'gup' as const;
  readonly context: string;
  readonly endsAtPhase = true;
  readonly finished = false;
  private readonly env: LiftEnv;
  private readonly records: TraceRecord[] = [];
  private readonly fast: Grab[] = [];
  private readonly slow: Grab[] = [];
  private readonly devPfns: number[] = [];
  /** Index in `fast` of the first grab GUP-fast gave back. */
  private gaveBack: number | null = null;
  private caller: { readonly page: number | null; readonly nr: number | null; readonly fast: boolean } | null = null;
  private checked: GrabKind | null = null;
  private slowFromFast = false;
  private slowCount = 0;
  private ended = false;
  private readonly mm: string;
  private readonly line: number;

  constructor(env: LiftEnv, context: string, r: KprobeRecord) {
    this.env = env;
    this.context = context;
    this.mm = mmKey(r);
    this.line = r.line;
    this.take(r);
  }

  offer(r: TraceRecord): boolean {
    if (this.ended) return false;
    if (r.kind === 'page_ref') {
      // the grabs' own page_ref events (a page_ref build)
      if (this.fast.length + this.slow.length === 0) return false;
      this.records.push(r);
      return true;
    }
    if (r.kind !== 'kprobe') return false;
    const fn = probeFunction(r);
    if (r.probeKind === 'return') {
      if (!GRAB_FUNCTIONS.has(fn) && !WALK_FUNCTIONS.has(fn) && !(fn in CALLERS)) return false;
      this.take(r);
      return true;
    }
    if (fn === 'gup_put_folio') {
      // GUP-fast giving a grab back passes the call's own gup_flags; an unpin passes FOLL_PIN
      const last = this.fast[this.fast.length - 1];
      if (last === undefined || probeNumber(r, 'flags') !== last.flags) return false;
      this.gaveBack ??= this.fast.length - 1;
      this.records.push(r);
      return true;
    }
    if (fn in CALLERS) return false;
    if (!isGupRecord(r)) return false;
    const g = this.grabOf(r);
    if (g !== null && !this.continues(g)) return false;
    this.take(r);
    return true;
  }

  private take(r: KprobeRecord): void {
    this.records.push(r);
    const fn = probeFunction(r);
    if (r.probeKind === 'return') {
      if (fn in CALLERS) this.ended = true;
      if (fn === '__gup_longterm_locked') {
        const ret = probeNumber(r, 'ret');
        if (this.isWalkTail()) {
          this.ended = true;
          return;
        }
        if (ret !== null && ret > 0) this.slowCount = ret;
        if (r.location.kind === 'return' && FAST_ENTRIES.has(r.location.returnSite.symbol ?? '')) this.slowFromFast = true;
        if (this.caller === null) this.ended = true;
      }
      return;
    }
    const caller = CALLERS[fn];
    if (caller !== undefined) {
      const addr = probeBigint(r, caller.addr);
      const bytes = caller.bytes === undefined ? null : probeNumber(r, caller.bytes);
      const pages = caller.pages === undefined ? null : probeNumber(r, caller.pages);
      const a = addr === null ? null : Number(addr);
      const nr = pages ?? (bytes !== null && a !== null ? Math.ceil(((a % PAGE_SIZE) + bytes) / PAGE_SIZE) : null);
      this.caller = { page: a === null ? null : (this.env.world.pageAt(this.mm, a) ?? null), nr, fast: caller.fast };
      return;
    }
    if (fn === 'check_vma_flags') {
      const flags = probeNumber(r, 'gup_flags');
      if (flags !== null) this.checked = decodeGrabFlags(flags, this.env.foll);
      return;
    }
    // a legacy pgmap lookup or devmap leaf names the page the walk reached
    if (fn === 'get_dev_pagemap' || WALK_FUNCTIONS.has(fn)) {
      const pfn = probeNumber(r, 'pfn');
      if (pfn !== null) this.devPfns.push(pfn);
      return;
    }
    const g = this.grabOf(r);
    if (g !== null) (g.fast ? this.fast : this.slow).push(g);
  }

  /**
   * True when this call is the last piece of a slow walk that faulted its pages in:
   * __get_user_pages() calls check_vma_flags() once, before its first grab, then
   * faultin_page() for each page follow_page_pte()/follow_devmap_pmd() does not find,
   * grabs it and goes on, so the fault Ops split one call into pieces and only the
   * first holds check_vma_flags (the recorder probes it with __gup_longterm_locked's
   * return). pageref 6.12dbg ext4-fsdax-dio.trace.txt:291-311: check_vma_flags, fault
   * of 0x48058, its try_grab_folio at :304, fault of 0x48059, its grab at :309, then
   * `gup_longterm_ret ret=2`; :556-641: check_vma_flags, a PMD fault, 16
   * follow_devmap_pmd grabs, `ret=16`. The return counts every piece's pages and says
   * the walk came from GUP-fast, which found nothing mapped before the faults; this
   * piece is its own slow grabs (a model given `fast` finds the page the fault just
   * mapped and grabs it with try_grab_folio_fast(), which the kernel did not).
   */
  private isWalkTail(): boolean {
    return this.caller === null && this.checked === null && this.fast.length === 0 && this.slow.length > 0;
  }

  private grabOf(r: KprobeRecord): Grab | null {
    const fn = probeFunction(r);
    if (!GRAB_FUNCTIONS.has(fn) || r.probeKind === 'return') return null;
    const pfn = probePage(r, this.env.vmemmapBase);
    if (pfn === null) return null;
    const refs = fn === 'try_grab_page' ? 1 : (probeNumber(r, 'refs') ?? 1);
    const flags = probeNumber(r, 'flags') ?? 0;
    return { pfn, refs, fast: isFastGrab(fn, this.env.release), flags, kind: decodeGrabFlags(flags, this.env.foll) };
  }

  /** The next grab is part of this call: the next pages, or more of one huge folio in slow GUP. */
  private continues(g: Grab): boolean {
    const kind = this.fast[0]?.kind ?? this.slow[0]?.kind ?? this.checked;
    if (kind && (g.kind.pin !== kind.pin || g.kind.longterm !== kind.longterm || g.kind.write !== kind.write)) return false;
    if (g.fast) {
      if (this.slow.length > 0 || this.checked !== null) return false;
      const last = this.fast[this.fast.length - 1];
      if (last === undefined) return true;
      // gup_fast_pmd_leaf()/gup_fast_pud_leaf() take the request's whole run in a leaf with
      // one try_grab_folio_fast(page, refs = record_subpages()): a second grab in the same
      // leaf is the next GUP call. An O_DIRECT bio asks for what its bvecs still hold, so
      // a 2 MiB read of one PMD is three calls of 256, 255 and 1 pages (vmtest 7.3
      // ext4-fsdax-dio.trace.txt:365-370, refs=256/255/1, ref=257/512/513).
      if (last.refs > 1 && this.leafOf(g.pfn) === this.leafOf(last.pfn)) return false;
      return g.pfn === last.pfn + last.refs;
    }
    const last = this.slow[this.slow.length - 1];
    if (last === undefined) return true;
    // slow GUP names a huge folio's head in follow_huge_pmd/pud() and again in __get_user_pages()
    return g.pfn === last.pfn + last.refs || (g.pfn === last.pfn && this.env.world.isHugeHead(g.pfn));
  }

  /** The head of the huge leaf pfn lies in: a PMD/PUD a fault mapped, else its 2 MiB block. */
  private leafOf(pfn: number): number {
    const w = this.env.world;
    const head = w.headOf(pfn);
    return head !== pfn || w.isHugeHead(pfn) ? head : pfn - (pfn % 2 ** PMD_ORDER);
  }

  close(): Closed {
    const kind = this.fast[0]?.kind ?? this.slow[0]?.kind ?? this.checked;
    const pfn = this.caller?.page ?? this.fast[0]?.pfn ?? this.devPfns[0] ?? this.slow[0]?.pfn ?? null;
    if (kind === null || pfn === null) return strayOnly(this.records);
    const kept = this.fast.slice(0, this.gaveBack ?? this.fast.length).reduce((n, g) => n + g.refs, 0);
    const slow = Math.max(this.slow.reduce((n, g) => n + g.refs, 0), this.slowCount);
    const nr = this.caller?.nr ?? (kept + slow || this.fast.reduce((n, g) => n + g.refs, 0) || 1);
    // a fast entry whose GUP-fast took nothing (the page was not mapped yet: slow GUP
    // faulted it in) is slow GUP alone; lifted as fast, a model would walk the entry the
    // fault made, which GUP-fast never saw (vmtest 7.3 ext4-fsdax-dio.trace.txt:341-349,
    // check_vma_flags, dax_pmd_fault, try_grab_folio refs=1 and 15, no fast grab)
    const fast = this.caller?.fast ?? (this.fast.length > 0 || (this.slowFromFast && this.slow.length === 0));
    const base = { line: this.line, mm: this.mm, pfn, nr, fast, ...(kind.write ? { write: true } : {}) };
    const op = kind.pin ? ({ type: 'gup.pin', ...base, longterm: kind.longterm } as const) : ({ type: 'gup.get', ...base } as const);
    // a long-term pin is never an O_DIRECT bio's; any other grab waits for its release (pending.ts)
    if (kind.longterm) return { ops: [{ op, records: this.records }], stray: [] };
    return { ops: [], stray: [], held: this.env.world.pending.hold(op, this.records) };
  }
}
