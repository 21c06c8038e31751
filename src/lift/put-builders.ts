/**
 * Reference drops. An unpin: unpin_user_pages() / unpin_user_page() / unpin_user_folio()
 * (one call each, several inside one __bio_release_pages()), or a bare gup_put_folio()
 * with FOLL_PIN; its gup_put_folio() probes say which folios and how many pages. A put:
 * the legacy devmap hook __put_devmap_managed_folio_refs() (a pipe buffer released by
 * page_cache_pipe_buf_release()), generic_pipe_buf_release(), a __folio_put() that only
 * fires at refcount 0, or a negative page_ref event of a page_ref build.
 */
import type { KprobeRecord, TraceRecord } from '../trace/record-types.ts';
import { probeNumber } from '../trace/record-fields.ts';
import type { Builder, Closed, LiftEnv, LiftedOp } from './builder.ts';
import { strayOnly } from './builder.ts';
import { decodeGrabFlags } from './gup-flags.ts';
import { probeFunction, probePage } from './record-view.ts';

/** Entry points of one unpin call. */
const UNPIN_CALLS: ReadonlySet<string> = new Set(['unpin_user_pages', 'unpin_user_pages_dirty_lock', 'unpin_user_page', 'unpin_user_folio', 'unpin_folio']);
/** What a put path traces on its way (absorbed by an unpin or put). */
const PUT_PATH: ReadonlySet<string> = new Set([
  'gup_put_folio', '__put_devmap_managed_folio_refs', '__put_devmap_managed_page_refs', '__folio_put',
  'free_zone_device_folio', 'free_zone_device_page', 'wake_up_var', 'set_page_dirty_lock', 'folio_put_refs',
]);
/** Functions that open a put on their own. */
const PUT_OPENERS: ReadonlySet<string> = new Set(['__put_devmap_managed_folio_refs', '__put_devmap_managed_page_refs', '__folio_put', 'generic_pipe_buf_release']);

/** True for a record that opens an unpin (a call, a bio release, a bare FOLL_PIN gup_put_folio). */
export function opensUnpin(r: TraceRecord, env: LiftEnv): r is KprobeRecord {
  if (r.kind !== 'kprobe' || r.probeKind === 'return') return false;
  const fn = probeFunction(r);
  if (UNPIN_CALLS.has(fn) || fn === '__bio_release_pages') return true;
  return fn === 'gup_put_folio' && decodeGrabFlags(probeNumber(r, 'flags') ?? 0, env.foll).pin;
}

/** True for a record that opens a put. */
export function opensPut(r: TraceRecord): boolean {
  if (r.kind === 'page_ref') return r.val < 0;
  return r.kind === 'kprobe' && r.probeKind === 'entry' && PUT_OPENERS.has(probeFunction(r));
}

interface Call {
  readonly anchor: KprobeRecord;
  readonly records: TraceRecord[];
  readonly puts: { readonly pfn: number; readonly refs: number }[];
}

/** An unpin (or a bio release of pinned pages) being read. */
export class UnpinBuilder implements Builder {
  readonly kind = 'unpin' as const;
  readonly context: string;
  readonly endsAtPhase = true;
  readonly finished = false;
  private readonly env: LiftEnv;
  private readonly lead: TraceRecord[] = [];
  private readonly calls: Call[] = [];
  private readonly bio: boolean;

  constructor(env: LiftEnv, context: string, r: KprobeRecord) {
    this.env = env;
    this.context = context;
    this.bio = probeFunction(r) === '__bio_release_pages';
    if (this.bio) this.lead.push(r);
    else this.calls.push({ anchor: r, records: [r], puts: this.putsOf(r) });
  }

  offer(r: TraceRecord): boolean {
    const call = this.calls[this.calls.length - 1];
    if (r.kind === 'page_ref') {
      if (!call) return false;
      call.records.push(r);
      return true;
    }
    if (r.kind !== 'kprobe') return false;
    const fn = probeFunction(r);
    if (UNPIN_CALLS.has(fn) && r.probeKind === 'entry') {
      // unpin_user_pages_dirty_lock(pages, n, false) calls unpin_user_pages(pages, n): one unpin
      if (call && call.puts.length === 0 && samePages(call.anchor, r)) {
        call.records.push(r);
        return true;
      }
      // another call of the same bio release; a second unpin_user_pages() is a new Op
      if (!this.bio) return false;
      this.calls.push({ anchor: r, records: [r], puts: [] });
      return true;
    }
    if (!PUT_PATH.has(fn)) return false;
    if (!call) {
      if (fn !== 'gup_put_folio') return false;
      this.calls.push({ anchor: r, records: [r], puts: this.putsOf(r) });
      return true;
    }
    call.records.push(r);
    if (fn === 'gup_put_folio' && r.probeKind === 'entry') call.puts.push(...this.putsOf(r));
    return true;
  }

