/**
 * GUP Ops whose kind is known only when their pages are released. An O_DIRECT request
 * grabs its user pages like any other GUP caller (6.1: a FOLL_GET `try_grab_folio
 * flags=0x5`; 6.12+: a FOLL_PIN), and only the release tells it apart: the bio's
 * completion, __bio_release_pages(). Lifted as plain gup.get/gup.pin, a 6.1 O_DIRECT
 * could not be replayed as a 7.x pin, nor the reverse; lifted as dio.grab/dio.release,
 * each kernel's model takes and drops the pages its own way.
 *
 * So a non-long-term grab is held (the lifter keeps its place in the stream) until
 * its pages are released: inside a bio release it becomes dio.grab, through an unpin
 * or put anywhere else gup.get/gup.pin. One never released (within the trace, or
 * within the lifter's bound) stays gup.*.
 */
import type { OpInit } from './builder.ts';
import type { TraceRecord } from '../trace/record-types.ts';

/** How a held grab was resolved. */
export type GrabFate = 'pending' | 'dio' | 'gup';

/** A grab waiting for its release. */
export interface PendingGrab {
  readonly op: Extract<OpInit, { type: 'gup.get' | 'gup.pin' }>;
  readonly records: readonly TraceRecord[];
  fate: GrabFate;
  /** Pages of the grab not yet released (a bio may release them one folio at a time). */
  outstanding: number;
}

/** The Op a held grab lifts to once resolved. */
export function resolvedOp(g: PendingGrab): OpInit {
  if (g.fate !== 'dio') return g.op;
  const { op } = g;
  return {
    type: 'dio.grab', ...(op.line !== undefined ? { line: op.line } : {}), ...(op.mm !== undefined ? { mm: op.mm } : {}),
    pfn: op.pfn, nr: op.nr, fast: op.fast, ...(op.write !== undefined ? { write: op.write } : {}),
  };
}

/** Resolved grabs whose pages are still out that are remembered (oldest dropped first). */
const MAX_REMEMBERED = 4096;

/** The held grabs of one trace, oldest first. */
export class PendingGrabs {
  private readonly list: PendingGrab[] = [];
  private readonly headOf: (pfn: number) => number;

  /** `headOf` gives the head of the large folio a fault mapped pfn in (pfn itself otherwise). */
  constructor(headOf: (pfn: number) => number = (pfn) => pfn) {
    this.headOf = headOf;
  }

  /** Holds a grab. */
  hold(op: PendingGrab['op'], records: readonly TraceRecord[]): PendingGrab {
    const g: PendingGrab = { op, records, fate: 'pending', outstanding: op.nr };
    this.list.push(g);
    if (this.list.length > MAX_REMEMBERED) {
      const old = this.list.findIndex((x) => x.fate !== 'pending');
      if (old >= 0) this.list.splice(old, 1);
    }
    return g;
  }

  /**
   * Releases nr pages from pfn: every grab covering one of them that is still pending
   * takes `fate`. Returns the grabs that covered them (pending or not).
   */
  release(pfn: number, nr: number, fate: Exclude<GrabFate, 'pending'>): PendingGrab[] {
    const hit: PendingGrab[] = [];
    for (const g of this.list) {
      if (g.outstanding <= 0) continue;
      const overlap = Math.min(g.op.pfn + g.op.nr, pfn + nr) - Math.max(g.op.pfn, pfn);
      // one large folio named by different pages (slow GUP names the head, an unpin the tail)
      const sameFolio = this.headOf(g.op.pfn) === this.headOf(pfn);
      if (overlap <= 0 && !sameFolio) continue;
      if (g.fate === 'pending') g.fate = fate;
      g.outstanding -= overlap > 0 ? overlap : Math.min(nr, g.outstanding);
      hit.push(g);
    }
    this.prune();
    return hit;
  }

  /**
   * What a bio release that traced no unpin drops (6.1: folio_put_refs() of FOLL_GET
   * pages, which no stock probe sees): the named pages when a page_ref build showed
   * them, else every outstanding FOLL_GET|FOLL_WRITE grab (an O_DIRECT read), oldest
   * first. Pending grabs become dio.grab.
   */
  takeBioGets(pfns: readonly number[]): PendingGrab[] {
    const gets = this.list.filter((g) => g.outstanding > 0 && g.op.type === 'gup.get');
    const chosen = pfns.length > 0 ? gets.filter((g) => pfns.some((p) => p >= g.op.pfn && p < g.op.pfn + g.op.nr)) : gets.filter((g) => g.op.write === true);
    for (const g of chosen) {
      if (g.fate === 'pending') g.fate = 'dio';
      g.outstanding = 0;
    }
    this.prune();
    return chosen;
  }

  /** Resolves every pending grab as plain GUP (the end of the trace). */
  settleAll(): void {
    for (const g of this.list) if (g.fate === 'pending') g.fate = 'gup';
  }

  private prune(): void {
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i]!.outstanding <= 0 && this.list[i]!.fate !== 'pending') this.list.splice(i, 1);
  }
}
