/**
 * Unified kernel paths: folio_put() freeing at 0, free_zone_device_folio() per type,
 * zap with rmap/RSS and the TLB-batched reference drop, PMD/PUD split.
 */
import { HPAGE_PMD_NR, HPAGE_PUD_NR, hex } from '../../kernel/constants.ts';
import type { Level, PgmapType } from '../../events/op.ts';
import type { FamilyHooks } from '../common/family.ts';
import { call, folioOf, refSet, refSubAndTest } from '../common/kernel.ts';
import { warn } from '../common/lifecycle.ts';
import { pteCovering } from '../common/mm.ts';
import { wakeUpVar } from '../common/waiters.ts';
import { CONSTS } from './rules.ts';
import { resumeBreaker } from './dax.ts';

export const hooks: FamilyHooks = {
  // A getter: rules.ts (which defines CONSTS) imports this module, so CONSTS is read lazily.
  get consts() {
    return CONSTS;
  },

  /**
   * free_zone_device_folio() (v6.15+): FS_DAX has no callback and wakes layout
   * breakers (wake_up_var(&folio->page)), staying at 0 and keeping ->mapping;
   * GENERIC resets to 1 and keeps ->mapping; PRIVATE/COHERENT/P2PDMA clear ->mapping
   * and call page_free (P2PDMA stays at 0).
   */
  freeZoneDeviceFolio(ctx, head, type) {
    call(ctx, 'free_zone_device_folio', head, () => {
      ctx.emit({ type: 'free', pfn: head, fn: 'free_zone_device_folio' });
      switch (type) {
        case 'fsdax':
          return wakeUpVar(ctx, hooks, head, 'free_zone_device_folio');
        case 'generic':
          return refSet(ctx, head, 1);
        case 'private':
        case 'coherent':
        case 'p2pdma':
          return void ctx.emit({ type: 'set_mapping', pfn: head, mapping: null });
        case undefined:
          return warn(ctx, 'free-without-pgmap', 'error', head, 'free_zone_device_folio', `folio ${hex(head)} has no pgmap`);
      }
    });
  },

  /** folio_put()/folio_put_refs()/folios_put_refs(): at 0, free_zone_device_folio(). */
  putRefs(ctx, head, refs, type, via) {
    const fn = via === 'put_page' ? 'folio_put' : via === 'tlb_batch' ? 'folios_put_refs' : 'folio_put_refs';
    call(ctx, fn, head, () => {
      if (!refSubAndTest(ctx, head, refs)) return;
      // folios_put_refs() calls free_zone_device_folio() directly; the others via __folio_put().
      if (via === 'tlb_batch') hooks.freeZoneDeviceFolio(ctx, head, type);
      else call(ctx, '__folio_put', head, () => hooks.freeZoneDeviceFolio(ctx, head, type));
    });
  },

  /**
   * zap_present_ptes()/zap_huge_pmd()/zap_huge_pud(): remove the rmap and RSS now;
   * the references go after the TLB flush, batched per folio (folios_put_refs()).
   */
  zap(ctx, entries) {
    const puts: [number, number, PgmapType | undefined][] = [];
    for (const { mm, pte } of entries) {
      const fn = pte.level === 'pte' ? 'zap_present_ptes' : `zap_huge_${pte.level}`;
      call(ctx, fn, pte.pfn < 0 ? undefined : pte.pfn, () => {
        ctx.emit({ type: 'pt_clear', mm, addr: pte.addr, level: pte.level });
        if (!pte.refcounted) return;
        const f = folioOf(ctx, pte.pfn);
        call(ctx, `folio_remove_rmap_${pte.level === 'pte' ? 'ptes' : pte.level}`, f.head, () => {
          ctx.emit({ type: 'remove_rmap', pfn: f.head, page: pte.pfn, nr: 1, level: pte.level });
        });
        ctx.emit({ type: 'rss', mm, val: -levelPages(pte.level) });
        const last = puts[puts.length - 1];
        // folio_pte_batch(): consecutive PTEs of one folio are dropped in one batch entry.
        if (last && last[0] === f.head && pte.level === 'pte') last[1]++;
        else puts.push([f.head, 1, f.type]);
      });
    }
    for (const [head, n, type] of puts) hooks.putRefs(ctx, head, n, type, 'tlb_batch');
  },

  /** __split_huge_pmd_locked()/__split_huge_pud_locked(): rmap, folio_put(), RSS; not remapped. */
  splitHuge(ctx, mm, addr, level) {
    const pte = pteCovering(ctx.txn.readWorld(), mm, addr);
    if (!pte || pte.level === 'pte') return;
    call(ctx, level === 'pud' ? '__split_huge_pud_locked' : '__split_huge_pmd_locked', pte.pfn, () => {
      ctx.emit({ type: 'pt_clear', mm, addr: pte.addr, level: pte.level });
      if (!pte.refcounted) return;
      const f = folioOf(ctx, pte.pfn);
      ctx.emit({ type: 'remove_rmap', pfn: f.head, page: pte.pfn, nr: 1, level: pte.level });
      ctx.emit({ type: 'rss', mm, val: -levelPages(pte.level) });
      hooks.putRefs(ctx, f.head, 1, f.type, 'put_page');
    });
  },

  resume: (ctx, w) => resumeBreaker(ctx, w),
};

function levelPages(level: Level): number {
  return level === 'pte' ? 1 : level === 'pmd' ? HPAGE_PMD_NR : HPAGE_PUD_NR;
}

