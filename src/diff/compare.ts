/**
 * The pure comparison of two models' states after one Op (diffRuns' core): which
 * pfn ranges the Op touched in either model, each compared over the larger folio's
 * range, and every divergence classified (the explanations are diff-runs.ts').
 */
import type { RefEvent } from '../events/ref-event.ts';
import type { Finding } from '../state/finding.ts';
import type { StateView } from '../state/accessors.ts';
import type { RefcountModel } from '../models/model.ts';
import { DIVERGENCE_CLASSES, type Divergence, type DivergenceClass, type FieldValue } from './divergence.ts';
import { mergedFolioSpans, plainPage, viewRange, type PlainPage, type RangeView } from './folio-view.ts';

/** One model's result for one Op. */
export interface OpResult {
  readonly model: RefcountModel;
  /** The state after the Op (`stateView(state)`, or a Runner's draft view: no commit needed). */
  readonly state: StateView;
  readonly events: readonly RefEvent[];
  readonly findings: readonly Finding[];
  /** Pages of the waiters this Op released (woke), when the waits began in earlier Ops. */
  readonly releasedPfns?: readonly number[];
}

/** The pfn an event touches (a memmap_init stands for its first page only: ranges are lazy), or −1. */
function touchedPfn(e: RefEvent): number {
  switch (e.type) {
    case 'add_rmap':
    case 'remove_rmap':
    case 'memmap_init':
    case 'set': case 'mod': case 'mod_and_test': case 'mod_and_return': case 'mod_unless': case 'freeze': case 'unfreeze':
    case 'prep_compound': case 'split': case 'set_mapping': case 'share': case 'pin_count': case 'wake': case 'free': case 'pt_set': case 'wait':
      return e.pfn >= 0 ? e.pfn : -1;
    default:
      return -1;
  }
}

/** The compared ranges of an Op: each touched pfn widened to the larger of its two folios, merged. */
export function comparedRanges(a: OpResult, b: OpResult): [number, number][] {
  // the touched pfns in a plain array, sorted and read past repeats: cheaper than a Set
  // at some fifty events an Op, and no array per event (an Op of a legacy PMD emits over a thousand)
  // ... kept sorted and without repeats as they come, in one Float64Array kept across Ops:
  // an Op's events name a dozen pfns over and over, mostly in ascending order, so nearly
  // every pfn is the last one or found by a binary search (sorting the whole list, with
  // Array#sort's copy and callbacks or a typed array's sort, cost more)
  nTouched = 0;
  for (let side = 0; side < 2; side++) {
    const r = side === 0 ? a : b;
    const need = nTouched + 2 * r.events.length + r.findings.length + (r.releasedPfns?.length ?? 0);
    if (need > touched.length) {
      const grown = new Float64Array(Math.max(need, 2 * touched.length));
      grown.set(touched.subarray(0, nTouched));
      touched = grown;
    }
    for (const e of r.events) {
      const p = touchedPfn(e);
      if (p >= 0) touch(p);
      if ((e.type === 'add_rmap' || e.type === 'remove_rmap') && e.page >= 0) touch(e.page);
    }
    for (const f of r.findings) if (f.pfn >= 0) touch(f.pfn);
    if (r.releasedPfns !== undefined) for (const p of r.releasedPfns) touch(p);
  }
  return mergedFolioSpans(a.state, b.state, touched, nTouched);
}

/** comparedRanges' touched pfns, sorted, each once (module state, grown as needed: no list per Op). */
let touched = new Float64Array(256);
let nTouched = 0;

/** Adds pfn p to the touched pfns where it is not there yet (room for it is there). */
function touch(p: number): void {
  const n = nTouched;
  if (n === 0 || p > touched[n - 1]!) {
    touched[n] = p;
    nTouched = n + 1;
    return;
  }
  if (p === touched[n - 1]) return;
  // the first entry ≥ p
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (touched[mid]! < p) lo = mid + 1;
    else hi = mid;
  }
  if (touched[lo] === p) return;
  touched.copyWithin(lo + 1, lo, n);
  touched[lo] = p;
  nTouched = n + 1;
}

/** A divergence before it is explained: a compared range, a class/field and both values. */
export interface Raw {
  lo: number;
  hi: number;
  readonly cls: DivergenceClass;
  readonly field: string;
  readonly a: FieldValue;
  readonly b: FieldValue;
  readonly reencoding: boolean;
}

