/**
 * Legacy kernel paths: the devmap put hook, free_zone_device_folio(), zap of devmap
 * entries, and the layout breaker's resume.
 */
import { HPAGE_PMD_NR, HPAGE_PUD_NR, hex } from '../../kernel/constants.ts';
import type { Level, PgmapType } from '../../events/op.ts';
import type { ModelCtx } from '../model.ts';
import type { FamilyHooks } from '../common/family.ts';
import { call, folioOf, refSet, refSubAndTest, refSubReturn } from '../common/kernel.ts';
import { warn } from '../common/lifecycle.ts';
import { pteCovering, type MmPte } from '../common/mm.ts';
import { wakeUpVar } from '../common/waiters.ts';
import { CONSTS } from './rules.ts';
import { resumeBreaker } from './dax.ts';

export const hooks: FamilyHooks = {
  // A getter: rules.ts (which defines CONSTS) imports this module, so CONSTS is read lazily.
  get consts() {
    return CONSTS;
  },

  /**
   * free_zone_device_folio() (v6.6–v6.14): WARN and return when the pgmap has no
   * page_free op, which is the case for pmem FS DAX (spec §0.8) and device-dax, so
   * the page stays at 0; P2PDMA frees and resets to 1; PRIVATE/COHERENT free.
   */
  freeZoneDeviceFolio(ctx, head, type) {
    call(ctx, ctx.profile.names.freeZoneDevice, head, () => {
      ctx.emit({ type: 'free', pfn: head, fn: ctx.profile.names.freeZoneDevice });
      if (type === 'fsdax' || type === 'generic' || type === undefined) {
        warn(ctx, 'free-without-page-free', 'error', head, ctx.profile.names.freeZoneDevice, `${type ?? 'unknown'} page ${hex(head)} reached refcount 0; its pgmap has no page_free, so free_zone_device_folio() WARNs and leaves it at 0 (legacy idle is 1)`);
        return;
      }
      ctx.emit({ type: 'set_mapping', pfn: head, mapping: null });
      if (type === 'p2pdma') refSet(ctx, head, 1);
    });
  },

  /**
   * put_page() → put_devmap_managed_folio_refs() for FS DAX: folio_ref_sub_return(), and
   * wake_up_var() when the result is 1. folio_put_refs() called directly (bio release
   * on 6.1, gup_put_folio for non-FS-DAX) has no hook: reaching 1 wakes nobody.
   */
  putRefs(ctx, head, refs, type, via) {
    const viaHook = CONSTS.DEVMAP_PUT_HOOK && via !== 'folio_put_refs' && via !== 'bio_release';
    if (viaHook && type === 'fsdax') {
      call(ctx, ctx.profile.names.devmapPutHook, head, () => {
        if (refSubReturn(ctx, head, refs) === CONSTS.FSDAX_WAIT_UNTIL) wakeUpVar(ctx, hooks, head, ctx.profile.names.devmapPutHook);
      });
      return;
    }
    // put_devmap_managed_folio_refs() (put_devmap_managed_page_refs() before 6.10) enters
    // the hook for any ZONE_DEVICE folio while devmap_managed_key is on, which
    // devmap_managed_enable_get() does for each FS_DAX pgmap; __put_devmap_managed_*_refs()
    // returns false for every other type and the caller puts as below (vmtest 6.12
    // devdax-1G-devdax.trace.txt:245-246 and :343-345, a device-dax folio next to fsdax
    // namespaces: the hook at ref=2 and 3 returns 0, no wake_up_var)
    if (viaHook && type !== undefined && ctx.txn.ranges.some((r) => r.pgmapType === 'fsdax')) {
      call(ctx, ctx.profile.names.devmapPutHook, head, () => 0, (r) => r);
    }
    const fn = via === 'put_page' ? 'folio_put' : 'folio_put_refs';
    call(ctx, fn, head, () => {
      // folio_put()/folio_put_refs(): at 0, __folio_put() → free_zone_device_folio()
      if (refSubAndTest(ctx, head, refs)) call(ctx, '__folio_put', head, () => hooks.freeZoneDeviceFolio(ctx, head, type));
    });
  },

  /**
   * zap_pte_range()/zap_huge_pmd(): vm_normal_page() is NULL for devmap PTEs and DAX
   * VMAs are "special huge", so only the entry goes. Normal pages (P2PDMA via
   * vm_insert_page) drop rmap, RSS and, after the TLB flush, their reference.
   */
  zap(ctx, entries) {
    const puts: [number, number, PgmapType | undefined][] = [];
    for (const { mm, pte } of entries) zapOne(ctx, mm, pte, puts);
    // tlb_finish_mmu() → folios_put_refs(), which runs the devmap hook first (spec §6.1).
    for (const [head, n, type] of puts) hooks.putRefs(ctx, head, n, type, 'tlb_batch');
  },

  /** __split_huge_pmd_locked()/__split_huge_pud_locked(): special huge: clear, nothing remapped. */
  splitHuge(ctx, mm, addr, level) {
    const pte = pteCovering(ctx.txn.readWorld(), mm, addr);
    if (!pte || pte.level === 'pte') return;
    call(ctx, level === 'pud' ? '__split_huge_pud' : '__split_huge_pmd', pte.pfn, () => {
      ctx.emit({ type: 'pt_clear', mm, addr: pte.addr, level: pte.level });
    });
  },

  resume: (ctx, w) => resumeBreaker(ctx, w),
};

function zapOne(ctx: ModelCtx, mm: string, pte: MmPte['pte'], puts: [number, number, PgmapType | undefined][]): void {
  const fn = pte.level === 'pte' ? 'zap_pte_range' : `zap_huge_${pte.level}`;
  call(ctx, fn, pte.pfn < 0 ? undefined : pte.pfn, () => {
    ctx.emit({ type: 'pt_clear', mm, addr: pte.addr, level: pte.level });
    if (!pte.refcounted) return;
    const f = folioOf(ctx, pte.pfn);
    ctx.emit({ type: 'remove_rmap', pfn: f.head, page: pte.pfn, nr: 1, level: pte.level });
    ctx.emit({ type: 'rss', mm, val: -levelPages(pte.level) });
    puts.push([f.head, 1, f.type]);
  });
}

function levelPages(level: Level): number {
  return level === 'pte' ? 1 : level === 'pmd' ? HPAGE_PMD_NR : HPAGE_PUD_NR;
}

