/**
 * Unified fs/dax.c (v6.15+): folio association (dax_folio_init() builds the compound
 * folio, dax_folio_put() splits it back), refcounted insertion through
 * vmf_insert_page_mkwrite()/vmf_insert_folio_pmd()/_pud(), and dax_break_layout().
 */
import { HPAGE_PMD_NR, HPAGE_PUD_NR, PMD_ORDER, PUD_ORDER, hex } from '../../kernel/constants.ts';
import type { Level, OpOf } from '../../events/op.ts';
import type { ModelCtx } from '../model.ts';
import type { Waiter, XaEntry } from '../../state/world.ts';
import { folioMapcount } from '../../state/accessors.ts';
import { call, folioOf, refAdd, refcount, refSubAndTest } from '../common/kernel.ts';
import { endReenteredWait } from '../common/waiters.ts';
import { ensureVma, warn } from '../common/lifecycle.ts';
import { VM_FAULT_NOPAGE, VM_FAULT_SIGBUS, devdaxFault, fsdaxFaultShape, type FaultShape } from '../common/fault.ts';
import { pteCovering, ptesOfFileRange, ptesOfFileRangeByVma, xaLookup, xaRange } from '../common/mm.ts';
import { CONSTS } from './rules.ts';
import { hooks } from './hooks.ts';


type BreakKind = Waiter['kind'];

/** dax_iomap_fault() / dev_dax_huge_fault(). */
export function daxFault(ctx: ModelCtx, op: OpOf<'dax.fault'>): void {
  ensureVma(ctx, op.mm, op.vma, op.file, op.address);
  if (folioOf(ctx, op.pfn).type === 'generic') return devdaxFault(ctx, op, (s) => insertDevdax(ctx, op, s));
  const { order, pgoff, pfn, address: addr } = fsdaxFaultShape(ctx, op);
  call(ctx, order ? 'dax_iomap_pmd_fault' : 'dax_iomap_pte_fault', pfn, () => {
    const old = xaLookup(ctx.txn.readWorld(), op.file, pgoff);
    insertEntry(ctx, op, old, pfn, pgoff, order);
    const target = old && !old.zero && old.order > order ? old.pfn + (pgoff - old.pgoff) : pfn;
    const f = folioOf(ctx, target);
    // dax_fault_iter(): folio_ref_inc() first, because insert_page() rejects a folio at 0.
    refAdd(ctx, f.head, 1);
    if (order) insertFolioHuge(ctx, op.mm, addr, f.head, 'pmd', op.write);
    else insertPage(ctx, op.mm, op.address, target, op.write);
    if (refSubAndTest(ctx, f.head, 1)) hooks.freeZoneDeviceFolio(ctx, f.head, f.type);
  });
}

/** vmf_insert_page_mkwrite() → insert_page(): +1 ref, RSS, rmap into an empty PTE; upgrade otherwise. */
function insertPage(ctx: ModelCtx, mm: string, addr: number, pfn: number, write: boolean): number {
  return call(ctx, 'vmf_insert_page_mkwrite', pfn, () => {
    call(ctx, 'insert_page', pfn, () => {
      const present = pteCovering(ctx.txn.readWorld(), mm, addr);
      if (present && present.pfn >= 0) {
        // insert_page_into_pte_locked(): same pfn + mkwrite → young/dirty/writable; no reference.
        if (write && present.pfn === pfn && !present.write) ctx.emit({ type: 'pt_set', mm, addr: present.addr, level: present.level, pfn, write: true, special: present.special, refcounted: present.refcounted });
        return;
      }
      const f = folioOf(ctx, pfn);
      refAdd(ctx, f.head, 1);
      ctx.emit({ type: 'rss', mm, val: 1 });
      call(ctx, 'folio_add_file_rmap_ptes', f.head, () => ctx.emit({ type: 'add_rmap', pfn: f.head, page: pfn, nr: 1, level: 'pte' }));
      ctx.emit({ type: 'pt_set', mm, addr, level: 'pte', pfn, write, special: false, refcounted: CONSTS.MAP_TAKES_REFERENCE });
    });
    return VM_FAULT_NOPAGE;
  }, (r) => r);
}

