/**
 * Reference holders (sim-only): who holds each `_refcount` reference of a page, by
 * origin. The kernel keeps no such record (ref_tracker and page_owner need kernel
 * instrumentation); this is derived from the Ops and the RefEvents a model emitted
 * for them, after each Op, outside the fold's hot path.
 *
 * Rules (README "Reference holders"):
 * * A reference lives on the page whose `_refcount` it is counted in (the folio head).
 * * A page never written holds what memmap_init_zone_device() left: the pgmap type's
 *   idle/pool reference (legacy FS DAX idles at 1, unified at 0; spec §3.1).
 * * `pt_set` with `refcounted` (a unified map, folio_get() in the map path) is one
 *   mapping reference (mm, address, level); `pt_clear` of the same entry retires it.
 *   A `pt_set` that rewrites a held entry with the same pfn (the mkwrite upgrade of
 *   insert_page_into_pte_locked(), a write-protect) keeps it: since = the first fault.
 * * The rest of an Op's net change on a page is the Op's: gup.get → a GUP get,
 *   gup.pin → a pin (`×1024` GUP_PIN_COUNTING_BIAS on order 0, one ref + `_pincount`
 *   on a large folio), dio.grab → the in-flight O_DIRECT bio's reference; any other
 *   Op's residual gain is a transient reference held past the Op.
 * * A drop retires, on that page, the OLDEST holder of the kind the dropping Op
 *   releases (put → GUP get, unpin → pin, dio.release → bio; the kernel does not say
 *   which get a put matches, so this is a choice). It is `inferred` when more than one
 *   holder of that kind was a candidate, or when no holder of that kind existed and
 *   another kind was retired instead (transient, unattributed, then any).
 * * What no rule explains (a recorded `set`, a resync) is `unattributed` and inferred,
 *   so the holders always sum to the page's `_refcount`.
 * Pure: no node:*, no clock.
 */
import type { Op } from '../events/op.ts';
import type { RefEvent } from '../events/ref-event.ts';
import { findRange } from '../state/sim-state.ts';
import { initialRefcount, type MemmapRange } from '../state/page.ts';
import { compoundHead, type PageSource } from '../state/accessors.ts';
import { GUP_PIN_COUNTING_BIAS } from '../kernel/constants.ts';
import type { OpLines } from '../lift/types.ts';

/** Where a reference came from. */
export type HolderKind = 'idle' | 'map' | 'gup' | 'pin' | 'bio' | 'transient' | 'unattributed';

/** One held reference (or `refs` references taken together by one origin). */
export interface Holder {
  readonly id: number;
  /** The page whose `_refcount` counts it (the folio head). */
  readonly pfn: number;
  readonly kind: HolderKind;
  /** References in `_refcount` (1024 for a pin of an order-0 page). */
  refs: number;
  /** Pins in `_pincount` (or counted by the bias). */
  pins: number;
  /** seq of the Op that took it (0: memmap_init's idle reference before any Op). */
  readonly since: number;
  /**
   * Trace line that took it: the grab of this page where the trace names one (each page
   * of a GUP call has its own try_grab_*()), else the Op's line.
   */
  readonly line?: number;
  /** Instead of `line`: the Op's first and last trace line, for a page of a multi-page Op whose own grab the trace does not name. */
  readonly lines?: readonly [number, number];
  /** The Op type that took it. */
  readonly origin: string;
  readonly mm?: string;
  readonly addr?: number;
  readonly level?: string;
  readonly fast?: boolean;
  readonly longterm?: boolean;
  readonly pgmap?: string;
  /** The attribution is a guess (see the rules above). */
  inferred: boolean;
  /** seq of the Op that retired it (absent while held). */
  until?: number;
  /** The Op type that retired it. */
  endedBy?: string;
}

/** A change of the holder set, for streaming consumers (export). */
export interface HolderChange {
  readonly what: 'begin' | 'end';
  readonly holder: Holder;
  /** The Op seq at which it happened. */
  readonly at: number;
}

/** A layout breaker waiting on a page (who it waits on is the page's holders). */
export interface Waiter {
  readonly pfn: number;
  readonly op: number;
  readonly fn: string;
  readonly kind: string;
  readonly line?: number;
}

/** Kinds retired by each dropping Op type, in preference order. */
const RELEASES: Readonly<Record<string, readonly HolderKind[]>> = {
  put: ['gup', 'bio'],
  unpin: ['pin', 'bio'],
  'dio.release': ['bio'],
};
/** After the Op's own kinds: what a drop retires when none of those is held. */
const FALLBACK: readonly HolderKind[] = ['transient', 'unattributed', 'gup', 'bio', 'pin', 'map', 'idle'];

