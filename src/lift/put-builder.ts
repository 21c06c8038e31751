/**
 * A put: the legacy devmap hook __put_devmap_managed_folio_refs(), a pipe buffer's
 * release (page_cache_pipe_buf_release() for a vmsplice()d page, fs/splice.c
 * user_page_pipe_buf_ops; generic_pipe_buf_release() for other pipes), a __folio_put()
 * that only fires at refcount 0, or a negative page_ref event of a page_ref build. It
 * releases the held grab of its page as plain GUP (pending.ts).
 *
 * A pipe release is put_page(): on a legacy kernel that calls the devmap hook, whose
 * entry (same page, same task) is then part of this one put, not a second one.
 */
import type { TraceRecord } from '../trace/record-types.ts';
import { probeNumber } from '../trace/record-fields.ts';
import type { Builder, Closed, LiftEnv } from './builder.ts';
import { strayOnly } from './builder.ts';
import { probeFunction, probePage } from './record-view.ts';

/** What a put path traces on its way (absorbed by an unpin or put). */
export const PUT_PATH: ReadonlySet<string> = new Set([
  'gup_put_folio', '__put_devmap_managed_folio_refs', '__put_devmap_managed_page_refs', '__folio_put',
  'free_zone_device_folio', 'free_zone_device_page', 'wake_up_var', 'set_page_dirty_lock', 'folio_put_refs',
]);
/** The pipe buffer releases: each put_page()s its buffer's page. */
export const PIPE_RELEASE: readonly string[] = ['page_cache_pipe_buf_release', 'generic_pipe_buf_release'];
/** Functions that open a put on their own. */
const PUT_OPENERS: ReadonlySet<string> = new Set(['__put_devmap_managed_folio_refs', '__put_devmap_managed_page_refs', '__folio_put', ...PIPE_RELEASE]);

/** True for a record that opens a put. */
export function opensPut(r: TraceRecord): boolean {
  // a bare page_ref decrement is one put_page() only when it drops one reference; more
  // (gup_put_folio(folio, refs): 1024 per pin, folio_put_refs()) is a put whose probe
  // event is missing, and -val is no count of pages: no Op is guessed from it (the
  // checker takes it as its own change, checker.ts takeBare)
  if (r.kind === 'page_ref') return r.val === -1;
  return r.kind === 'kprobe' && r.probeKind === 'entry' && PUT_OPENERS.has(probeFunction(r));
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
  /** Opened by a pipe release whose put_page() has not yet shown the legacy devmap hook. */
  private hookToCome: boolean;

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
    this.hookToCome = r.kind === 'kprobe' && PIPE_RELEASE.includes(probeFunction(r));
  }

  offer(r: TraceRecord): boolean {
    if (r.kind === 'page_ref') {
      if (!this.samePage(r.pfn)) return false;
      // a put opened by its own page_ref event is that one decrement: the next is another
      // put_page() (vmtest 7.3dbg ext4-fsdax-gup.trace.txt:346-347, a pipe of two pages of
      // one PMD folio drained: two folio_put_testzero() on its head)
      if (this.records[0]?.kind === 'page_ref' && r.val < 0) return false;
      this.records.push(r);
      return true;
    }
    if (r.kind !== 'kprobe') return false;
    const fn = probeFunction(r);
    if (this.hookToCome && r.probeKind === 'entry' && /devmap/.test(fn) && this.samePage(probePage(r, this.env.vmemmapBase))) {
      // put_page() → put_devmap_managed_page_refs(page, 1) (6.1–6.14) inside the pipe release
      this.hookToCome = false;
      this.records.push(r);
      return true;
    }
    if (r.probeKind === 'return' ? !/devmap/.test(fn) : !PUT_PATH.has(fn) || /devmap/.test(fn) || fn === 'gup_put_folio') return false;
    this.records.push(r);
    return true;
  }

  /**
   * pfn is this put's page, or the head of the large folio it is in: a pipe release names
   * the vmsplice()d page, put_page() then works on page_folio() of it, whose page_ref event
   * and devmap hook name the head (vmtest 7.3dbg devdax-2M-devdax.trace.txt:279-280, tail
   * 0x1a0bf0 then page_ref_mod_and_test pfn=0x1a0a00; 6.12 devdax-1G: the hook's folio=).
   */
  private samePage(pfn: number | null): boolean {
    if (pfn === null || this.pfn === null) return false;
    return pfn === this.pfn || this.env.world.headOf(this.pfn) === pfn;
  }

  close(): Closed {
    if (this.pfn === null) return strayOnly(this.records);
    this.env.world.pending.release(this.pfn, this.nr, 'gup');
    return { ops: [{ op: { type: 'put', line: this.line, pfn: this.pfn, nr: this.nr, via: 'put_page' }, records: this.records }], stray: [] };
  }
}
