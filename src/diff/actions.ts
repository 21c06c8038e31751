/**
 * What one model's run did to a pfn range during one Op, read from the RefEvents it
 * emitted: the kernel functions it passed through (from the enter/exit markers), the
 * net reference and mapcount changes, a compound prep or split, frees, wake-ups and
 * whether a waiter was actually there to be released, waits begun, association
 * changes. Explanations say only what this shows.
 */
import type { RefEvent } from '../events/ref-event.ts';

/** One model's actions on [lo, hi) in one Op. */
export interface SideActions {
  /** Call paths, outermost caller first, of the events that changed the range (no repeats, no prefixes). */
  readonly paths: readonly (readonly string[])[];
  /** Net page_ref change on the range. */
  readonly refDelta: number;
  /** page_ref events on the range. */
  readonly refEvents: number;
  /** Net mapcount change (rmap adds minus removes; a PMD/PUD rmap counts once). */
  readonly rmapDelta: number;
  readonly rmapLevels: readonly string[];
  /** _pincount change of large folios. */
  readonly pinDelta: number;
  /** prep_compound order, if the Op made a compound folio. */
  readonly compound: number | null;
  readonly split: boolean;
  /** The function that freed the folio (free_zone_device_folio), if any (the last one, where several were freed). */
  readonly freedBy: string | null;
  /** Folios freed on the range (one `free` event each: a range of order-0 folios may free several). */
  readonly freed: number;
  /** wake_up_var() calls on the range (by whom). */
  readonly wakes: readonly string[];
  /** Waiters released (woken) by this Op whose page is in the range, by their Op seq. */
  readonly released: readonly number[];
  /** Waits begun on the range: the function and the refcount it waits for. */
  readonly waits: readonly { readonly fn: string; readonly until: number; readonly interruptible: boolean; readonly waiter: number }[];
  /** Association changes: mapping words set and share counts written. */
  readonly mappings: readonly (string | null)[];
  readonly shares: readonly number[];
  /** A shared (IOMAP_F_SHARED) xarray entry was stored in the range. */
  readonly sharedEntry: boolean;
  /** Page-table entries installed on the range: level, and whether the entry holds a reference. */
  readonly entries: readonly { readonly level: string; readonly refcounted: boolean }[];
  /** Page-table entries cleared (zapped) on the range. */
  readonly cleared: number;
  /** memmap_init_zone_device() of the range's struct pages: their initial refcount. */
  readonly initRefcount: number | null;
}

const REF_TYPES = new Set<RefEvent['type']>(['set', 'mod', 'mod_and_test', 'mod_and_return', 'mod_unless', 'freeze', 'unfreeze']);
/** Events that mark where a function acted on the range (a `warn` marks where its check fired). */
const CHANGES = new Set<RefEvent['type']>([...REF_TYPES, 'prep_compound', 'split', 'set_mapping', 'share', 'add_rmap', 'remove_rmap', 'pin_count', 'wake', 'free', 'wait', 'pt_set', 'xa_store', 'warn', 'memmap_init']);


/**
 * One side's events of one Op, read for the compared ranges an explanation asks about:
 * each event that acts on a page, with the id of its call path. The call path is the
 * stack of open enter markers, outermost first; a waiter woken inside a put runs in its
 * own task, so from its `wait_end` on, until the put's stack unwinds below that point,
 * its frames form a path of their own, opened by `(woken #N)`. A function that appears
 * twice in a row is named once.
 *
 * Nearly every Op a diff explains asks about one range a side, so the first question
 * is answered by one walk of the events that names the paths of that range's events
 * only (a legacy PMD fault emits over a thousand events, for 512 pages). An Op that asks
 * about a second range (a truncate can ask about hundreds: reading every event per range
 * was quadratic) has its events indexed then: sorted by pfn, every path named.
 */
export class OpEvents {
  readonly events: readonly RefEvent[];
  /** Range questions asked so far. */
  private asked = 0;
  /**
   * The placed events sorted by pfn then position, once indexed: the pfn and the event's
   * position in the Op as two flat lists (no object per event).
   */
  private pfns: number[] = [];
  private idxs: number[] = [];
  /** Each event's call path id by its position (-1: none, or not named by the walk that set it). */
  private pathAt: number[] = [];
  private paths: string[][] = [];
  private readonly waitEnds: RefEvent[] = [];
  /** pt_clear events with the pfn of the entry when this Op installed it (else undefined). */
  private readonly clears: (number | undefined)[] = [];