const PAGE_REF = new Set(['set', 'mod', 'mod_and_test', 'mod_and_return', 'mod_unless', 'freeze', 'unfreeze']);

/** The holder view of one model run. */
export class HoldersTracker {
  private readonly byPfn = new Map<number, Holder[]>();
  /** Mapping holders by `mm|addr|level`. */
  private readonly maps = new Map<string, Holder>();
  /** The pfn each mapping's entry points at, by the same key. */
  private readonly mapPfn = new Map<string, number>();
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;
  /** Every retired holder, in order (only with keepEnded). */
  readonly ended: Holder[] = [];
  private readonly keepEnded: boolean;
  private readonly onChange: ((c: HolderChange) => void) | undefined;
  private readonly opLines: ReadonlyMap<number, OpLines> | undefined;

  /** `opLines`: where each lifted Op's records lie (Op seq → lines), to cite each page's own grab. */
  constructor(opts: { keepEnded?: boolean; onChange?: (c: HolderChange) => void; opLines?: ReadonlyMap<number, OpLines> } = {}) {
    this.keepEnded = opts.keepEnded ?? false;
    this.onChange = opts.onChange;
    this.opLines = opts.opLines;
  }

  /**
   * The line(s) to cite for the reference op took on the folio headed by head: its own
   * grab's line when the trace names one, else the Op's range when the Op took several
   * pages (one line would be another page's), else the Op's line.
   */
  private citation(op: Op, head: number, src: PageSource): { line?: number; lines?: readonly [number, number] } {
    const l = this.opLines?.get(op.seq);
    if (l !== undefined) {
      const own = l.pages.find((p) => compoundHead(src, p.pfn) === head);
      if (own !== undefined) return { line: own.line };
      const nr = (op as Partial<{ nr: number }>).nr ?? 1;
      if (l.first !== l.last && (l.pages.length > 0 || nr > 1)) return { lines: [l.first, l.last] };
    }
    return lineOf(op);
  }

  /** The holders of page pfn now (its head's for a folio), oldest first. */
  holdersOf(pfn: number): readonly Holder[] {
    return this.byPfn.get(pfn) ?? [];
  }

  /** Every page with holders, by pfn. */
  pages(): number[] {
    return [...this.byPfn.keys()].sort((a, b) => a - b);
  }

  /** The layout breaker waiting on pfn, if any. */
  waiterOn(pfn: number): Waiter | undefined {
    return this.waiting.get(pfn);
  }

  /**
   * Folds one Op's effect. `src` reads the state after the Op; `ranges` are its
   * memmap ranges. `events` are the RefEvents the model emitted for the Op.
   */
  observe(op: Op, events: readonly RefEvent[], src: PageSource & { readonly ranges: readonly MemmapRange[]; refcountOf(pfn: number): number | undefined }): void {
    const at = op.seq;
    const touched = new Set<number>();
    const pinDelta = new Map<number, number>();
    for (const e of events) {
      if (PAGE_REF.has(e.type)) touched.add((e as { pfn: number }).pfn);
      else if (e.type === 'memmap_init') this.resetRange(e.pfn, e.nr, at, op.type);
      else if (e.type === 'pt_set' && e.refcounted) {
        const head = compoundHead(src, e.pfn);
        this.ensure(head, src);
        const key = `${e.mm}|${e.addr}|${e.level}`;
        const old = this.maps.get(key);
        if (old && old.until === undefined && this.mapPfn.get(key) === e.pfn) {
          // the same entry rewritten in place (insert_page_into_pte_locked()'s mkwrite
          // upgrade, fork's or mprotect's write-protect): no reference is taken, the
          // mapping keeps the one its first fault took
          touched.add(head);
          continue;
        }
        if (old) this.retire(old, old.refs, at, op.type);
        this.mapPfn.set(key, e.pfn);
        const h = this.add({ pfn: head, kind: 'map', refs: 1, pins: 0, since: at, origin: op.type, mm: e.mm, addr: e.addr, level: e.level, inferred: false, ...lineOf(op) });
        this.maps.set(key, h);
        touched.add(head);
      } else if (e.type === 'pt_clear') {
        const key = `${e.mm}|${e.addr}|${e.level}`;
        const h = this.maps.get(key);
        this.mapPfn.delete(key);
        if (h) {
          this.maps.delete(key);
          if (h.until === undefined) this.retire(h, h.refs, at, op.type);
          touched.add(h.pfn);
        }
      } else if (e.type === 'pin_count') pinDelta.set(e.pfn, (pinDelta.get(e.pfn) ?? 0) + e.val);
      else if (e.type === 'wait') this.waiting.set(e.pfn, { pfn: e.pfn, op: e.waiter, fn: e.fn, kind: e.kind, ...lineOf(op) });
      else if (e.type === 'wait_end') for (const [p, w] of this.waiting) if (w.op === e.waiter) this.waiting.delete(p);
    }
    for (const pfn of pinDelta.keys()) touched.add(pfn);
    for (const pfn of touched) this.reconcile(pfn, op, src, pinDelta.get(pfn) ?? 0);
    // pages that ceased to exist (memunmap_pages) hold nothing
    for (const pfn of [...this.byPfn.keys()]) if (!findRange(src.ranges, pfn)) this.drop(pfn, at, op.type);
  }

