/**
 * Copy-on-write of a MAP_PRIVATE DAX mapping (mm/memory.c do_wp_page() →
 * wp_page_copy()), shared by both families: what the old page loses is decided by the
 * entry that maps it, which the family's fault installed.
 */
import type { OpOf } from '../../events/op.ts';
import type { ModelCtx } from '../model.ts';
import type { FamilyHooks } from './family.ts';
import { call, folioOf, refAdd } from './kernel.ts';
import { pteCovering, vmaAt } from './mm.ts';

/**
 * do_wp_page() on a read-only entry of a private mapping.
 *
 * - A refcounted PTE (unified: the DAX folio is a normal page to vm_normal_page()):
 *   folio_get() before the copy, then in wp_page_copy() the new anonymous page is
 *   mapped (folio_add_new_anon_rmap()), the old page loses its rmap and its file RSS,
 *   and two folio_put()s drop the PTE's reference and the extra one.
 *   events/traces/k72-ext4-daxshare.trace.txt:385-387: do_wp_page, anon_rmap_new, then
 *   rmap_remove_ptes on pfn 0x48051 with `ref=3 mapcount=1` (two mappings + the get);
 *   the next snap shows 1/1.
 * - A devmap PTE (legacy) or the zero page: vm_normal_page() is NULL, wp_page_copy()
 *   copies from the pfn and only the entry changes (k612-ext4-daxshare.trace.txt:
 *   do_wp_page then anon_rmap_new, pfn 0x48051 stays 1/0).
 * - A PMD or PUD: wp_huge_pmd()/wp_huge_pud() split a file mapping and the write is
 *   retried at PTE level, where dax_iomap_fault() copies into a new anonymous page
 *   (DONE_COW) without touching the device page.
 */
export function cow(ctx: ModelCtx, hooks: FamilyHooks, op: OpOf<'cow'>): void {
  const world = ctx.txn.readWorld();
  const pte = pteCovering(world, op.mm, op.address);
  const vma = vmaAt(world, op.mm, op.address);
  call(ctx, 'do_wp_page', pte !== undefined && pte.pfn >= 0 ? pte.pfn : undefined, () => {
    // a shared mapping's write fault is a write upgrade (dax.mkwrite), never a copy
    if (pte === undefined || vma?.shared === true) return;
    // vmf_anon_prepare() → anon_vma_prepare(): wp_page_copy(), or do_cow_fault() after a
    // private PMD is split; from now on fork copies this VMA's PTEs (vma_needs_copy())
    if (vma !== undefined && vma.anon !== true) ctx.emit({ type: 'vma_add', mm: op.mm, start: vma.start, end: vma.end, shared: false, file: vma.file, pgoff: vma.pgoff, anon: true });
    if (pte.level !== 'pte') return hooks.splitHuge(ctx, op.mm, pte.addr, pte.level);
    if (!pte.refcounted || pte.pfn < 0) {
      call(ctx, 'wp_page_copy', undefined, () => {
        call(ctx, 'folio_add_new_anon_rmap', undefined, () => undefined);
        ctx.emit({ type: 'pt_clear', mm: op.mm, addr: pte.addr, level: 'pte' });
      });
      return;
    }
    const f = folioOf(ctx, pte.pfn);
    refAdd(ctx, f.head, 1);
    call(ctx, 'wp_page_copy', f.head, () => {
      call(ctx, 'folio_add_new_anon_rmap', undefined, () => undefined);
      ctx.emit({ type: 'pt_clear', mm: op.mm, addr: pte.addr, level: 'pte' });
      // dec_mm_counter(MM_FILEPAGES); the anonymous page is counted in MM_ANONPAGES
      ctx.emit({ type: 'rss', mm: op.mm, val: -1 });
      call(ctx, 'folio_remove_rmap_ptes', f.head, () => ctx.emit({ type: 'remove_rmap', pfn: f.head, page: pte.pfn, nr: 1, level: 'pte' }));
      // folio_put(new_folio), new_folio being the old folio once copied; then folio_put(old_folio)
      hooks.putRefs(ctx, f.head, 1, f.type, 'put_page');
      hooks.putRefs(ctx, f.head, 1, f.type, 'put_page');
    });
  });
}
