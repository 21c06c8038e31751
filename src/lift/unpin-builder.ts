/**
 * An unpin: unpin_user_pages() / unpin_user_pages_dirty_lock() / unpin_user_page() /
 * unpin_user_folio() (one call each), or a bare gup_put_folio() with FOLL_PIN; its
 * gup_put_folio() probes say which folios and how many pages. Inside a bio release
 * (__bio_release_pages(), in the completing interrupt or task) the calls release the
 * pages of an O_DIRECT request and lift to dio.release, and the grab that took them
 * becomes dio.grab (pending.ts). A bio release that traced no unpin is 6.1.y's
 * folio_put_refs() of FOLL_GET pages, which only a page_ref build sees: it releases
 * the O_DIRECT grabs still outstanding (events/traces/k61-ext4-daxrace.trace.txt:175).
 */
import type { UnpinVia } from '../events/op.ts';
import type { KprobeRecord, TraceRecord } from '../trace/record-types.ts';
import { probeNumber } from '../trace/record-fields.ts';
import type { Builder, Closed, LiftEnv, LiftedOp } from './builder.ts';
import { strayOnly } from './builder.ts';
import { decodeGrabFlags } from './gup-flags.ts';
import { probeFunction, probePage } from './record-view.ts';
import { PUT_PATH } from './put-builder.ts';

/** Entry points of one unpin call. */
const UNPIN_CALLS: ReadonlySet<string> = new Set(['unpin_user_pages', 'unpin_user_pages_dirty_lock', 'unpin_user_page', 'unpin_user_folio', 'unpin_folio']);

/** True for a record that opens an unpin (a call, a bio release, a bare FOLL_PIN gup_put_folio). */
export function opensUnpin(r: TraceRecord, env: LiftEnv): r is KprobeRecord {
  if (r.kind !== 'kprobe' || r.probeKind === 'return') return false;
  const fn = probeFunction(r);
  if (UNPIN_CALLS.has(fn) || fn === '__bio_release_pages') return true;
  return fn === 'gup_put_folio' && decodeGrabFlags(probeNumber(r, 'flags') ?? 0, env.foll).pin;
}

interface Call {
  readonly anchor: KprobeRecord;
  readonly records: TraceRecord[];
  readonly puts: { readonly pfn: number; readonly refs: number }[];
}

/** The `via` of an unpin entry point. */
function viaOf(fn: string): UnpinVia {
  return fn === 'unpin_user_page' || fn === 'unpin_user_folio' || fn === 'unpin_user_pages_dirty_lock' ? fn : 'unpin_user_pages';
}