  /** Folds a recorded RefEvent (a page_ref trace: no Op to attribute to). */
  observeRef(e: RefEvent, src: PageSource & { readonly ranges: readonly MemmapRange[]; refcountOf(pfn: number): number | undefined }): void {
    if (e.type === 'memmap_init') this.resetRange(e.pfn, e.nr, e.seq, 'memmap_init');
    if (!PAGE_REF.has(e.type)) return;
    const pseudo = { type: e.type, seq: e.seq } as unknown as Op;
    this.reconcile((e as { pfn: number }).pfn, pseudo, src, 0);
  }

  /** Holders still held that a clean run would have released: GUP gets, pins, bios, transients. */
  leaks(): Holder[] {
    const out: Holder[] = [];
    for (const pfn of this.pages()) for (const h of this.holdersOf(pfn)) if (h.kind !== 'map' && h.kind !== 'idle') out.push(h);
    return out;
  }

  /** The holders of pfn, its pgmap's idle reference included when no Op touched it yet. */
  current(pfn: number, src: { readonly ranges: readonly MemmapRange[] }): readonly Holder[] {
    return this.ensure(pfn, src);
  }

  private ensure(pfn: number, src: { readonly ranges: readonly MemmapRange[] }): Holder[] {
    let list = this.byPfn.get(pfn);
    if (list) return list;
    list = [];
    this.byPfn.set(pfn, list);
    const range = findRange(src.ranges, pfn);
    const idle = range ? initialRefcount(range, pfn) : 0;
    if (range && idle > 0) {
      const h: Holder = { id: this.nextId++, pfn, kind: 'idle', refs: idle, pins: 0, since: 0, origin: `memmap_init (${range.pgmapType})`, pgmap: range.pgmap, inferred: false };
      list.push(h);
      this.onChange?.({ what: 'begin', holder: h, at: 0 });
    }
    return list;
  }

  private add(init: Omit<Holder, 'id'>): Holder {
    const h: Holder = { id: this.nextId++, ...init };
    const list = this.byPfn.get(h.pfn) ?? [];
    this.byPfn.set(h.pfn, list);
    list.push(h);
    this.onChange?.({ what: 'begin', holder: h, at: h.since });
    return h;
  }

  /** Retires n of h's references (all of them ends h). */
  private retire(h: Holder, n: number, at: number, by: string): void {
    if (n < h.refs) {
      // a pin is 1024 refs on order 0 (GUP_PIN_COUNTING_BIAS), 1 ref + 1 _pincount on a large folio
      if (h.pins > 0) h.pins -= Math.min(h.pins, Math.round(n / (h.refs / h.pins)));
      h.refs -= n;
      return;
    }
    h.until = at;
    h.endedBy = by;
    const list = this.byPfn.get(h.pfn);
    if (list) {
      const i = list.indexOf(h);
      if (i >= 0) list.splice(i, 1);
    }
    if (h.kind === 'map') {
      for (const [k, m] of this.maps) {
        if (m !== h) continue;
        this.maps.delete(k);
        this.mapPfn.delete(k);
      }
    }
    if (this.keepEnded) this.ended.push(h);
    this.onChange?.({ what: 'end', holder: h, at });
  }

  private drop(pfn: number, at: number, by: string): void {
    for (const h of [...(this.byPfn.get(pfn) ?? [])]) this.retire(h, h.refs, at, by);
    this.byPfn.delete(pfn);
  }

  private resetRange(pfn: number, nr: number, at: number, by: string): void {
    for (const p of [...this.byPfn.keys()]) if (p >= pfn && p < pfn + nr) this.drop(p, at, by);
  }