  private putsOf(r: KprobeRecord): { pfn: number; refs: number }[] {
    if (probeFunction(r) !== 'gup_put_folio') return [];
    const pfn = probePage(r, this.env.vmemmapBase);
    return pfn === null ? [] : [{ pfn, refs: probeNumber(r, 'refs') ?? 1 }];
  }

  close(): Closed {
    if (this.bio && this.calls.length === 0) return this.bioPuts();
    const ops: LiftedOp[] = [];
    const stray: TraceRecord[] = [...this.lead];
    for (const c of this.calls) {
      const lifted = this.liftCall(c);
      if (lifted.length === 0) stray.push(...c.records);
      else {
        // the bio release record leads the first Op
        const head = lifted[0]!;
        lifted[0] = { op: head.op, records: [...stray.splice(0), ...head.records] };
        ops.push(...lifted);
      }
    }
    return ops.length === 0 ? strayOnly(stray) : { ops, stray };
  }

  /**
   * A bio release that traced no unpin: the FOLL_GET references of an O_DIRECT read
   * (before v6.10) dropped by folio_put_refs() inside __bio_release_pages(), which no
   * stock probe sees; lifted as puts `via: 'bio_release'` of the outstanding write gets.
   */
  private bioPuts(): Closed {
    const pfns = this.env.world.takeWriteGets();
    if (pfns.length === 0) return strayOnly(this.lead);
    const line = this.lead[0]?.line;
    const ops = pfns.map((pfn, i) => ({ op: { type: 'put' as const, ...(line !== undefined ? { line } : {}), pfn, nr: 1, via: 'bio_release' as const }, records: i === 0 ? this.lead : [] }));
    return { ops, stray: [] };
  }

  /**
   * One unpin call: `pages`/`page0` + `n` (unpin_user_pages), `page` (unpin_user_page),
   * `folio` + `npages` (unpin_user_folio). When its gup_put_folio() probes show folios that
   * are not one contiguous run from the first page, each becomes its own unpin.
   */
  private liftCall(c: Call): LiftedOp[] {
    const a = c.anchor;
    const first = probePage(a, this.env.vmemmapBase);
    const n = probeNumber(a, 'n') ?? probeNumber(a, 'npages') ?? (c.puts.length > 0 ? c.puts.reduce((s, p) => s + p.refs, 0) : 1);
    let next = first;
    let contiguous = true;
    for (const p of c.puts) {
      contiguous &&= p.pfn === next;
      next = p.pfn + p.refs;
    }
    if (first !== null && contiguous) {
      return [{ op: { type: 'unpin', line: a.line, pfn: first, nr: Math.max(1, n) }, records: c.records }];
    }
    return c.puts.map((p, i) => ({ op: { type: 'unpin' as const, line: a.line, pfn: p.pfn, nr: p.refs }, records: i === 0 ? c.records : [] }));
  }
}

/** A put being read. */
export class PutBuilder implements Builder {
  readonly kind = 'put' as const;
  readonly context: string;
  readonly endsAtPhase = true;
  readonly finished = false;
  private readonly env: LiftEnv;
  private readonly records: TraceRecord[];
  private readonly pfn: number | null;
  private readonly nr: number;
  private readonly line: number;

  constructor(env: LiftEnv, context: string, r: TraceRecord) {
    this.env = env;
    this.context = context;
    this.records = [r];
    this.line = r.line;
    if (r.kind === 'page_ref') {
      this.pfn = r.pfn;
      this.nr = -r.val;
    } else if (r.kind === 'kprobe') {
      this.pfn = probePage(r, env.vmemmapBase);
      this.nr = /devmap/.test(probeFunction(r)) ? (probeNumber(r, 'refs') ?? 1) : 1;
    } else {
      this.pfn = null;
      this.nr = 1;
    }
  }

  offer(r: TraceRecord): boolean {
    if (r.kind === 'page_ref') {
      if (r.pfn !== this.pfn) return false;
      this.records.push(r);
      return true;
    }
    if (r.kind !== 'kprobe') return false;
    const fn = probeFunction(r);
    if (r.probeKind === 'return' ? !/devmap/.test(fn) : !PUT_PATH.has(fn) || /devmap/.test(fn) || fn === 'gup_put_folio') return false;
    this.records.push(r);
    return true;
  }

  close(): Closed {
    if (this.pfn === null) return strayOnly(this.records);
    for (let i = 0; i < this.nr; i++) this.env.world.settleWriteGet(this.pfn);
    return { ops: [{ op: { type: 'put', line: this.line, pfn: this.pfn, nr: this.nr, via: 'put_page' }, records: this.records }], stray: [] };
  }
}

/** True when two unpin calls name the same page array (a wrapper calling the plain unpin). */
function samePages(a: KprobeRecord, b: KprobeRecord): boolean {
  const pa = a.fields['pages'];
  return pa !== undefined && pa !== null && pa === b.fields['pages'] && a.fields['n'] === b.fields['n'];
}