/** vmf_insert_folio_pmd()/_pud(): WARN + SIGBUS on an order mismatch; +1 ref, entire mapcount, RSS. */
function insertFolioHuge(ctx: ModelCtx, mm: string, addr: number, head: number, level: Exclude<Level, 'pte'>, write: boolean): number {
  return call(ctx, `vmf_insert_folio_${level}`, head, () => {
    const f = folioOf(ctx, head);
    const want = level === 'pmd' ? PMD_ORDER : PUD_ORDER;
    if (f.order !== want) {
      warn(ctx, 'insert-folio-order', 'warn', head, `vmf_insert_folio_${level}`, `folio ${hex(head)} has order ${f.order}, not ${want}: WARN_ON_ONCE and VM_FAULT_SIGBUS`);
      return VM_FAULT_SIGBUS;
    }
    const present = pteCovering(ctx.txn.readWorld(), mm, addr);
    if (present && present.level === level && present.pfn === head) {
      if (write && !present.write) ctx.emit({ type: 'pt_set', mm, addr: present.addr, level, pfn: head, write: true, special: present.special, refcounted: true });
      return VM_FAULT_NOPAGE;
    }
    refAdd(ctx, head, 1);
    call(ctx, `folio_add_file_rmap_${level}`, head, () => ctx.emit({ type: 'add_rmap', pfn: head, page: head, nr: 1, level }));
    ctx.emit({ type: 'rss', mm, val: level === 'pmd' ? HPAGE_PMD_NR : HPAGE_PUD_NR });
    // v6.15–v6.16 still marked the entry special (fixed in v6.17, spec §0.12).
    ctx.emit({ type: 'pt_set', mm, addr, level, pfn: head, write, special: ctx.profile.specialHugeEntries, refcounted: CONSTS.MAP_TAKES_REFERENCE });
    return VM_FAULT_NOPAGE;
  }, (r) => r);
}

/**
 * dax_insert_entry(): (re)associate when the extent is shared (`shared =
 * iter->iomap.flags & IOMAP_F_SHARED`) or the old entry was a hole. A shared fault first
 * unmaps the entry's range from this file's mappings (unmap_mapping_pages(mapping,
 * index, 1 or PG_PMD_NR)), then disassociates the old entry and associates the new one:
 * the CoW write fault on a clone's read-mapped shared page drops that PTE's reference
 * and mapcount before mapping the copy (vmtest 7.3 xfs fsdax-reflink: `rmap_remove_ptes`
 * of the shared page inside the write fault's dax_pte_fault, after do_wp_page).
 */
function insertEntry(ctx: ModelCtx, op: OpOf<'dax.fault'>, old: XaEntry | undefined, pfn: number, pgoff: number, order: number): void {
  if (old && !old.zero && !op.reflink) return;
  call(ctx, 'dax_insert_entry', pfn, () => {
    const n = 2 ** (old?.order ?? order);
    const first = pgoff - (pgoff % n);
    if (op.reflink) {
      for (const g of ptesOfFileRangeByVma(ctx.txn.readWorld(), op.file, first, first + n - 1)) hooks.zap(ctx, g);
    } else if (old?.zero) {
      for (const { mm, pte } of ptesOfFileRange(ctx.txn.readWorld(), op.file, pgoff, pgoff + 2 ** order - 1)) {
        if (pte.pfn < 0) ctx.emit({ type: 'pt_clear', mm, addr: pte.addr, level: pte.level });
      }
    }
    // Zero entries are not disassociated ("fs/dax: don't disassociate zero page entries").
    if (old?.zero) ctx.emit({ type: 'xa_erase', file: op.file, pgoff: old.pgoff });
    else if (old) disassociate(ctx, op.file, old);
    associate(ctx, op.file, pfn, pgoff, order, op.reflink);
    ctx.emit({ type: 'xa_store', file: op.file, pgoff, pfn, order, zero: false, shared: op.reflink });
  });
}

/** dax_folio_is_shared(): mapping NULL with a non-zero share count. */
function isShared(ctx: ModelCtx, head: number): boolean {
  const p = ctx.txn.page(head);
  return !!p && p.mapping === null && p.index !== 0;
}