  constructor(events: readonly RefEvent[]) {
    this.events = events;
  }

  /**
   * One walk of the events, the call stack kept: the paths of the placed events on
   * [lo, hi) named (every placed event's where `all`), their positions returned in event
   * order, and the Op's wait_end and pt_clear events listed (on the first walk).
   */
  private walk(lo: number, hi: number, all: boolean): number[] {
    const events = this.events;
    const first = this.asked === 1;
    const placed: number[] = [];
    // a plain packed array: an Int32Array per walk was a quarter of this walk's time
    const pathAt = (this.pathAt = new Array<number>(events.length).fill(-1));
    const paths: string[][] = (this.paths = []);
    const stack: string[] = [];
    const bases: { base: number; label: string }[] = [];
    const ids = new Map<string, number>();
    // by mm, then address (no key string per page-table event); made on the first pt_set
    let ptPfn: Map<string, Map<number, number>> | undefined;
    // The path id per stack depth, -2 until computed: an exit leaves the frames below
    // unchanged, so the caller's path is still known there (an enter or a wait_end at a
    // depth forgets that depth's id; a woken task's base is popped only below its depth,
    // whose ids were computed before it was pushed).
    const memo: number[] = [-2];
    const pathId = (): number => {
      const known = memo[stack.length]!;
      if (known !== -2) return known;
      const top = bases[bases.length - 1];
      const from = top?.base ?? 0;
      if (stack.length <= from) return (memo[stack.length] = -1);
      // the key built straight from the frames; the path list only for a new one
      let key = top ? top.label : '';
      for (let i = from; i < stack.length; i++) {
        if (i > from && stack[i - 1] === stack[i]) continue;
        key = key.length ? `${key}>${stack[i]!}` : stack[i]!;
      }
      let id = ids.get(key);
      if (id === undefined) {
        const path = stack.slice(from).filter((fn, i, frames) => i === 0 || frames[i - 1] !== fn);
        if (top) path.unshift(top.label);
        id = paths.length;
        paths.push(path);
        ids.set(key, id);
      }
      return (memo[stack.length] = id);
    };
    // a plain loop (no closure call per event)
    for (let idx = 0; idx < events.length; idx++) {
      const e = events[idx]!;
      if (e.type === 'enter') {
        stack.push(e.fn);
        memo[stack.length] = -2;
        continue;
      }
      if (e.type === 'exit') {
        stack.pop();
        while (bases.length && stack.length < bases[bases.length - 1]!.base) bases.pop();
        continue;
      }
      if (e.type === 'wait_end') {
        if (first) this.waitEnds.push(e);
        bases.push({ base: stack.length, label: `(woken #${e.waiter})` });
        memo[stack.length] = -2;
        continue;
      }
      if (e.type === 'pt_clear') {
        if (first) this.clears.push(ptPfn?.get(e.mm)?.get(e.addr));
        continue;
      }
      if (e.type === 'pt_set' && first) {
        ptPfn ??= new Map<string, Map<number, number>>();
        let byAddr = ptPfn.get(e.mm);
        if (byAddr === undefined) ptPfn.set(e.mm, (byAddr = new Map<number, number>()));
        byAddr.set(e.addr, e.pfn);
      }
      // the pfn read as a field (undefined where an event has none) rather than tested with `in`
      const pfn = (e as { readonly pfn?: unknown }).pfn;
      if (typeof pfn !== 'number' || pfn < 0) continue;
      // an rmap event is placed on its page too (an order-0 page of a larger mapping)
      const page = (e.type === 'add_rmap' || e.type === 'remove_rmap') && e.page !== pfn && e.page >= 0 ? e.page : -1;
      if (!all && !(pfn >= lo && pfn < hi) && !(page >= lo && page < hi)) continue;
      pathAt[idx] = CHANGES.has(e.type) ? pathId() : -1;
      if (!all) {
        placed.push(idx);
        continue;
      }
      this.pfns.push(pfn);
      this.idxs.push(idx);
      if (page >= 0) {
        this.pfns.push(page);
        this.idxs.push(idx);
      }
    }
    return placed;
  }