/** Records one divergence of [lo, hi) (a function, not a closure per compared range). */
function add(raws: Raw[], lo: number, hi: number, cls: DivergenceClass, field: string, a: FieldValue, b: FieldValue, reencoding: boolean): void {
  raws.push({ lo, hi, cls, field, a, b, reencoding });
}

/** The identity of a divergence for deduplication: compared range and class/field. */
export function divergenceKey(d: Pick<Divergence, 'pfn' | 'pfns' | 'class' | 'field'>): string {
  return `${d.pfn}:${d.pfns[1]}:${d.class}:${d.field}`;
}

/** Views of compared ranges, one per side and range, shared by the comparison and the explanations. */
/** One pair of views of a range (each side's), as ViewCache hands them out. */
export interface ViewPair {
  readonly a: RangeView;
  readonly b: RangeView;
}

/** One cached pair of views: the range's hi and the next pair with the same lo (the pair and its entry one object). */
interface CachedViews extends ViewPair {
  readonly hi: number;
  readonly next: CachedViews | undefined;
}

export class ViewCache {
  /**
   * By lo, then a short list by hi: no key string per lookup (an Op compares a dozen
   * ranges, a truncate hundreds) and no Map per lo (nearly every lo has one hi).
   */
  private readonly views = new Map<number, CachedViews>();
  private readonly a: OpResult;
  private readonly b: OpResult;
  constructor(a: OpResult, b: OpResult) {
    this.a = a;
    this.b = b;
  }
  get(lo: number, hi: number): ViewPair {
    const first = this.views.get(lo);
    for (let c = first; c !== undefined; c = c.next) if (c.hi === hi) return c;
    const c: CachedViews = { a: viewRange(this.a.model, this.a.state, lo, hi), b: viewRange(this.b.model, this.b.state, lo, hi), hi, next: first };
    this.views.set(lo, c);
    return c;
  }
}

/**
 * Every divergence after one Op between two models' results, over the given compared
 * ranges. Adjacent ranges that diverge the same way (512 order-0 pages after a split,
 * say) merge into one. `onePageInPlace` false: every range through its views (the
 * tests compare the two).
 */
export function compareRaws(a: OpResult, b: OpResult, ranges: readonly (readonly [number, number])[], views: ViewCache, onePageInPlace = true): Raw[] {
  const raws: Raw[] = [];
  // what each side's events and findings say about a range, indexed once per Op (an Op can
  // compare hundreds of one-page ranges, and scanning every event per range was quadratic)
  const ia = opIndex(a);
  const ib = opIndex(b);
  for (const [lo, hi] of ranges) {
    if (onePageInPlace && hi - lo === 1 && onePage(a, b, ia, ib, lo, raws)) continue;
    const v = views.get(lo, hi);
    compareRange(ia, ib, v.a, v.b, lo, hi, raws);
  }
  if (raws.length === 0) return [];
  if (raws.length === 1) return raws;
  const merged: Raw[] = [];
  for (const r of raws.sort((x, y) => order(x) - order(y) || x.lo - y.lo)) {
    const last = merged[merged.length - 1];
    if (last && last.cls === r.cls && last.field === r.field && last.hi === r.lo && sameValue(last.a, r.a) && sameValue(last.b, r.b)) last.hi = r.hi;
    // r itself, not a copy: the raws are this call's own, and a merged-away one is dropped
    else merged.push(r);
  }
  return merged.sort((x, y) => x.lo - y.lo || order(x) - order(y));
}

/**
 * The state divergences of one range (every class but the per-Op `wake` and `finding`),
 * for re-reading an open episode's range after a later Op.
 */
export function stateRaws(va: RangeView, vb: RangeView, waitersA: readonly number[], waitersB: readonly number[], lo: number, hi: number): Raw[] {
  const raws: Raw[] = [];
  const none: OpIndex = { wakes: [], waiters: waitersA, findings: [] };
  const noneB: OpIndex = { wakes: [], waiters: waitersB, findings: [] };
  compareRange(none, noneB, va, vb, lo, hi, raws);
  return raws;
}

/** The sorted pfns of a state's waiters. */
export function waiterPfns(state: StateView): readonly number[] {
  // most states have no waiters: the shared empty list then (callers only read it)
  const ws = state.world.waiters;
  return ws.length === 0 ? NO_PFNS : ws.map((w) => w.pfn).sort((x, y) => x - y);
}

