/**
 * A put: the legacy devmap hook __put_devmap_managed_folio_refs() (a pipe buffer
 * released by page_cache_pipe_buf_release()), generic_pipe_buf_release(), a
 * __folio_put() that only fires at refcount 0, or a negative page_ref event of a
 * page_ref build. It releases the held grab of its page as plain GUP (pending.ts).
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
/** Functions that open a put on their own. */
const PUT_OPENERS: ReadonlySet<string> = new Set(['__put_devmap_managed_folio_refs', '__put_devmap_managed_page_refs', '__folio_put', 'generic_pipe_buf_release']);

/** True for a record that opens a put. */
export function opensPut(r: TraceRecord): boolean {
  if (r.kind === 'page_ref') return r.val < 0;
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
    this.env.world.pending.release(this.pfn, this.nr, 'gup');
    return { ops: [{ op: { type: 'put', line: this.line, pfn: this.pfn, nr: this.nr, via: 'put_page' }, records: this.records }], stray: [] };
  }
}