  /** Indexes the placed events by pfn (see the class comment): every path named. */
  private index(): void {
    this.walk(0, 0, true);
    const pfns = this.pfns;
    const idxs = this.idxs;
    // positions rise as pushed, so the lists are sorted unless a pfn falls
    let sorted = true;
    for (let i = 1; i < pfns.length && sorted; i++) if (pfns[i]! < pfns[i - 1]! || (pfns[i] === pfns[i - 1] && idxs[i]! <= idxs[i - 1]!)) sorted = false;
    if (sorted) return;
    if (pfns.length < POS_SPAN && maxOf(pfns) < PFN_SPAN) {
      // pfn and position packed into one exact double, sorted as numbers without a comparator call
      const keys = new Float64Array(pfns.length);
      for (let i = 0; i < pfns.length; i++) keys[i] = pfns[i]! * POS_SPAN + idxs[i]!;
      keys.sort();
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const idx = k % POS_SPAN;
        pfns[i] = (k - idx) / POS_SPAN;
        idxs[i] = idx;
      }
    } else {
      const order = pfns.map((_, i) => i).sort((x, y) => pfns[x]! - pfns[y]! || idxs[x]! - idxs[y]!);
      this.pfns = order.map((i) => pfns[i]!);
      this.idxs = order.map((i) => idxs[i]!);
    }
  }

  /**
   * The positions in the Op of the placed events on [lo, hi), in event order, each once.
   * Their call paths are what {@link pathsOf} reads until the next call.
   */
  in(lo: number, hi: number): number[] {
    this.asked++;
    if (this.asked === 1) return this.walk(lo, hi, false);
    if (this.asked === 2) this.index();
    const pfns = this.pfns;
    const idxs = this.idxs;
    let a = 0;
    let b = pfns.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (pfns[mid]! < lo) a = mid + 1;
      else b = mid;
    }
    const out: number[] = [];
    // sorted by pfn, then position: within one pfn (nearly every compared range is one page)
    // the events are already in event order and distinct, so sort and dedup only when not
    let ordered = true;
    for (let i = a; i < pfns.length && pfns[i]! < hi; i++) {
      const idx = idxs[i]!;
      if (ordered && out.length && out[out.length - 1]! >= idx) ordered = false;
      out.push(idx);
    }
    if (ordered) return out;
    out.sort((x, y) => x - y);
    return out.filter((p, i) => i === 0 || out[i - 1] !== p);
  }

  /** The call paths of the events that changed [lo, hi), in event order; a path that is a prefix of another is dropped. */
  callPaths(lo: number, hi: number): string[][] {
    return this.pathsOf(this.in(lo, hi));
  }

  /** {@link callPaths} of the placed events the last `in(lo, hi)` gave (sideActions reads them once for both). */
  pathsOf(placed: readonly number[]): string[][] {
    // the ids seen kept in a list (an Op's range has a few paths: no Set per call)
    const ids: number[] = [];
    const out: string[][] = [];
    for (const idx of placed) {
      const path = this.pathAt[idx]!;
      if (path < 0 || ids.includes(path)) continue;
      ids.push(path);
      out.push(this.paths[path]!);
    }
    if (out.length < 2) return out;
    return out.filter((p, i) => !out.some((q, j) => j !== i && q.length > p.length && p.every((fn, k) => q[k] === fn)));
  }

  /** The wait_end events of the Op (read after a range question: the walk lists them). */
  ends(): readonly RefEvent[] {
    if (this.asked === 0) throw new Error('OpEvents.ends: ask in(lo, hi) first');
    return this.waitEnds;
  }

  /** Page-table entries cleared on [lo, hi); one whose pfn is unknown counts only for `soleRange` (read after a range question). */
  cleared(lo: number, hi: number, soleRange: boolean): number {
    if (this.asked === 0) throw new Error('OpEvents.cleared: ask in(lo, hi) first');
    let n = 0;
    for (const p of this.clears) if (p === undefined ? soleRange : p >= lo && p < hi) n++;
    return n;
  }
}

/** Positions in an Op below this and pfns below {@link PFN_SPAN} pack into one double exactly (2^21 · 2^32 = 2^53). */
const POS_SPAN = 2 ** 21;
const PFN_SPAN = 2 ** 32;