/** An unpin (or a bio release) being read. */
export class UnpinBuilder implements Builder {
  readonly kind = 'unpin' as const;
  readonly context: string;
  readonly endsAtPhase = true;
  readonly finished = false;
  private readonly env: LiftEnv;
  private readonly lead: TraceRecord[] = [];
  private readonly calls: Call[] = [];
  private readonly bio: boolean;
  /** Pages a page_ref build showed dropped by a bio release with no unpin call. */
  private readonly bioPuts: number[] = [];

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
      if (call) call.records.push(r);
      else if (this.bio && r.val < 0) {
        this.lead.push(r);
        this.bioPuts.push(r.pfn);
      } else return false;
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
      if (fn !== 'gup_put_folio') {
        if (!this.bio) return false;
        this.lead.push(r);
        return true;
      }
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
    if (this.bio && this.calls.length === 0) return this.bioGets();
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
   * A bio release that traced no unpin: 6.1.y's folio_put_refs() of the FOLL_GET pages of
   * an O_DIRECT read. The grabs still held become dio.grab and are released here; a grab
   * already lifted as gup.get (held too long) is put `via: 'bio_release'`.
   */
  private bioGets(): Closed {
    const dirty = this.lead[0]?.kind === 'kprobe' ? probeNumber(this.lead[0], 'mark_dirty') : undefined;
    const world = this.env.world;
    const taken = world.pending.takeBioGets(this.bioPuts, dirty === undefined ? undefined : dirty !== 0, (p) => world.headOf(p));
    const line = this.lead[0]?.line;
    const at = line !== undefined ? { line } : {};
    const ops: LiftedOp[] = [];
    // the bio holds contiguous grabs as one segment: __bio_release_pages() puts each folio
    // of it once with folio_put_refs(folio, pages of it), so grabs that continue each
    // other are one dio.release run (two tail pages of one 1 GiB folio: one put of 2)
    const dio: { pfn: number; nr: number }[] = [];
    for (const g of taken) {
      if (g.fate !== 'dio') continue;
      const last = dio.at(-1);
      if (last !== undefined && last.pfn + last.nr === g.op.pfn) last.nr += g.op.nr;
      else dio.push({ pfn: g.op.pfn, nr: g.op.nr });
    }
    for (const r of dio) ops.push({ op: { type: 'dio.release', ...at, pfn: r.pfn, nr: r.nr }, records: [] });
    for (const g of taken) {
      if (g.fate === 'dio') continue;
      for (let i = 0; i < g.op.nr; i++) ops.push({ op: { type: 'put', ...at, pfn: g.op.pfn + i, nr: 1, via: 'bio_release' }, records: [] });
    }
    if (ops.length === 0) {
      for (const pfn of this.bioPuts) ops.push({ op: { type: 'put', ...at, pfn, nr: 1, via: 'bio_release' }, records: [] });
    }
    if (ops.length === 0) return strayOnly(this.lead);
    ops[0] = { op: ops[0]!.op, records: this.lead };
    return { ops, stray: [] };
  }

  /**
   * One unpin call: `pages`/`page0` + `n` (unpin_user_pages), `page` (unpin_user_page),
   * `folio` + `npages` (unpin_user_folio). When its gup_put_folio() probes show folios that
   * are not one contiguous run from the first page, each becomes its own unpin. Each
   * releases the held grab of its pages: an O_DIRECT one inside a bio release.
   */
  private liftCall(c: Call): LiftedOp[] {
    const a = c.anchor;
    const via = viaOf(probeFunction(a));
    const first = probePage(a, this.env.vmemmapBase);
    const n = probeNumber(a, 'n') ?? probeNumber(a, 'npages') ?? (c.puts.length > 0 ? c.puts.reduce((s, p) => s + p.refs, 0) : 1);
    let next = first;
    let contiguous = true;
    for (const p of c.puts) {
      // gup_put_folio() names the folio: a large one's head for pages anywhere in it
      const at = next === null ? null : p.pfn === next ? next : this.env.world.headOf(next) === p.pfn ? next : null;
      contiguous &&= at !== null;
      next = at === null ? p.pfn + p.refs : at + p.refs;
    }
    const runs = first !== null && contiguous ? [{ pfn: first, nr: Math.max(1, n) }] : c.puts.map((p) => ({ pfn: p.pfn, nr: p.refs }));
    return runs.map((r, i) => {
      this.env.world.pending.release(r.pfn, r.nr, this.bio ? 'dio' : 'gup', 'gup.pin');
      const op = this.bio
        ? ({ type: 'dio.release', line: a.line, pfn: r.pfn, nr: r.nr } as const)
        : ({ type: 'unpin', line: a.line, pfn: r.pfn, nr: r.nr, ...(via !== 'unpin_user_pages' ? { via } : {}) } as const);
      return { op, records: i === 0 ? c.records : [] };
    });
  }
}

/** True when two unpin calls name the same page array (a wrapper calling the plain unpin). */
function samePages(a: KprobeRecord, b: KprobeRecord): boolean {
  const pa = a.fields['pages'];
  return pa !== undefined && pa !== null && pa === b.fields['pages'] && a.fields['n'] === b.fields['n'];
}
