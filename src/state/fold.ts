/**
 * The fold of RefEvents into state, shared by every model: `page_ref_mod` means the
 * same thing in every kernel, so the kernels differ only in which events they emit.
 * Each rule is a recipe on the chunk's draft (Txn), named after the kernel helper it
 * mirrors. Conditions the kernel would WARN or BUG on become findings.
 */
import { PG_head } from '../kernel/page-flags.ts';
import { assertNever, type RefEvent, type RefEventOf } from '../events/ref-event.ts';
import { TAIL_MAPPING, tailWord, type MutablePage } from './page.ts';
import { folioOrder } from './accessors.ts';
import type { Txn } from './txn.ts';
import type { Finding, FindingSink, Severity } from './finding.ts';
import { applyWorldEvent, isWorldEvent } from './fold-world.ts';

/** Folds one RefEvent into the chunk's draft, reporting findings to `sink`. */
export function applyRefEvent(txn: Txn, e: RefEvent, sink: FindingSink): void {
  txn.events++;
  if (isWorldEvent(e)) {
    applyWorldEvent(txn, e, sink);
    return;
  }
  switch (e.type) {
    case 'memmap_init':
      return memmapInit(txn, e, sink);
    case 'memmap_remove':
      return memmapRemove(txn, e);
    // the hot rules without a closure each (four or five million events fold in a diff of
    // the bench's input (b)): pageFor() is withPage() less its callback
    case 'set':
    case 'unfreeze': {
      const p = pageFor(txn, e, sink);
      if (p) p.refcount = e.val;
      return;
    }
    case 'mod': {
      const p = pageFor(txn, e, sink);
      if (p) refMod(p, e, e.val, sink);
      return;
    }
    case 'mod_and_test': {
      const p = pageFor(txn, e, sink);
      if (!p) return;
      refMod(p, e, e.val, sink);
      checkRet(e, p.refcount === 0 ? 1 : 0, sink);
      return;
    }
    case 'mod_and_return': {
      const p = pageFor(txn, e, sink);
      if (!p) return;
      refMod(p, e, e.val, sink);
      checkRet(e, p.refcount, sink);
      return;
    }
    case 'mod_unless': {
      const p = pageFor(txn, e, sink);
      if (!p) return;
      // page_ref_add_unless(): atomic_add_unless(&page->_refcount, nr, u)
      const ok = p.refcount !== (e.unless ?? 0);
      if (ok) p.refcount += e.val;
      checkRet(e, ok ? 1 : 0, sink);
      return;
    }
    case 'freeze': {
      const p = pageFor(txn, e, sink);
      if (!p) return;
      // page_ref_freeze(): atomic_cmpxchg(&page->_refcount, count, 0) == count
      const ok = p.refcount === e.val;
      if (ok) p.refcount = 0;
      checkRet(e, ok ? 1 : 0, sink);
      return;
    }
    case 'prep_compound':
      return prepCompound(txn, e, sink);
    case 'split':
      return split(txn, e, sink);
    case 'set_mapping': {
      const p = pageFor(txn, e, sink);
      if (!p) return;
      p.mapping = e.mapping;
      if (e.index !== undefined) p.index = e.index;
      return;
    }
    case 'share': {
      const p = pageFor(txn, e, sink);
      if (p) p.index = e.share;
      return;
    }
    case 'add_rmap':
    case 'remove_rmap':
      return rmap(txn, e, sink);
    case 'pin_count':
      return withPage(txn, { ...e, pfn: e.pfn + 1 }, sink, (p1) => {
        p1.pincount += e.val;
        if (p1.pincount < 0) sink(finding(e, 'pincount-underflow', 'error', 'gup_put_folio', `_pincount of folio ${hexPfn(e.pfn)} fell to ${p1.pincount}`));
      });
    case 'wake':
    case 'free':
    case 'enter':
    case 'exit':
      return; // markers: the models act on them; pages are unchanged
    case 'warn':
      sink({ code: e.code, severity: e.severity, seq: e.op ?? e.seq, pfn: e.pfn, function: e.fn, message: e.message });
      return;
    default:
      return assertNever(e);
  }
}

