/**
 * Legacy fs/dax.c: per-4 KiB-page association (dax_associate_entry() with
 * PAGE_MAPPING_DAX_SHARED for reflinked extents), devmap insertion with no
 * reference, and the filesystems' layout breakers that wait for refcount 1.
 */
import { hex } from '../../kernel/constants.ts';
import type { OpOf } from '../../events/op.ts';
import type { ModelCtx } from '../model.ts';
import type { Waiter, XaEntry } from '../../state/world.ts';
import { PAGE_MAPPING_DAX_SHARED } from '../../state/page.ts';
import { call, folioOf, refcount } from '../common/kernel.ts';
import { endReenteredWait } from '../common/waiters.ts';
import { ensureVma, warn } from '../common/lifecycle.ts';
import { VM_FAULT_NOPAGE, devdaxFault, fsdaxFaultShape, type FaultShape } from '../common/fault.ts';
import { mappingMapped, pteCovering, ptesOfFileRange, ptesOfFileRangeByVma, xaLookup, xaRange } from '../common/mm.ts';
import { CONSTS } from './rules.ts';
import { hooks } from './hooks.ts';

type BreakKind = Waiter['kind'];

/** dax_iomap_fault() / dev_dax_huge_fault(). */
export function daxFault(ctx: ModelCtx, op: OpOf<'dax.fault'>): void {
  ensureVma(ctx, op.mm, op.vma, op.file, op.address);
  if (folioOf(ctx, op.pfn).type === 'generic') return devdaxFault(ctx, op, (s) => insertDevdax(ctx, op, s));
  const { order, pgoff, pfn, address: addr } = fsdaxFaultShape(ctx, op);
  const fn = order ? 'dax_iomap_pmd_fault' : 'dax_iomap_pte_fault';
  call(ctx, fn, pfn, () => {
    const old = xaLookup(ctx.txn.readWorld(), op.file, pgoff);
    insertEntry(ctx, op, old, pfn, pgoff, order);
    const mapped = pteCovering(ctx.txn.readWorld(), op.mm, op.address);
    const target = old && !old.zero && old.order > order ? old.pfn + (pgoff - old.pgoff) : pfn;
    if (mapped && mapped.pfn >= 0 && mapped.pfn === (mapped.level === 'pte' ? target : pfn)) {
      // vmf_insert_mixed_mkwrite(): a present entry for the same pfn is made young/dirty/writable.
      if (op.write && !mapped.write) ctx.emit({ type: 'pt_set', mm: op.mm, addr: mapped.addr, level: mapped.level, pfn: mapped.pfn, write: true, special: true, refcounted: CONSTS.MAP_TAKES_REFERENCE });
      return;
    }
    const install = (): void => {
      ctx.emit({ type: 'pt_set', mm: op.mm, addr, level: order ? 'pmd' : 'pte', pfn: target, write: op.write, special: true, refcounted: CONSTS.MAP_TAKES_REFERENCE });
    };
    if (order) call(ctx, ctx.profile.names.insertPfnPmd, target, install);
    // dax_fault_iter(): vmf_insert_mixed_mkwrite() for a write, vmf_insert_mixed() for a read,
    // both through insert_pfn() (k612-ext4-daxwork.trace.txt:162-163)
    else call(ctx, op.write ? 'vmf_insert_mixed_mkwrite' : 'vmf_insert_mixed', target, () => call(ctx, 'insert_pfn', target, install));
  });
}

/**
 * dax_insert_entry()'s `shared` (6.2+: IOMAP_F_SHARED) or `cow` (6.1: IOMAP_WRITE &&
 * IOMAP_F_SHARED, dax_fault_is_cow()): whether the fault takes the sharing path.
 */
function sharedPath(ctx: ModelCtx, op: OpOf<'dax.fault'>): boolean {
  return op.reflink && (ctx.profile.daxShare === 'share' || op.write);
}

/**
 * dax_insert_entry(): (re)associate when the extent is shared or the old entry was a
 * hole. A shared fault first unmaps the entry's range from this file's mappings
 * (unmap_mapping_pages(mapping, index, 1 or PG_PMD_NR)): the write fault that copies a
 * shared block (xfs CoW) drops the read-only PTE the file had on the old block.
 */
