/**
 * The pure comparison of two models' states after one Op (diffRuns' core): which
 * pfn ranges the Op touched in either model, each compared over the larger folio's
 * range, and every divergence classified and explained.
 */
import type { Op } from '../events/op.ts';
import type { RefEvent } from '../events/ref-event.ts';
import type { Finding } from '../state/finding.ts';
import type { SimState } from '../state/sim-state.ts';
import type { RefcountModel } from '../models/model.ts';
import { DIVERGENCE_CLASSES, type Divergence, type DivergenceClass, type FieldValue } from './divergence.ts';
import { folioSpan, viewRange, type RangeView } from './folio-view.ts';
import { explain, type Side } from './explain.ts';

/** One model's result for one Op. */
export interface OpResult {
  readonly model: RefcountModel;
  readonly state: SimState;
  readonly events: readonly RefEvent[];
  readonly findings: readonly Finding[];
}

/** pfns an event touches (a memmap_init stands for its first page only: ranges are lazy). */
function touched(e: RefEvent): number[] {
  switch (e.type) {
    case 'add_rmap':
    case 'remove_rmap':
      return [e.pfn, e.page];
    case 'memmap_init':
    case 'set': case 'mod': case 'mod_and_test': case 'mod_and_return': case 'mod_unless': case 'freeze': case 'unfreeze':
    case 'prep_compound': case 'split': case 'set_mapping': case 'share': case 'pin_count': case 'wake': case 'free': case 'pt_set': case 'wait':
      return e.pfn >= 0 ? [e.pfn] : [];
    default:
      return [];
  }
}

/** The compared ranges of an Op: each touched pfn widened to the larger of its two folios, merged. */
export function comparedRanges(a: OpResult, b: OpResult): [number, number][] {
  const pfns = new Set<number>();
  for (const e of [...a.events, ...b.events]) for (const p of touched(e)) pfns.add(p);
  for (const f of [...a.findings, ...b.findings]) if (f.pfn >= 0) pfns.add(f.pfn);
  const spans: [number, number][] = [];
  for (const p of [...pfns].sort((x, y) => x - y)) {
    const [la, ha] = folioSpan(a.state, p);
    const [lb, hb] = folioSpan(b.state, p);
    spans.push([Math.min(la, lb), Math.max(ha, hb)]);
  }
  spans.sort((x, y) => x[0] - y[0] || y[1] - x[1]);
  const merged: [number, number][] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s[0] < last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([s[0], s[1]]);
  }
  return merged;
}

/** A divergence before it is merged with its neighbours and explained. */
interface Raw {
  lo: number;
  hi: number;
  readonly cls: DivergenceClass;
  readonly field: string;
  readonly a: FieldValue;
  readonly b: FieldValue;
  readonly reencoding: boolean;
}

type Add = (cls: DivergenceClass, field: string, a: FieldValue, b: FieldValue, reencoding: boolean) => void;

/**
 * Every divergence after `op` between two models' results. Adjacent ranges that
 * diverge the same way (512 order-0 pages after a split, say) merge into one.
 */
export function compareOp(op: Op, a: OpResult, b: OpResult): Divergence[] {
  const raws: Raw[] = [];
  for (const [lo, hi] of comparedRanges(a, b)) {
    const va = viewRange(a.model, a.state, lo, hi);
    const vb = viewRange(b.model, b.state, lo, hi);
    const add: Add = (cls, field, x, y, reencoding) => void raws.push({ lo, hi, cls, field, a: x, b: y, reencoding });
    compareRange(a, b, va, vb, lo, hi, add);
  }
  const merged: Raw[] = [];
  for (const r of raws.sort((x, y) => order(x) - order(y) || x.lo - y.lo)) {
    const last = merged[merged.length - 1];
    if (last && last.cls === r.cls && last.field === r.field && last.hi === r.lo && JSON.stringify([last.a, last.b]) === JSON.stringify([r.a, r.b])) last.hi = r.hi;
    else merged.push({ ...r });
  }
  return merged
    .sort((x, y) => x.lo - y.lo || order(x) - order(y))
    .map((r) => {
      const sides: [Side, Side] = [{ ...a, view: viewRange(a.model, a.state, r.lo, r.hi) }, { ...b, view: viewRange(b.model, b.state, r.lo, r.hi) }];
      return {
        seq: op.seq, op: op.type, ...(op.line !== undefined ? { line: op.line } : {}),
        pfn: r.lo, pfns: [r.lo, r.hi - 1] as const, class: r.cls, field: r.field, a: r.a, b: r.b, reencoding: r.reencoding,
        explanation: explain(r.cls, r.field, op, r.lo, r.hi, sides),
      };
    });
}

