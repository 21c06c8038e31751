/**
 * check --against: whether a difference between the replay of trace A and trace B's
 * snap could come from an Op kind A's probe set cannot observe. A kind "may explain" a
 * (pfn, field) when an Op of that kind, had A recorded it, could have changed that
 * field of that page given the state the replay was in: an unseen PTE unmap (or exit)
 * only matters for a page a PTE maps, an unseen put only for a reference count.
 */
import { levelOrder } from '../kernel/constants.ts';
import type { OpKind } from '../lift/types.ts';
import { compoundHead, folioNrPages, source } from '../state/accessors.ts';
import type { SimState } from '../state/sim-state.ts';
import type { ObsField } from './observations.ts';

/** True when some page-table entry of the given level (any, for 'any') maps a page of pfn's folio. */
function mappedAt(state: SimState, pfn: number, level: 'pte' | 'pmd' | 'pud' | 'any', privateOnly = false): boolean {
  const src = source(state);
  const head = compoundHead(src, pfn);
  const end = head + folioNrPages(src, head);
  for (const [mm, table] of state.world.ptes) {
    for (const pte of table.values()) {
      if (pte.pfn < 0 || (level !== 'any' && level !== pte.level)) continue;
      const last = pte.pfn + 2 ** levelOrder(pte.level) - 1;
      if (pte.pfn >= end || head > last) continue;
      if (!privateOnly) return true;
      const vma = state.world.vmas.get(mm)?.find((v) => pte.addr >= v.start && pte.addr < v.end);
      if (vma !== undefined && !vma.shared) return true;
    }
  }
  return false;
}

/** True when pfn's folio is associated with a file (an entry a truncate would delete). */
function associated(state: SimState, pfn: number): boolean {
  const src = source(state);
  const p = src.page(compoundHead(src, pfn));
  return p !== undefined && (p.mapping !== null || p.index !== 0);
}

/**
 * The kinds among `unseen` that may explain a difference in `field` of `pfn`, judged
 * on the states the replay went through since the last comparison.
 */
export function explainingKinds(unseen: readonly OpKind[], pfn: number, field: ObsField, states: readonly SimState[]): OpKind[] {
  const any = (f: (s: SimState) => boolean): boolean => states.some(f);
  const counts = field === 'refcount' || field === 'pincount';
  return unseen.filter((k) => {
    switch (k) {
      case 'munmap:pte':
        return any((s) => mappedAt(s, pfn, 'pte'));
      case 'munmap:pmd':
        return any((s) => mappedAt(s, pfn, 'pmd'));
      case 'munmap:pud':
        return any((s) => mappedAt(s, pfn, 'pud'));
      case 'exit':
        return any((s) => mappedAt(s, pfn, 'any'));
      case 'gup.get':
      case 'gup.pin':
      case 'put':
      case 'unpin':
      case 'dio.grab':
      case 'dio.release':
        return counts;
      case 'cow':
        // wp_page_copy() drops a private mapping's rmap and reference (unified)
        return any((s) => mappedAt(s, pfn, 'pte', true));
      case 'dax.fault':
        return true;
      case 'dax.hole_read':
      case 'dax.mkwrite':
        // the zero page, and a write upgrade whose transient reference is put back: no device count changes
        return false;
      case 'fs.break_layout':
      case 'fs.truncate':
      case 'fs.evict':
        return any((s) => associated(s, pfn) || mappedAt(s, pfn, 'any'));
      case 'fork':
      case 'pgmap.register':
        // dup_mmap() takes no reference on a shared file mapping in either family
        return false;
    }
    return false;
  });
}