function insertEntry(ctx: ModelCtx, op: OpOf<'dax.fault'>, old: XaEntry | undefined, pfn: number, pgoff: number, order: number): void {
  const shared = sharedPath(ctx, op);
  if (old && !old.zero && !shared) return;
  call(ctx, 'dax_insert_entry', pfn, () => {
    const n = 2 ** (old?.order ?? order);
    const first = pgoff - (pgoff % n);
    if (shared) {
      for (const g of ptesOfFileRangeByVma(ctx.txn.readWorld(), op.file, first, first + n - 1)) hooks.zap(ctx, g);
    } else if (old?.zero) {
      for (const { mm, pte } of ptesOfFileRange(ctx.txn.readWorld(), op.file, pgoff, pgoff + 2 ** order - 1)) {
        if (pte.pfn < 0) ctx.emit({ type: 'pt_clear', mm, addr: pte.addr, level: pte.level });
      }
    }
    if (old?.zero) ctx.emit({ type: 'xa_erase', file: op.file, pgoff: old.pgoff });
    else if (old) disassociate(ctx, op.file, old, false);
    associate(ctx, op.file, pfn, pgoff, order, shared, op.reflink);
    ctx.emit({ type: 'xa_store', file: op.file, pgoff, pfn, order, zero: false, shared });
  });
}

/** dax_associate_entry(): every 4 KiB page of the entry gets mapping/index, or a share count. */
function associate(ctx: ModelCtx, file: string, pfn: number, pgoff: number, order: number, shared: boolean, reflink = false): void {
  call(ctx, 'dax_associate_entry', pfn, () => {
    // WARN_ON_ONCE(page->mapping): one finding for the entry, at its first such page
    let warned = false;
    for (let i = 0; i < 2 ** order; i++) {
      const p = ctx.txn.page(pfn + i);
      if (!p) return void ctx.emit({ type: 'set_mapping', pfn: pfn + i, mapping: file });
      if (shared) {
        // dax_page_share_get(): an owned page becomes shared with share = 1, then ++.
        let share = p.mapping === PAGE_MAPPING_DAX_SHARED ? p.index : 0;
        if (p.mapping !== PAGE_MAPPING_DAX_SHARED) {
          if (p.mapping) share = 1;
          ctx.emit({ type: 'set_mapping', pfn: pfn + i, mapping: PAGE_MAPPING_DAX_SHARED });
        }
        ctx.emit({ type: 'share', pfn: pfn + i, share: share + 1 });
        continue;
      }
      if (p.mapping && !warned) {
        warned = true;
        const owner = p.mapping === PAGE_MAPPING_DAX_SHARED ? 'PAGE_MAPPING_DAX_COW' : p.mapping;
        const pages = 2 ** order > 1 ? ` (the first of the entry's ${2 ** order} pages)` : '';
        // v6.1: a read fault on a shared extent is not `cow` (dax_fault_is_cow() needs
        // IOMAP_WRITE), so the page another file associated is taken over (page->mapping
        // overwritten) after the WARN; v6.2 (16aac5ad1fa9) shares it instead
        const why = reflink ? `: a read fault on a shared (reflink) extent takes the unshared path before v6.2 (dax_fault_is_cow() needs IOMAP_WRITE), so the page is re-associated with ${file} and ${owner} loses it (fixed by 16aac5ad1fa9 "fsdax: introduce page->share for fsdax in reflink mode")` : '';
        warn(ctx, 'associate-mapped-page', 'warn', pfn + i, 'dax_associate_entry', `page ${hex(pfn + i)}${pages} is already associated with ${owner}${why}`);
      }
      ctx.emit({ type: 'set_mapping', pfn: pfn + i, mapping: file, index: pgoff + i });
    }
  });
}