  /** Makes the holders of pfn sum to its `_refcount`, attributing the difference to the Op. */
  private reconcile(pfn: number, op: Op, src: PageSource & { readonly ranges: readonly MemmapRange[]; refcountOf(pfn: number): number | undefined }, pins: number): void {
    const list = this.ensure(pfn, src);
    const now = src.refcountOf(pfn) ?? 0;
    const held = list.reduce((s, h) => s + h.refs, 0);
    let diff = now - held;
    const at = op.seq;
    if (diff > 0) {
      const kind = gainKind(op.type);
      const pinned = kind === 'pin' || (kind === 'bio' && (pins > 0 || diff >= GUP_PIN_COUNTING_BIAS));
      const nPins = pins > 0 ? pins : pinned ? Math.max(1, Math.floor(diff / GUP_PIN_COUNTING_BIAS)) : 0;
      const o = op as Partial<{ mm: string; fast: boolean; longterm: boolean }>;
      this.add({
        pfn, kind, refs: diff, pins: nPins, since: at, origin: op.type, inferred: kind === 'transient' || kind === 'unattributed', ...this.citation(op, pfn, src),
        ...(o.mm !== undefined ? { mm: o.mm } : {}), ...(o.fast !== undefined ? { fast: o.fast } : {}), ...(o.longterm !== undefined ? { longterm: o.longterm } : {}),
      });
      return;
    }
    if (diff === 0) return;
    diff = -diff;
    const own = RELEASES[op.type] ?? [];
    for (const kinds of [own, FALLBACK]) {
      for (const kind of kinds) {
        // a put releases an unpinned (FOLL_GET) bio reference, an unpin a pinned one
        const cands = list.filter((h) => h.kind === kind && (kind !== 'bio' || kinds !== own || op.type === 'dio.release' || (op.type === 'put') === (h.pins === 0)));
        const ambiguous = cands.length > 1 || kinds === FALLBACK;
        for (const h of cands) {
          if (diff <= 0) return;
          const n = Math.min(diff, h.refs);
          if (ambiguous) h.inferred = true;
          this.retire(h, n, at, op.type);
          diff -= n;
        }
      }
    }
    if (diff > 0) {
      // more dropped than held: an underflow the fold reports; nothing left to retire
      return;
    }
  }
}

function lineOf(op: Op): { line?: number } {
  return op.line !== undefined ? { line: op.line } : {};
}

/** The kind of reference an Op's net gain on a page is. */
function gainKind(type: string): HolderKind {
  switch (type) {
    case 'gup.get': return 'gup';
    case 'gup.pin': return 'pin';
    case 'dio.grab': return 'bio';
    default: return PAGE_REF.has(type) ? 'unattributed' : 'transient';
  }
}

/** One holder as a line: kind, count, origin, where it came from. */
export function describeHolder(h: Holder): string {
  const parts: string[] = [];
  const count = h.kind === 'pin' || h.pins > 0 ? `refs ${h.refs} pins ${h.pins}` : `refs ${h.refs}`;
  parts.push(h.kind.padEnd(12), count.padEnd(18));
  if (h.kind === 'idle') parts.push(`${h.origin} of ${h.pgmap ?? '?'}`);
  else {
    parts.push(h.since === 0 ? h.origin : `${h.origin} #${h.since}`);
    if (h.line !== undefined) parts.push(`line ${h.line}`);
    else if (h.lines !== undefined) parts.push(`lines ${h.lines[0]}-${h.lines[1]}`);
    if (h.mm !== undefined) parts.push(h.kind === 'map' ? `mm ${h.mm}` : `task ${h.mm}`);
    if (h.addr !== undefined) parts.push(`addr 0x${h.addr.toString(16)} ${h.level ?? ''}`.trimEnd());
    if (h.fast !== undefined) parts.push(h.fast ? 'fast' : 'slow');
    if (h.longterm) parts.push('longterm');
  }
  if (h.inferred) parts.push('(inferred)');
  return parts.join(' ').replace(/ +/g, ' ');
}

/** Holder as JSON (README's `holders` array). */
export function holderJson(h: Holder): Record<string, unknown> {
  return {
    kind: h.kind, refs: h.refs, pins: h.pins, since: h.since, origin: h.origin,
    ...(h.line !== undefined ? { line: h.line } : {}), ...(h.lines !== undefined ? { lines: [...h.lines] } : {}), ...(h.mm !== undefined ? { mm: h.mm } : {}),
    ...(h.addr !== undefined ? { addr: `0x${h.addr.toString(16)}`, level: h.level } : {}),
    ...(h.fast !== undefined ? { fast: h.fast } : {}), ...(h.longterm !== undefined ? { longterm: h.longterm } : {}),
    ...(h.pgmap !== undefined ? { pgmap: h.pgmap } : {}), inferred: h.inferred,
  };
}
