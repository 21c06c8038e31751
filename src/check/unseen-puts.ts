/**
 * FOLL_GET references whose release a trace may not show. A gup.get (vmsplice(), any
 * get_user_pages() caller) is released with put_page(); on a unified kernel that put
 * reaches no probe of a stock set unless it frees the folio (folio_put() → __folio_put()
 * → free_zone_device_folio()), and a vmsplice()d page's only where its pipe buffer
 * release, page_cache_pipe_buf_release(), was probed (older recordings probed
 * generic_pipe_buf_release(), which that pipe never calls). So when the trace's put
 * visibility is not full, a folio's recorded `_refcount` below the model's by no more
 * than the FOLL_GET references still held on it is not a mismatch: that many puts may
 * have run unseen. The observation is `unknown` with that reason, and the model drops
 * that many references through put_page() Ops placed just before the Op that showed the
 * difference (or at the snap), so the replay goes on from what the kernel held and the
 * put that frees the folio later is the model's own.
 */
import type { Op } from '../events/op.ts';
import { compoundHead, type PageSource } from '../state/accessors.ts';
import type { LoggedOp } from './model-log.ts';

/** FOLL_GET references held on one folio, from the gup.get Ops seen. */
interface Held {
  n: number;
  /** Trace line of the last gup.get that took some. */
  line: number | null;
}

/** The FOLL_GET references of one check whose puts may go unseen. */
export class UnseenPuts {
  private readonly held = new Map<number, Held>();
  /** Why the trace may miss a put (the lifter's observability reason), or null: it sees every put. */
  readonly why: string | null;

  constructor(why: string | null) {
    this.why = why;
  }

  /** True when some observation may be explained (a put can go unseen and references are held). */
  get active(): boolean {
    return this.why !== null && this.held.size > 0;
  }

  /** Notes a replayed Op: the references a gup.get took (its heads' count rose), those a put dropped. */
  note(logged: LoggedOp, before: PageSource, after: PageSource): void {
    if (this.why === null) return;
    const op = logged.op;
    if (op.type !== 'gup.get' && op.type !== 'put') return;
    const heads = new Set<number>();
    for (let i = 0; i < op.nr; i++) heads.add(compoundHead(after, op.pfn + i));
    for (const head of heads) {
      const was = before.page(head)?.refcount ?? 0;
      const now = after.page(head)?.refcount ?? 0;
      const h = this.held.get(head);
      if (op.type === 'gup.get') {
        if (now > was) this.held.set(head, { n: (h?.n ?? 0) + now - was, line: op.line ?? h?.line ?? null });
      } else if (h !== undefined) this.drop(head, Math.min(h.n, Math.max(1, was - now)));
      if (now === 0) this.held.delete(head);
    }
  }

  /**
   * The reason a recorded `_refcount` of head `recorded` below the simulated one is
   * undecidable, or null (no reference held that an unseen put could have dropped, or
   * not that many).
   */
  explain(head: number, simulated: number, recorded: number): string | null {
    const h = this.held.get(head);
    if (this.why === null || h === undefined || recorded >= simulated || simulated - recorded > h.n) return null;
    const d = simulated - recorded;
    const taken = h.line === null ? '' : ` (the last taken at line ${h.line})`;
    return `${h.n} FOLL_GET reference(s) of this folio${taken} are dropped by put_page(), and ${this.why}: ${d} of them may have been put here unseen`;
  }

  /** The put_page() Ops that drop d held references of head (each its own put_page() of the head), forgotten as held. */
  puts(head: number, d: number, at: Pick<Op, 'seq' | 'line'>): Op[] {
    this.drop(head, d);
    return Array.from({ length: d }, () => ({ type: 'put' as const, seq: at.seq, ...(at.line !== undefined ? { line: at.line } : {}), pfn: head, nr: 1, via: 'put_page' as const }));
  }

  private drop(head: number, d: number): void {
    const h = this.held.get(head);
    if (h === undefined) return;
    h.n -= d;
    if (h.n <= 0) this.held.delete(head);
  }
}