/** dax_disassociate_entry(): per page; WARN when truncating a page with r > 1. */
function disassociate(ctx: ModelCtx, file: string, e: XaEntry, trunc: boolean): void {
  if (e.zero) return; // a zero entry's size is 0: the per-pfn loop runs no times (spec §0.11)
  call(ctx, 'dax_disassociate_entry', e.pfn, () => {
    for (let i = 0; i < 2 ** e.order; i++) {
      const pfn = e.pfn + i;
      const p = ctx.txn.page(pfn);
      if (!p) continue;
      if (trunc && p.refcount > CONSTS.FSDAX_WAIT_UNTIL) {
        warn(ctx, 'disassociate-busy-page', 'warn', pfn, 'dax_disassociate_entry', `WARN_ON_ONCE(trunc && page_ref_count(page) > 1): page ${hex(pfn)} of ${file} is disassociated at refcount ${p.refcount}; the block can be reused while it is still referenced (DMA in flight)`);
      }
      if (p.mapping === PAGE_MAPPING_DAX_SHARED) {
        // dax_page_share_put(): --share; a page still shared keeps its sentinel. 6.1
        // (PAGE_MAPPING_DAX_COW, the same 0x1): `if (page->index-- > 0) continue;`, a
        // post-decrement, so the mark stays until a put finds the count already at 0.
        // (`p` is the live page: read the count before the write changes it)
        const share = p.index;
        ctx.emit({ type: 'share', pfn, share: share - 1 });
        if ((ctx.profile.daxShare === 'cow-write' ? share : share - 1) > 0) continue;
      } else if (p.mapping && p.mapping !== file) {
        warn(ctx, 'disassociate-foreign-page', 'warn', pfn, 'dax_disassociate_entry', `page ${hex(pfn)} belongs to ${p.mapping}, not ${file}`);
      }
      ctx.emit({ type: 'set_mapping', pfn, mapping: null, index: 0 });
    }
  });
}

/** dax_iomap_pfn_mkwrite() → dax_insert_pfn_mkwrite() → vmf_insert_mixed_mkwrite(): no count changes. */
export function daxMkwrite(ctx: ModelCtx, op: OpOf<'dax.mkwrite'>): void {
  call(ctx, 'dax_insert_pfn_mkwrite', op.pfn, () => {
    const pte = pteCovering(ctx.txn.readWorld(), op.mm, op.address);
    if (pte) ctx.emit({ type: 'pt_set', mm: op.mm, addr: pte.addr, level: pte.level, pfn: pte.pfn, write: true, special: pte.special, refcounted: pte.refcounted });
  });
}

/**
 * __dev_dax_{pte,pmd,pud}_fault() insert (legacy): vmf_insert_mixed() → insert_pfn() or
 * vmf_insert_pfn_pmd/pud() with a PFN_DEV|PFN_MAP pfn_t: a devmap entry, no reference,
 * no mapcount (k612-devdax-devdaxwork.trace.txt:184 `pfn=0x3000000000140000`, the next
 * snap still `r_140000=1 … e_140000=-1`).
 */
function insertDevdax(ctx: ModelCtx, op: OpOf<'dax.fault'>, s: FaultShape): number {
  const install = (): void => {
    ctx.emit({ type: 'pt_set', mm: op.mm, addr: s.address, level: s.level, pfn: s.pfn, write: op.write, special: true, refcounted: CONSTS.MAP_TAKES_REFERENCE });
  };
  if (s.level === 'pte') call(ctx, 'vmf_insert_mixed', s.pfn, () => call(ctx, 'insert_pfn', s.pfn, install));
  else call(ctx, s.level === 'pmd' ? ctx.profile.names.insertPfnPmd : ctx.profile.names.insertPfnPud, s.pfn, install, () => VM_FAULT_NOPAGE);
  return VM_FAULT_NOPAGE;
}

/** The filesystem's break-layout function. */
function fsBreakFn(op: { fs?: 'ext4' | 'xfs' }): string {
  return op.fs === 'xfs' ? 'xfs_break_dax_layouts' : 'ext4_break_layouts';
}

/**
 * ext4_break_layouts()/xfs_break_dax_layouts() loop: a busy page → interruptible
 * wait for r == 1; once nothing is busy, truncate removes the entries. Eviction
 * does not wait at all (fixed in v6.15 by dax_break_layout_final()).
 */
export function breakLayouts(ctx: ModelCtx, op: OpOf<'fs.break_layout' | 'fs.truncate' | 'fs.evict'>, kind: BreakKind): void {
  const end = op.end ?? Number.MAX_SAFE_INTEGER;
  endReenteredWait(ctx, op);
  runBreaker(ctx, { waiter: op.seq, file: op.file, start: op.start, end, kind, fn: kind === 'evict' ? 'dax_delete_mapping_entry' : fsBreakFn(op) });
}