/**
 * The hot rules of a recorded page_ref event (page_ref_set/mod/mod_and_test/
 * mod_and_return/mod_unless/freeze/unfreeze) applied from its fields, with no RefEvent
 * built: a trace replay folds two million of them, and the object, the rule's closure
 * and the dispatch above cost more than the rule. It answers false, having changed
 * nothing, when the event would report a finding (or has no struct page): the caller
 * then folds it as a RefEvent through {@link applyRefEvent}, so findings are made in
 * one place only. `ret` is null when the event printed none (the rule checks nothing);
 * mod_unless's `u` is 0, as for every RefEvent of a recorded page_ref event. `p` is
 * the chunk's writable page of the event's pfn (`txn.mut(pfn)`, which the caller has
 * already looked up to read the count before the event).
 */
export function applyPageRefFields(txn: Txn, p: MutablePage, op: PageRefType, val: number, ret: number | null): boolean {
  const after = pageRefAfter(op, p.refcount, val, ret);
  // NaN: the event reports a finding, which only applyRefEvent makes
  if (after !== after) return false;
  p.refcount = after;
  txn.events++;
  return true;
}

/**
 * `_refcount` after a recorded page_ref event on a page at `before`, by the rules of
 * {@link applyPageRefFields}; NaN where the event would report a finding (the caller
 * then folds it as a RefEvent). Pure: the count arithmetic of page_ref_set/mod/
 * mod_and_test/mod_and_return/mod_unless/freeze/unfreeze (include/linux/page_ref.h).
 */
export function pageRefAfter(op: PageRefType, before: number, val: number, ret: number | null): number {
  let after: number;
  switch (op) {
    case 'set':
    case 'unfreeze':
      after = val;
      break;
    case 'mod':
      after = before + val;
      // refMod's put-on-freed-page and refcount-underflow
      if ((val < 0 && before === 0) || after < 0) return Number.NaN;
      break;
    case 'mod_and_test':
      after = before + val;
      if ((val < 0 && before === 0) || after < 0 || (ret !== null && ret !== (after === 0 ? 1 : 0))) return Number.NaN;
      break;
    case 'mod_and_return':
      after = before + val;
      if ((val < 0 && before === 0) || after < 0 || (ret !== null && ret !== after)) return Number.NaN;
      break;
    case 'mod_unless': {
      // page_ref_add_unless(page, nr, 0)
      const ok = before !== 0;
      after = ok ? before + val : before;
      if (ret !== null && ret !== (ok ? 1 : 0)) return Number.NaN;
      break;
    }
    case 'freeze': {
      // page_ref_freeze(): atomic_cmpxchg(&page->_refcount, count, 0) == count
      const ok = before === val;
      after = ok ? 0 : before;
      if (ret !== null && ret !== (ok ? 1 : 0)) return Number.NaN;
      break;
    }
    default:
      return assertNever(op);
  }
  return after;
}

/** The RefEvent types a recorded page_ref event folds as. */
export type PageRefType = 'set' | 'mod' | 'mod_and_test' | 'mod_and_return' | 'mod_unless' | 'freeze' | 'unfreeze';

/** The writable page of e's pfn, or undefined (reported: no struct page) where none exists. */
function pageFor(txn: Txn, e: RefEvent & { pfn: number }, sink: FindingSink): MutablePage | undefined {
  const p = txn.mut(e.pfn);
  if (!p) noStructPage(e, sink);
  return p;
}

function withPage(txn: Txn, e: RefEvent & { pfn: number }, sink: FindingSink, fn: (p: MutablePage) => void): void {
  const p = txn.mut(e.pfn);
  if (!p) {
    noStructPage(e, sink);
    return;
  }
  fn(p);
}