function order(r: Raw): number {
  return DIVERGENCE_CLASSES.indexOf(r.cls);
}

function compareRange(a: OpResult, b: OpResult, va: RangeView, vb: RangeView, lo: number, hi: number, add: Add): void {
  if (va.order !== vb.order) add('folio-shape', 'order', va.order, vb.order, true);
  const mapDiff = vb.mapcount - va.mapcount;
  if (mapDiff !== 0) add('map-reference', 'mapcount', va.mapcount, vb.mapcount, false);
  if (va.busy !== vb.busy) add('busy', 'busy', va.busy, vb.busy, false);
  const wa = waiting(a.state, lo, hi);
  const wb = waiting(b.state, lo, hi);
  if (wa !== wb) add('busy', 'waiting', wa, wb, false);
  const wakeA = woke(a.events, lo, hi);
  const wakeB = woke(b.events, lo, hi);
  if (wakeA !== wakeB) add('wake', 'wake', wakeA, wakeB, false);
  refcountDivergence(va, vb, mapDiff, add);
  if (va.mapping !== vb.mapping) add('association', 'mapping', va.mapping, vb.mapping, va.associated === vb.associated);
  const fa = codes(a.findings, lo, hi);
  const fb = codes(b.findings, lo, hi);
  const onlyA = fa.filter((c) => !fb.includes(c));
  const onlyB = fb.filter((c) => !fa.includes(c));
  if (onlyA.length || onlyB.length) add('finding', 'findings', onlyA, onlyB, false);
}

/**
 * References: the same history shifted by the idle difference is `baseline`; a
 * difference the mapcounts account for is part of `map-reference`; with different
 * folio shapes it is part of `folio-shape` (pins on a large folio are +1 and
 * _pincount, on order-0 pages +1024 each); anything else is `refcount`.
 */
function refcountDivergence(va: RangeView, vb: RangeView, mapDiff: number, add: Add): void {
  const same = va.refcounts.length === vb.refcounts.length && va.refcounts.every((r, i) => r === vb.refcounts[i]);
  if (same) return;
  const heldDiff = vb.held - va.held;
  const a = uniform(va.refcounts);
  const b = uniform(vb.refcounts);
  if (heldDiff === 0 && va.idle !== vb.idle) return add('baseline', 'refcount', a, b, true);
  if (heldDiff === 0 && va.order !== vb.order) return;
  if (heldDiff === mapDiff && mapDiff !== 0) return;
  if (va.order !== vb.order) return;
  add('refcount', 'refcount', a, b, false);
}

/** One value when every folio holds it, else the list. */
function uniform(values: readonly number[]): FieldValue {
  return values.every((v) => v === values[0]) ? (values[0] ?? 0) : values;
}

function waiting(state: SimState, lo: number, hi: number): boolean {
  return state.world.waiters.some((w) => w.pfn >= lo && w.pfn < hi);
}

function woke(events: readonly RefEvent[], lo: number, hi: number): boolean {
  return events.some((e) => e.type === 'wake' && e.pfn >= lo && e.pfn < hi);
}

function codes(findings: readonly Finding[], lo: number, hi: number): string[] {
  return findings.filter((f) => f.pfn >= lo && f.pfn < hi).map((f) => f.code);
}