const NO_PFNS: readonly number[] = [];
const NO_FINDINGS: readonly (readonly [number, string, number])[] = [];

function order(r: Raw): number {
  return DIVERGENCE_CLASSES.indexOf(r.cls);
}

/** Equality of two field values (numbers, strings, booleans, null, or flat lists of them). */
function sameValue(x: FieldValue, y: FieldValue): boolean {
  if (x === y) return true;
  if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
  return x.every((v, i) => v === y[i]);
}

/** One side's wake-ups, waiters and findings by pfn, sorted for range queries. */
interface OpIndex {
  readonly wakes: readonly number[];
  readonly waiters: readonly number[];
  /** [pfn, code, position in the Op's findings], by pfn. */
  readonly findings: readonly (readonly [number, string, number])[];
}

function opIndex(r: OpResult): OpIndex {
  // "woke" means a waiter was released: a wake_up_var() on an empty queue wakes no one
  // (the shared empty lists where an Op released none and found nothing, as nearly every Op)
  const rel = r.releasedPfns;
  const wakes = rel === undefined || rel.length === 0 ? NO_PFNS : [...rel].sort((x, y) => x - y);
  const findings = r.findings.length === 0 ? NO_FINDINGS : r.findings.map((f, i) => [f.pfn, f.code, i] as const).sort((x, y) => x[0] - y[0] || x[2] - y[2]);
  return { wakes, waiters: waiterPfns(r.state), findings };
}

/** Index of the first element ≥ lo in a sorted list (by `key`). */
function lowerBound<T>(list: readonly T[], lo: number, key: (t: T) => number): number {
  let a = 0;
  let b = list.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (key(list[mid]!) < lo) a = mid + 1;
    else b = mid;
  }
  return a;
}

function anyIn(sorted: readonly number[], lo: number, hi: number): boolean {
  if (sorted.length === 0) return false;
  // a plain binary search: a key closure per call was an allocation per compared range and side
  let a = 0;
  let b = sorted.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (sorted[mid]! < lo) a = mid + 1;
    else b = mid;
  }
  return a < sorted.length && sorted[a]! < hi;
}

function compareRange(a: OpIndex, b: OpIndex, va: RangeView, vb: RangeView, lo: number, hi: number, raws: Raw[]): void {
  if (va.order !== vb.order) add(raws, lo, hi, 'folio-shape', 'order', va.order, vb.order, true);
  const mapDiff = vb.mapcount - va.mapcount;
  if (mapDiff !== 0) add(raws, lo, hi, 'map-reference', 'mapcount', va.mapcount, vb.mapcount, false);
  if (va.busy !== vb.busy) add(raws, lo, hi, 'busy', 'busy', va.busy, vb.busy, false);
  const wa = anyIn(a.waiters, lo, hi);
  const wb = anyIn(b.waiters, lo, hi);
  if (wa !== wb) add(raws, lo, hi, 'busy', 'waiting', wa, wb, false);
  const wakeA = anyIn(a.wakes, lo, hi);
  const wakeB = anyIn(b.wakes, lo, hi);
  if (wakeA !== wakeB) add(raws, lo, hi, 'wake', 'wake', wakeA, wakeB, false);
  refcountDivergence(va, vb, mapDiff, raws, lo, hi);
  if (va.mapping !== vb.mapping) add(raws, lo, hi, 'association', 'mapping', va.mapping, vb.mapping, va.associated === vb.associated);
  findingDivergence(a, b, lo, hi, raws);
}

/** The findings on [lo, hi) one side raised and the other did not. */
function findingDivergence(a: OpIndex, b: OpIndex, lo: number, hi: number, raws: Raw[]): void {
  const fa = codes(a, lo, hi);
  const fb = codes(b, lo, hi);
  if (fa.length === 0 && fb.length === 0) return;
  const onlyA = fa.filter((c) => !fb.includes(c));
  const onlyB = fb.filter((c) => !fa.includes(c));
  if (onlyA.length || onlyB.length) add(raws, lo, hi, 'finding', 'findings', onlyA, onlyB, false);
}

/** onePage's reads of each side (module state: no object per range). */
const pa: PlainPage = { refcount: 0, idle: 0, mapcount: 0, busy: false, mapping: null };
const pb: PlainPage = { refcount: 0, idle: 0, mapcount: 0, busy: false, mapping: null };

