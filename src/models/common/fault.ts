/**
 * Where a DAX fault lands, decided the same way in both families before anything is
 * inserted: the level the kernel config and the page tables allow, and the pfn and
 * address at that level. What is inserted there (a devmap entry, or a refcounted one)
 * is the family's.
 */
import { PAGE_SIZE, PMD_ORDER, levelOrder } from '../../kernel/constants.ts';
import type { Level, OpOf } from '../../events/op.ts';
import type { ModelCtx } from '../model.ts';
import { call, folioOf } from './kernel.ts';
import { xaRange } from './mm.ts';

/** VM_FAULT_SIGBUS, VM_FAULT_NOPAGE as a fault handler returns them. */
export const VM_FAULT_SIGBUS = 0x2;
export const VM_FAULT_NOPAGE = 0x100;

/** A fault resolved to one level: the pfn, file page and address at that level's alignment. */
export interface FaultShape {
  readonly level: Level;
  readonly order: number;
  readonly pfn: number;
  readonly pgoff: number;
  readonly address: number;
}

/** The same fault at `level`: pfn, pgoff and address rounded down to its size. */
function atLevel(op: OpOf<'dax.fault'>, level: Level): FaultShape {
  const from = 2 ** levelOrder(op.level);
  // the page backing the faulting pgoff (a huge Op names the head of its block)
  const page = op.pfn - (op.pfn % from) + (op.pgoff % from);
  const n = 2 ** levelOrder(level);
  return { level, order: levelOrder(level), pfn: page - (page % n), pgoff: op.pgoff - (op.pgoff % n), address: op.address - (op.address % (n * PAGE_SIZE)) };
}

/**
 * dax_iomap_fault(): FS DAX maps a PTE, or a PMD when CONFIG_FS_DAX_PMD (which needs
 * THP) is set and the PMD range holds no 4 KiB entry yet (dax_iomap_pmd_fault() falls
 * back otherwise); never a PUD.
 */
export function fsdaxFaultShape(ctx: ModelCtx, op: OpOf<'dax.fault'>): FaultShape {
  if (op.level === 'pte' || !ctx.profile.fsdaxPmd) return atLevel(op, 'pte');
  const pmd = atLevel(op, 'pmd');
  const small = xaRange(ctx.txn.readWorld(), op.file, pmd.pgoff, pmd.pgoff + 2 ** PMD_ORDER - 1).some((e) => e.order === 0 && !e.zero);
  return small ? atLevel(op, 'pte') : pmd;
}

/**
 * dev_dax_huge_fault(vmf, order): the huge levels are tried only with THP
 * (handle_mm_fault()'s thp_vma_allowable_order()); __dev_dax_{pte,pmd,pud}_fault()
 * return VM_FAULT_FALLBACK when the fault is larger than the device alignment and
 * VM_FAULT_SIGBUS when smaller, so a device maps at exactly its alignment, or not at all
 * (null). The alignment is the pgmap's vmemmap_shift (drivers/dax/device.c).
 */
export function devdaxFaultShape(ctx: ModelCtx, op: OpOf<'dax.fault'>): FaultShape | null {
  const want = ctx.profile.thp ? levelOrder(op.level) : 0;
  const align = folioOf(ctx, op.pfn).range?.vmemmapShift ?? 0;
  if (want < align) return null;
  const level = (['pte', 'pmd', 'pud'] as const).find((l) => levelOrder(l) === align);
  return level === undefined ? null : atLevel(op, level);
}

/**
 * dev_dax_huge_fault() (dev_dax_fault() for order 0) → __dev_dax_<level>_fault():
 * dax_set_mapping() names the device file on the head once, then the family inserts.
 * Recorded: k612-devdax-devdaxwork.trace.txt:183-186 (vmf_insert_pfn_pud, ret 0x100),
 * k72-devdax-devdaxwork.trace.txt:194-199 (vmf_insert_folio_pud, rmap_add_pud).
 */
export function devdaxFault(ctx: ModelCtx, op: OpOf<'dax.fault'>, insert: (s: FaultShape) => number): void {
  const s = devdaxFaultShape(ctx, op);
  const head = folioOf(ctx, s?.pfn ?? op.pfn).head;
  call(ctx, 'dev_dax_huge_fault', head, () => {
    if (s === null) return VM_FAULT_SIGBUS;
    return call(ctx, `__dev_dax_${s.level}_fault`, head, () => {
      const page = ctx.txn.page(head);
      if (page && page.mapping === null) ctx.emit({ type: 'set_mapping', pfn: head, mapping: op.file, index: s.pgoff - (s.pfn - head) });
      return insert(s);
    });
  }, (r) => r);
}