/** dax_associate_entry() (spec §4.1, U column). */
function associate(ctx: ModelCtx, file: string, pfn: number, pgoff: number, order: number, shared: boolean): void {
  call(ctx, 'dax_associate_entry', pfn, () => {
    const f = folioOf(ctx, pfn);
    const p = ctx.txn.page(f.head);
    if (!p) return void ctx.emit({ type: 'set_mapping', pfn, mapping: file });
    if (shared && (p.mapping !== null || isShared(ctx, f.head))) {
      let share = p.index;
      if (p.mapping !== null) {
        // dax_folio_make_shared(): mapping = NULL, share = 1.
        ctx.emit({ type: 'set_mapping', pfn: f.head, mapping: null });
        ctx.emit({ type: 'share', pfn: f.head, share: 1 });
        share = 1;
      }
      if (f.order !== order) warn(ctx, 'share-order-mismatch', 'warn', f.head, 'dax_associate_entry', `entry order ${order} differs from folio order ${f.order}`);
      ctx.emit({ type: 'share', pfn: f.head, share: share + 1 });
      return;
    }
    if (p.mapping !== null) warn(ctx, 'associate-mapped-folio', 'warn', f.head, 'dax_associate_entry', `folio ${hex(f.head)} is already associated with ${p.mapping}`);
    call(ctx, 'dax_folio_init', pfn, () => {
      if (f.order !== 0) warn(ctx, 'dax-folio-init-order', 'warn', f.head, 'dax_folio_init', `folio ${hex(f.head)} is already order ${f.order}`);
      if (CONSTS.FSDAX_COMPOUND_FOLIOS && order > 0) {
        ctx.emit({ type: 'prep_compound', pfn, order });
        if (refcount(ctx, pfn) !== 0) warn(ctx, 'dax-folio-init-busy', 'warn', pfn, 'dax_folio_init', `new order-${order} folio ${hex(pfn)} has refcount ${refcount(ctx, pfn)}`);
      }
    });
    ctx.emit({ type: 'set_mapping', pfn, mapping: file, index: pgoff });
  });
}

/**
 * dax_disassociate_entry() → dax_folio_put(): drop a share; at 0 clear ->mapping
 * (order 0 leaves index/share stale, spec §0.3) and split a large folio. 7.1+:
 * dax_folio_reset_order() does both for every folio, order 0 included.
 */
function disassociate(ctx: ModelCtx, file: string, e: XaEntry): void {
  if (e.zero) return;
  const f = folioOf(ctx, e.pfn);
  call(ctx, 'dax_folio_put', f.head, () => {
    if (isShared(ctx, f.head)) {
      const ref = ctx.txn.page(f.head)!.index - 1;
      ctx.emit({ type: 'share', pfn: f.head, share: ref });
      if (ref > 0) return;
    }
    if (ctx.profile.daxFolioResetOrder) {
      // Model change (issue #5): the 7.2 kernel calls dax_folio_reset_order() for order-0
      // folios too (events/traces/k72-ext4-daxwork.trace.txt:283-296, `order=` of an
      // order-0 folio then `_ret ret=0`), which sets folio->mapping = NULL and
      // folio->share = 0: the stale index of spec §0.3 no longer holds there.
      call(ctx, 'dax_folio_reset_order', f.head, () => {
        if (f.order === 0) ctx.emit({ type: 'set_mapping', pfn: f.head, mapping: null, index: 0 });
        else ctx.emit({ type: 'split', pfn: f.head });
        return f.order;
      }, (r) => r);
      return;
    }
    ctx.emit({ type: 'set_mapping', pfn: f.head, mapping: null });
    if (f.order === 0) return;
    // before dax_folio_reset_order() existed, dax_folio_put() split inline after folio_reset_order()
    call(ctx, 'folio_reset_order', f.head, () => ctx.emit({ type: 'split', pfn: f.head }));
  });
  void file;
}

/** dax_iomap_pfn_mkwrite() → dax_insert_pfn_mkwrite(): folio_ref_inc, upgrade, folio_put. */
export function daxMkwrite(ctx: ModelCtx, op: OpOf<'dax.mkwrite'>): void {
  call(ctx, 'dax_insert_pfn_mkwrite', op.pfn, () => {
    const pte = pteCovering(ctx.txn.readWorld(), op.mm, op.address);
    const f = folioOf(ctx, pte?.pfn ?? op.pfn);
    refAdd(ctx, f.head, 1);
    if (pte?.level === 'pmd' || pte?.level === 'pud') insertFolioHuge(ctx, op.mm, pte.addr, f.head, pte.level, true);
    else insertPage(ctx, op.mm, op.address, op.pfn, true);
    if (refSubAndTest(ctx, f.head, 1)) hooks.freeZoneDeviceFolio(ctx, f.head, f.type);
  });
}

/**
 * __dev_dax_{pte,pmd,pud}_fault() insert (unified, "device/dax: properly refcount device
 * dax pages when mapping", aed877c2b425): vmf_insert_page_mkwrite() or
 * vmf_insert_folio_pmd/pud(), a reference and a mapcount, and no folio_ref_inc() first
 * since a device-dax folio idles at 1 (k72-devdax-devdaxwork.trace.txt:195
 * `vmf_insert_folio_pud: … ref=1`, :197 `rmap_add_pud: … ref=2`).
 */