function maxOf(xs: readonly number[]): number {
  let m = 0;
  for (const x of xs) if (x > m) m = x;
  return m;
}

/** The empty list every empty field of a SideActions shares. */
const NONE: readonly never[] = Object.freeze([]);

/** The call paths of the events that changed [lo, hi) (see OpEvents). */
export function callPaths(events: readonly RefEvent[], lo: number, hi: number): string[][] {
  return new OpEvents(events).callPaths(lo, hi);
}

/**
 * Reads what a side did on [lo, hi). `waiterPfn` maps a waiter's Op seq to the page it
 * waits on. A pt_clear names no pfn: one of an entry this Op did not install is counted
 * only when the range is the only one the Op touched (`soleRange`).
 */
export function sideActions(op: OpEvents, lo: number, hi: number, waiterPfn: (waiter: number) => number | undefined, soleRange = false): SideActions {
  let refDelta = 0;
  let refEvents = 0;
  let rmapDelta = 0;
  let pinDelta = 0;
  let compound: number | null = null;
  let split = false;
  let freedBy: string | null = null;
  let freed = 0;
  let sharedEntry = false;
  let initRefcount: number | null = null;
  // the lists made on their first item (most stay empty: one shared frozen list then)
  let rmapLevels: string[] | undefined;
  let wakes: string[] | undefined;
  let released: number[] | undefined;
  let waits: { fn: string; until: number; interruptible: boolean; waiter: number }[] | undefined;
  let mappings: (string | null)[] | undefined;
  let shares: number[] | undefined;
  let entries: { level: string; refcounted: boolean }[] | undefined;
  const placed = op.in(lo, hi);
  for (const e of op.ends()) {
    if (e.type !== 'wait_end') continue;
    const p = waiterPfn(e.waiter);
    if (e.how === 'woken' && p !== undefined && p >= lo && p < hi) (released ??= []).push(e.waiter);
  }
  for (const idx of placed) {
    const e = op.events[idx]!;
    switch (e.type) {
      case 'set':
        refEvents++;
        break;
      case 'mod': case 'mod_and_test': case 'mod_and_return': case 'freeze': case 'unfreeze':
        refEvents++;
        refDelta += e.type === 'freeze' ? -e.val : e.val;
        break;
      case 'mod_unless':
        refEvents++;
        if (e.ret !== 0) refDelta += e.val;
        break;
      case 'add_rmap':
        rmapDelta += e.level === 'pte' ? e.nr : 1;
        if (!(rmapLevels ??= []).includes(e.level)) rmapLevels.push(e.level);
        break;
      case 'remove_rmap':
        rmapDelta -= e.level === 'pte' ? e.nr : 1;
        if (!(rmapLevels ??= []).includes(e.level)) rmapLevels.push(e.level);
        break;
      case 'pin_count':
        pinDelta += e.val;
        break;
      case 'prep_compound':
        compound = e.order;
        break;
      case 'split':
        split = true;
        break;
      case 'free':
        freedBy = e.fn;
        freed++;
        break;
      case 'wake':
        (wakes ??= []).push(e.fn);
        break;
      case 'wait':
        (waits ??= []).push({ fn: e.fn, until: e.until, interruptible: e.interruptible, waiter: e.waiter });
        break;
      case 'set_mapping':
        (mappings ??= []).push(e.mapping);
        break;
      case 'share':
        (shares ??= []).push(e.share);
        break;
      case 'xa_store':
        if (e.shared) sharedEntry = true;
        break;
      case 'memmap_init':
        initRefcount = e.refcount;
        break;
      case 'pt_set':
        (entries ??= []).push({ level: e.level, refcounted: e.refcounted });
        break;
      default:
        break;
    }
  }
  return {
    paths: op.pathsOf(placed), refDelta, refEvents, rmapDelta, rmapLevels: rmapLevels ?? NONE, pinDelta, compound, split, freedBy, freed,
    wakes: wakes ?? NONE, released: released ?? NONE, waits: waits ?? NONE, mappings: mappings ?? NONE, shares: shares ?? NONE,
    sharedEntry, entries: entries ?? NONE, cleared: op.cleared(lo, hi, soleRange), initRefcount,
  };
}