/** pfn_to_page() of a pfn no pgmap covers. */
function noStructPage(e: RefEvent & { pfn: number }, sink: FindingSink): void {
  sink(finding(e, 'no-struct-page', 'error', 'pfn_to_page', `${e.type} on pfn ${hexPfn(e.pfn)}, which no registered pgmap covers`));
}

/** page_ref_add/sub: a put on a page already at 0 is a use after free; below 0 an underflow. */
function refMod(p: MutablePage, e: RefEvent & { pfn: number }, val: number, sink: FindingSink): void {
  const before = p.refcount;
  p.refcount += val;
  if (val < 0 && before === 0) {
    sink(finding(e, 'put-on-freed-page', 'error', 'put_page_testzero', `put of ${-val} on pfn ${hexPfn(e.pfn)}, whose refcount was already 0 (freed)`));
  } else if (p.refcount < 0) {
    sink(finding(e, 'refcount-underflow', 'error', 'put_page_testzero', `refcount of pfn ${hexPfn(e.pfn)} fell from ${before} to ${p.refcount}`));
  }
}

function checkRet(e: RefEventOf<'mod_and_test' | 'mod_and_return' | 'mod_unless' | 'freeze'>, actual: number, sink: FindingSink): void {
  if (e.ret !== undefined && e.ret !== actual) {
    sink(finding(e, 'ret-mismatch', 'error', `page_ref_${e.type}`, `${e.type} on pfn ${hexPfn(e.pfn)} recorded ret=${e.ret}, the state gives ${actual}`));
  }
}

/** memmap_init_zone_device(): a new range; the same pfn in two pgmaps is refused. */
function memmapInit(txn: Txn, e: RefEventOf<'memmap_init'>, sink: FindingSink): void {
  const clash = txn.ranges.find((r) => e.pfn < r.pfn + r.nr && r.pfn < e.pfn + e.nr);
  if (clash) {
    sink(finding(e, 'pgmap-conflict', 'error', 'memremap_pages', `pfns ${hexPfn(e.pfn)}+${e.nr} overlap pgmap ${clash.pgmap}`));
    return;
  }
  const range = Object.freeze({ pgmap: e.pgmap, pgmapType: e.pgmapType, pfn: e.pfn, nr: e.nr, refcount: e.refcount, vmemmapShift: e.vmemmapShift });
  txn.drop(e.pfn, e.nr);
  txn.ranges = Object.freeze([...txn.ranges, range].sort((a, b) => a.pfn - b.pfn));
}

/** memunmap_pages(): the range's struct pages go away. */
function memmapRemove(txn: Txn, e: RefEventOf<'memmap_remove'>): void {
  for (const r of txn.ranges.filter((x) => x.pgmap === e.pgmap)) txn.drop(r.pfn, r.nr);
  txn.ranges = Object.freeze(txn.ranges.filter((x) => x.pgmap !== e.pgmap));
}

/** prep_compound_page(head, order): prep_compound_head() + prep_compound_tail() on each tail. */
function prepCompound(txn: Txn, e: RefEventOf<'prep_compound'>, sink: FindingSink): void {
  const n = 2 ** e.order;
  const word = tailWord(txn.base.config, e.pfn, e.order);
  withPage(txn, e, sink, (head) => void (head.flags |= PG_head));
  for (let i = 1; i < n; i++) {
    const p = txn.mut(e.pfn + i);
    if (!p) {
      sink(finding(e, 'folio-crosses-pgmap', 'error', 'prep_compound_page', `order-${e.order} folio at ${hexPfn(e.pfn)} runs past its pgmap at ${hexPfn(e.pfn + i)}`));
      return;
    }
    p.word1 = word;
    if (i === 1) {
      p.folioOrder = e.order;
      p.entireMapcount = -1;
      p.largeMapcount = -1;
      p.pincount = 0;
    }
    if (i >= 3) p.mapping = TAIL_MAPPING;
  }
}