/** A woken breaker rescans from the top of its loop. */
export function resumeBreaker(ctx: ModelCtx, w: Waiter): void {
  runBreaker(ctx, w);
}

function runBreaker(ctx: ModelCtx, w: Pick<Waiter, 'waiter' | 'file' | 'start' | 'end' | 'kind' | 'fn'>): void {
  if (w.kind !== 'evict') {
    // Model change (issue #5): ext4_break_layouts() and xfs_break_dax_layouts() scan the
    // whole file (dax_layout_busy_page(mapping) = dax_layout_busy_page_range(mapping, 0,
    // LLONG_MAX)), not the truncated range: events/traces/k612-ext4-daxwork.trace.txt:255
    // prints `start=0x0 end=0x7fffffffffffffff` for a one-page hole punch (off=32768).
    // A busy page anywhere in the file holds the punch; only the range is deleted after.
    const busy = call(ctx, w.fn, undefined, () => busyPage(ctx, w.file, 0, Number.MAX_SAFE_INTEGER));
    if (busy !== null) {
      ctx.emit({ type: 'wait', pfn: busy, fn: w.fn, file: w.file, start: w.start, end: w.end, until: CONSTS.FSDAX_WAIT_UNTIL, interruptible: true, waiter: w.waiter, kind: w.kind });
      return;
    }
    if (w.kind === 'break_layout') return;
  }
  deleteEntries(ctx, w.file, w.start, w.end, w.kind);
}

/** dax_layout_busy_page_range() (legacy): the !mapping_mapped() shortcut, unmap, then r > 1. */
function busyPage(ctx: ModelCtx, file: string, start: number, end: number): number | null {
  return call(ctx, 'dax_layout_busy_page_range', undefined, () => {
    const entries = xaRange(ctx.txn.readWorld(), file, start, end).filter((e) => !e.zero);
    if (CONSTS.BUSY_SCAN_NEEDS_MAPPING && !mappingMapped(ctx.txn.readWorld(), file)) {
      const hidden = firstBusy(ctx, entries);
      if (hidden !== null) {
        warn(ctx, 'busy-scan-skipped', 'error', hidden, 'dax_layout_busy_page_range', `dax_layout_busy_page_range() returns NULL at its !mapping_mapped() check, since no VMA maps ${file} any more, and scans nothing: page ${hex(hidden)} (refcount ${refcount(ctx, hidden)}) is busy, yet the layout break does not wait. Fixed in v6.15 by cee91fa13a8e "fs/dax: return unmapped busy pages from dax_layout_busy_page_range()"`);
      }
      return null;
    }
    for (const g of ptesOfFileRangeByVma(ctx.txn.readWorld(), file, start, end)) hooks.zap(ctx, g);
    return firstBusy(ctx, entries);
  }, (r) => r ?? 0);
}

function firstBusy(ctx: ModelCtx, entries: readonly XaEntry[]): number | null {
  for (const e of entries) {
    for (let i = 0; i < 2 ** e.order; i++) if (refcount(ctx, e.pfn + i) > CONSTS.FSDAX_WAIT_UNTIL) return e.pfn + i;
  }
  return null;
}

/** truncate_inode_pages_range() → dax_delete_mapping_entry() per entry (trunc = true). */
function deleteEntries(ctx: ModelCtx, file: string, start: number, end: number, kind: BreakKind): void {
  for (const e of xaRange(ctx.txn.readWorld(), file, start, end)) {
    call(ctx, 'dax_delete_mapping_entry', e.pfn < 0 ? undefined : e.pfn, () => {
      if (kind === 'evict' && !CONSTS.EVICT_WAITS) {
        const busy = firstBusy(ctx, [e]);
        if (busy !== null) warn(ctx, 'evict-without-wait', 'error', busy, 'dax_delete_mapping_entry', `inode eviction deletes the DAX entry of ${file} while page ${hex(busy)} has refcount ${refcount(ctx, busy)}: eviction does not wait for busy pages before v6.15, so the block can be reused under DMA. Fixed by 0e2f80afcfa6 "fs/dax: ensure all pages are idle prior to filesystem unmount"`);
      }
      disassociate(ctx, file, e, true);
      ctx.emit({ type: 'xa_erase', file, pgoff: e.pgoff });
    });
  }
}