function insertDevdax(ctx: ModelCtx, op: OpOf<'dax.fault'>, s: FaultShape): number {
  if (s.level === 'pte') return insertPage(ctx, op.mm, s.address, s.pfn, op.write);
  return insertFolioHuge(ctx, op.mm, s.address, folioOf(ctx, s.pfn).head, s.level, op.write);
}

/** The filesystem's break-layout function. */
function fsBreakFn(op: { fs?: 'ext4' | 'xfs' }): string {
  return op.fs === 'xfs' ? 'xfs_break_dax_layouts' : 'ext4_break_layouts';
}

/** The filesystem's evict_inode, the caller of dax_break_layout_final(). */
function fsEvictFn(op: { fs?: 'ext4' | 'xfs' }): string {
  return op.fs === 'xfs' ? 'xfs_fs_evict_inode' : 'ext4_evict_inode';
}

/**
 * dax_break_layout(): loop { busy page → wait_page_idle() (interruptible) } and,
 * once nothing is busy, dax_delete_mapping_range(). Eviction uses
 * dax_break_layout_final(): an uninterruptible wait, then every entry goes.
 */
export function breakLayouts(ctx: ModelCtx, op: OpOf<'fs.break_layout' | 'fs.truncate' | 'fs.evict'>, kind: BreakKind): void {
  // eviction: ext4_evict_inode()/xfs_fs_evict_inode() call dax_break_layout_final()
  const fn = kind === 'evict' ? fsEvictFn(op) : fsBreakFn(op);
  // Model change (issue #5): ext4_break_layouts() and xfs_break_dax_layouts() call
  // dax_break_layout_inode() = dax_break_layout(inode, 0, LLONG_MAX), so the scan, the
  // unmap and dax_delete_mapping_range() cover the whole file, whatever range is truncated:
  // events/traces/k72-ext4-daxwork.trace.txt:254,272 (`start=0x0 end=0x7fffffffffffffff`
  // for a one-page hole punch, then dax_folio_reset_order() on all 7 entries of the file).
  // The truncate's own range then finds no entry left.
  endReenteredWait(ctx, op);
  runBreaker(ctx, { waiter: op.seq, file: op.file, start: 0, end: Number.MAX_SAFE_INTEGER, kind, fn });
}

/** A woken breaker rescans from the top of its loop. */
export function resumeBreaker(ctx: ModelCtx, w: Waiter): void {
  runBreaker(ctx, w);
}

function runBreaker(ctx: ModelCtx, w: Pick<Waiter, 'waiter' | 'file' | 'start' | 'end' | 'kind' | 'fn'>): void {
  call(ctx, w.fn, undefined, () => {
    call(ctx, w.kind === 'evict' ? 'dax_break_layout_final' : 'dax_break_layout', undefined, () => {
      const busy = busyPage(ctx, w.file, w.start, w.end);
      if (busy !== null) {
        // wait_page_idle() (dax_break_layout_final(): uninterruptible); the waiter resumes in w.fn.
        ctx.emit({ type: 'wait', pfn: busy, fn: w.fn, file: w.file, start: w.start, end: w.end, until: CONSTS.FSDAX_WAIT_UNTIL, interruptible: w.kind !== 'evict', waiter: w.waiter, kind: w.kind });
        return;
      }
      deleteRange(ctx, w.file, w.start, w.end);
    });
  });
}

/** dax_layout_busy_page_range() (v6.15): unmap, then busy if refcount − mapcount ≠ 0 (spec §0.10). */
function busyPage(ctx: ModelCtx, file: string, start: number, end: number): number | null {
  return call(ctx, 'dax_layout_busy_page_range', undefined, () => {
    for (const g of ptesOfFileRangeByVma(ctx.txn.readWorld(), file, start, end)) hooks.zap(ctx, g);
    for (const e of xaRange(ctx.txn.readWorld(), file, start, end)) {
      if (e.zero) continue;
      const f = folioOf(ctx, e.pfn);
      if (refcount(ctx, f.head) - folioMapcount(ctx.txn, f.head) !== 0) return f.head;
    }
    return null;
  }, (r) => r ?? 0);
}

/** dax_delete_mapping_range(): disassociate and erase every entry in range. */
function deleteRange(ctx: ModelCtx, file: string, start: number, end: number): void {
  call(ctx, 'dax_delete_mapping_range', undefined, () => {
    for (const e of xaRange(ctx.txn.readWorld(), file, start, end)) {
      disassociate(ctx, file, e);
      ctx.emit({ type: 'xa_erase', file, pgoff: e.pgoff });
    }
  });
}
