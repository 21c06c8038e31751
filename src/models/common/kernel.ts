/**
 * Kernel primitives both models call: the page_ref helpers of include/linux/page_ref.h
 * and mm.h, each emitting the RefEvent its tracepoint would record, plus enter/exit
 * markers. A rule reads like the kernel function it follows.
 */
import type { ModelCtx } from '../model.ts';
import type { MemmapRange, PageState } from '../../state/page.ts';
import { findRange } from '../../state/sim-state.ts';
import { compoundHead, folioOrder } from '../../state/accessors.ts';
import type { PgmapType } from '../../events/op.ts';

/** Runs `body` between enter/exit markers of kernel function `fn`. */
export function call<T>(ctx: ModelCtx, fn: string, pfn: number | undefined, body: () => T, ret?: (t: T) => number | undefined): T {
  ctx.emit(pfn === undefined ? { type: 'enter', fn } : { type: 'enter', fn, pfn });
  const out = body();
  const r = ret?.(out);
  // one literal per case, keys in the same order as the spread form it replaces
  // (type, fn, pfn, ret): conditional spreads cost a clone each, and every kernel call emits one exit
  if (pfn === undefined) ctx.emit(r === undefined ? { type: 'exit', fn } : { type: 'exit', fn, ret: r });
  else ctx.emit(r === undefined ? { type: 'exit', fn, pfn } : { type: 'exit', fn, pfn, ret: r });
  return out;
}

/** The page at pfn in the draft. */
export function page(ctx: ModelCtx, pfn: number): PageState | undefined {
  return ctx.txn.page(pfn);
}

/** The refcount of the folio containing pfn (read on the head). */
export function refcount(ctx: ModelCtx, pfn: number): number {
  // refcountOf(): page()?.refcount without building an untouched page
  return ctx.txn.refcountOf(compoundHead(ctx.txn, pfn)) ?? 0;
}

/** A folio as rules need it: head, order, its pgmap range (absent: no struct page). */
export interface FolioInfo {
  readonly head: number;
  readonly order: number;
  readonly range: MemmapRange | undefined;
  readonly type: PgmapType | undefined;
}

/** page_folio() plus the pgmap lookup. */
export function folioOf(ctx: ModelCtx, pfn: number): FolioInfo {
  const range = findRange(ctx.txn.ranges, pfn);
  if (!range) return { head: pfn, order: 0, range: undefined, type: undefined };
  const head = compoundHead(ctx.txn, pfn);
  return { head, order: folioOrder(ctx.txn, head), range, type: range.pgmapType };
}

/** folio_ref_add()/folio_get()/folio_ref_inc(): page_ref_mod +n on the head. */
export function refAdd(ctx: ModelCtx, head: number, n: number): void {
  ctx.emit({ type: 'mod', pfn: head, val: n });
}

/** folio_ref_sub_and_test(): page_ref_mod_and_test −n; true when the count reached 0. */
export function refSubAndTest(ctx: ModelCtx, head: number, n: number): boolean {
  const zero = refcount(ctx, head) - n === 0;
  ctx.emit({ type: 'mod_and_test', pfn: head, val: -n, ret: zero ? 1 : 0 });
  return zero;
}

/** folio_ref_sub_return(): page_ref_mod_and_return −n; the new count. */
export function refSubReturn(ctx: ModelCtx, head: number, n: number): number {
  const after = refcount(ctx, head) - n;
  ctx.emit({ type: 'mod_and_return', pfn: head, val: -n, ret: after });
  return after;
}

/** folio_ref_try_add()/folio_try_get(): page_ref_mod_unless(+n unless 0); true on success. */
export function refTryAdd(ctx: ModelCtx, head: number, n: number): boolean {
  const ok = refcount(ctx, head) !== 0;
  ctx.emit({ type: 'mod_unless', pfn: head, val: n, unless: 0, ret: ok ? 1 : 0 });
  return ok;
}

/** folio_set_count()/set_page_count(): page_ref_set. */
export function refSet(ctx: ModelCtx, head: number, val: number): void {
  ctx.emit({ type: 'set', pfn: head, val });
}

/** Iterates [pfn, pfn+nr) in runs that share a folio: [head, first page, count]. */
export function* folioRuns(ctx: ModelCtx, pfn: number, nr: number): Generator<readonly [FolioInfo, number, number]> {
  let p = pfn;
  while (p < pfn + nr) {
    const f = folioOf(ctx, p);
    const end = Math.min(pfn + nr, f.head + 2 ** f.order);
    yield [f, p, end - p];
    p = end;
  }
}