/**
 * dax_folio_put() split (spec §4.4): folio_reset_order(), then every page its own
 * order-0 folio with PG_head and the tail word cleared, mapping NULL, share/index 0
 * and folio->pgmap restored into word 1; WARN if a page's refcount is not 0.
 */
function split(txn: Txn, e: RefEventOf<'split'>, sink: FindingSink): void {
  const order = folioOrder(txn, e.pfn);
  const pgmap = txn.page(e.pfn)?.word1;
  if (typeof pgmap !== 'string') {
    sink(finding(e, 'split-not-head', 'error', 'dax_folio_put', `split of ${hexPfn(e.pfn)}, which is not a folio head`));
    return;
  }
  const p1 = order > 0 ? txn.mut(e.pfn + 1) : undefined;
  if (p1) p1.folioOrder = 0;
  for (let i = 0; i < 2 ** order; i++) {
    const p = txn.mut(e.pfn + i)!;
    p.flags &= ~PG_head;
    p.word1 = pgmap;
    p.mapping = null;
    p.index = 0;
    if (p.refcount !== 0) {
      sink(finding(e, 'split-busy-page', 'warn', 'dax_folio_put', `page ${hexPfn(e.pfn + i)} has refcount ${p.refcount} when its folio is split`));
    }
  }
}

/** folio_add/remove_file_rmap_{ptes,pmd,pud}(). */
function rmap(txn: Txn, e: RefEventOf<'add_rmap' | 'remove_rmap'>, sink: FindingSink): void {
  const d = e.type === 'add_rmap' ? 1 : -1;
  // the helper's name (rmapFn) only where a finding names it: not a new string, nor a closure, per rmap event
  const large = folioOrder(txn, e.pfn) > 0;
  if (e.level === 'pte') {
    for (let i = 0; i < e.nr; i++) {
      const p = txn.mut(e.page + i);
      if (!p) {
        noStructPage({ ...e, pfn: e.page + i }, sink);
        continue;
      }
      p.mapcount += d;
      if (p.mapcount < -1) sink(finding(e, 'mapcount-underflow', 'error', rmapFn(e), `_mapcount of ${hexPfn(e.page + i)} fell to ${p.mapcount}`));
    }
    if (large) {
      // page[1] read directly (the event is copied with page[1]'s pfn only for the finding)
      const p1 = txn.mut(e.pfn + 1);
      if (p1) p1.largeMapcount += d * e.nr;
      else noStructPage({ ...e, pfn: e.pfn + 1 }, sink);
    }
    return;
  }
  if (!large) {
    sink(finding(e, 'rmap-order-mismatch', 'error', rmapFn(e), `${e.level} rmap on ${hexPfn(e.pfn)}, which is not a large folio`));
    return;
  }
  const p1 = txn.mut(e.pfn + 1);
  if (!p1) {
    noStructPage({ ...e, pfn: e.pfn + 1 }, sink);
    return;
  }
  p1.entireMapcount += d;
  p1.largeMapcount += d;
  if (p1.entireMapcount < -1) sink(finding(e, 'mapcount-underflow', 'error', rmapFn(e), `_entire_mapcount of ${hexPfn(e.pfn)} fell to ${p1.entireMapcount}`));
}

/** The rmap helper an rmap event stands for (folio_add_file_rmap_ptes() …). */
function rmapFn(e: RefEventOf<'add_rmap' | 'remove_rmap'>): string {
  return `folio_${e.type === 'add_rmap' ? 'add_file' : 'remove'}_rmap_${e.level === 'pte' ? 'ptes' : e.level}`;
}

function finding(e: RefEvent, code: string, severity: Severity, fn: string, message: string): Finding {
  const pfn = 'pfn' in e && typeof e.pfn === 'number' ? e.pfn : -1;
  return { code, severity, seq: e.op ?? e.seq, pfn, function: fn, message };
}

function hexPfn(pfn: number): string {
  return `0x${pfn.toString(16)}`;
}
