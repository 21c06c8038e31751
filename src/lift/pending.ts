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
  /** How many bio releases came before the grab (see takeBioGets). */
  readonly bioEpoch: number;
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
  /** Bio releases that traced no unpin, so far. */
  private bioEpoch = 0;

  /** `headOf` gives the head of the large folio a fault mapped pfn in (pfn itself otherwise). */
  constructor(headOf: (pfn: number) => number = (pfn) => pfn) {
    this.headOf = headOf;
  }

  /** Holds a grab. */
  hold(op: PendingGrab['op'], records: readonly TraceRecord[]): PendingGrab {
    const g: PendingGrab = { op, records, fate: 'pending', outstanding: op.nr, bioEpoch: this.bioEpoch };
    this.list.push(g);
    if (this.list.length > MAX_REMEMBERED) {
      const old = this.list.findIndex((x) => x.fate !== 'pending');
      if (old >= 0) this.list.splice(old, 1);
    }
    return g;
  }

  /**
   * Releases nr pages from pfn: every grab covering one of them that is still pending
   * takes `fate`. Returns the grabs that covered them (pending or not). `only` limits it
   * to one kind of grab: an unpin (gup_put_folio() with FOLL_PIN) drops pins, never a
   * FOLL_GET reference of the same folio (vmtest 7.3 devdax-1G: the vmsplice() get of
   * :322, whose put_page() no stock probe sees, is not the O_DIRECT pin unpinned at :345).
   */
  release(pfn: number, nr: number, fate: Exclude<GrabFate, 'pending'>, only?: 'gup.get' | 'gup.pin'): PendingGrab[] {
    const hit: PendingGrab[] = [];
    for (const g of this.list) {
      if (g.outstanding <= 0 || (only !== undefined && g.op.type !== only)) continue;
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
   * them, else the outstanding FOLL_GET grabs of the request's direction, oldest first.
   * Pending grabs become dio.grab.
   *
   * The direction: 6.1 __iov_iter_get_pages_alloc() sets FOLL_WRITE exactly when the
   * iter is not a WRITE (the device writes into the user pages), and block/fops.c passes
   * mark_dirty=1 only for such a READ (`should_dirty`). mark_dirty=0 is an O_DIRECT write
   * (FOLL_GET without FOLL_WRITE: vmtest 6.1 ext4-fsdax-dio.trace.txt:464 releases the
   * flags=0x4 grabs of :418..:461, and the next grab of those pages, :856, reads ref=1)
   * or a read whose pages bio_check_pages_dirty() found dirty already (:2008 releases
   * the flags=0x5 grabs of dio_read_whole_pmd; k61-ext4-daxrace.trace.txt:175 in an
   * interrupt). The probe does not carry the bio's pages or its op, so the request is
   * taken to be the one issued last: its grabs came after the previous bio release
   * (synchronous O_DIRECT waits for each bio before it grabs for the next), and for
   * mark_dirty=0 its direction is the newest of them. Grabs from before the previous
   * release are taken only when no newer one of the direction is outstanding (a
   * FOLL_GET whose put_page() no probe saw, as on 6.1 device-dax, stays out of a later
   * request's release).
   */
  takeBioGets(pfns: readonly number[], markDirty?: boolean, headOf: (pfn: number) => number = (p) => p): PendingGrab[] {
    const gets = this.list.filter((g) => g.outstanding > 0 && g.op.type === 'gup.get');
    const epoch = this.bioEpoch++;
    let chosen: PendingGrab[];
    // a page_ref event names the folio (folio_put_refs() on the head): a grab of a tail
    // page of a large folio is released by the head's event (vmtest 6.1dbg devdax-1G:
    // grabs of 0x17fff4 and 0x17fff5 in the 1 GiB folio 0x140000, released by one
    // page_ref_mod_and_test pfn=0x140000 val=-2)
    const named = (g: PendingGrab): boolean => pfns.some((p) => {
      if (p >= g.op.pfn && p < g.op.pfn + g.op.nr) return true;
      for (let i = 0; i < Math.min(g.op.nr, 512); i++) if (headOf(g.op.pfn + i) === p) return true;
      return false;
    });
    if (pfns.length > 0) chosen = gets.filter(named);
    else {
      const fresh = gets.filter((g) => g.bioEpoch === epoch);
      const newest = (fresh.length > 0 ? fresh : gets).at(-1);
      const write = markDirty === true || newest?.op.write === true;
      const ofDirection = (list: PendingGrab[]): PendingGrab[] => list.filter((g) => (g.op.write === true) === write);
      chosen = ofDirection(fresh);
      if (chosen.length === 0) chosen = ofDirection(gets);
    }
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