/**
 * compareRange of a one-page range whose page is a written order-0 page in both states
 * (plainPage), read in place instead of through two views: the same divergences, in the
 * same order. False, having added nothing, where either page is another kind or the
 * association words differ (whether each side's block is associated then needs the
 * view's index): compareRange then.
 */
function onePage(a: OpResult, b: OpResult, ia: OpIndex, ib: OpIndex, p: number, raws: Raw[]): boolean {
  if (!plainPage(a.model, a.state, p, pa) || !plainPage(b.model, b.state, p, pb) || pa.mapping !== pb.mapping) return false;
  const hi = p + 1;
  // both folios order 0: no folio-shape divergence
  const mapDiff = pb.mapcount - pa.mapcount;
  if (mapDiff !== 0) add(raws, p, hi, 'map-reference', 'mapcount', pa.mapcount, pb.mapcount, false);
  if (pa.busy !== pb.busy) add(raws, p, hi, 'busy', 'busy', pa.busy, pb.busy, false);
  const wa = anyIn(ia.waiters, p, hi);
  const wb = anyIn(ib.waiters, p, hi);
  if (wa !== wb) add(raws, p, hi, 'busy', 'waiting', wa, wb, false);
  const wakeA = anyIn(ia.wakes, p, hi);
  const wakeB = anyIn(ib.wakes, p, hi);
  if (wakeA !== wakeB) add(raws, p, hi, 'wake', 'wake', wakeA, wakeB, false);
  // refcountDivergence with one refcount a side and equal orders
  if (pa.refcount !== pb.refcount) {
    const heldDiff = pb.refcount - pb.idle - (pa.refcount - pa.idle);
    if (heldDiff === 0 && pa.idle !== pb.idle) add(raws, p, hi, 'baseline', 'refcount', pa.refcount, pb.refcount, true);
    else if (!(heldDiff === mapDiff && mapDiff !== 0)) add(raws, p, hi, 'refcount', 'refcount', pa.refcount, pb.refcount, false);
  }
  // equal association words: no association divergence
  findingDivergence(ia, ib, p, hi, raws);
  return true;
}

/**
 * References: the same history shifted by the idle difference is `baseline`; a
 * difference the mapcounts account for is part of `map-reference`; with different
 * folio shapes it is part of `folio-shape` (pins on a large folio are +1 and
 * _pincount, on order-0 pages +1024 each); anything else is `refcount`.
 */
function refcountDivergence(va: RangeView, vb: RangeView, mapDiff: number, raws: Raw[], lo: number, hi: number): void {
  if (sameRefcounts(va, vb)) return;
  const heldDiff = vb.held - va.held;
  const a = uniformOf(va);
  const b = uniformOf(vb);
  if (heldDiff === 0 && va.idle !== vb.idle) return add(raws, lo, hi, 'baseline', 'refcount', a, b, true);
  if (heldDiff === 0 && va.order !== vb.order) return;
  if (heldDiff === mapDiff && mapDiff !== 0) return;
  if (va.order !== vb.order) return;
  add(raws, lo, hi, 'refcount', 'refcount', a, b, false);
}

/** The two views' refcount lists are equal (no list built where each holds at most one). */
function sameRefcounts(va: RangeView, vb: RangeView): boolean {
  if (va.nRefcounts !== vb.nRefcounts) return false;
  if (va.nRefcounts <= 1) return va.nRefcounts === 0 || va.refcount0 === vb.refcount0;
  const x = va.refcounts;
  const y = vb.refcounts;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** {@link uniform} of a view's refcounts (no list built where it holds at most one). */
function uniformOf(v: RangeView): FieldValue {
  return v.nRefcounts <= 1 ? v.refcount0 : uniform(v.refcounts);
}

/** One value when every folio holds it, else the list. */
function uniform(values: readonly number[]): FieldValue {
  // a loop, not every(): a closure per call
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return values;
  return values[0] ?? 0;
}

const NONE: readonly string[] = [];

function findingPfn(f: readonly [number, string, number]): number {
  return f[0];
}

/** The codes of a side's findings on [lo, hi), in finding order. */
function codes(index: OpIndex, lo: number, hi: number): readonly string[] {
  if (index.findings.length === 0) return NONE;
  const out: (readonly [number, string, number])[] = [];
  for (let i = lowerBound(index.findings, lo, findingPfn); i < index.findings.length && index.findings[i]![0] < hi; i++) out.push(index.findings[i]!);
  return out.sort((x, y) => x[2] - y[2]).map((f) => f[1]);
}
