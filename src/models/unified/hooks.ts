/**
 * Unified kernel paths: folio_put() freeing at 0, free_zone_device_folio() per type,
 * zap with rmap/RSS and the TLB-batched reference drop, PMD/PUD split.
 */
import { HPAGE_PMD_NR, HPAGE_PUD_NR, PAGE_SIZE, hex } from '../../kernel/constants.ts';
import type { MmPte } from '../common/mm.ts';
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
   * One mmu_gather over `entries` (tlb_gather_mmu() … tlb_finish_mmu()):
   * zap_present_ptes()/zap_huge_pmd()/zap_huge_pud() remove the rmap and RSS now and
   * gather the references, dropped after the TLB flush, batched per folio
   * (folios_put_refs()). A dirty PTE of a file folio delays its rmap removal
   * (zap_present_folio_ptes(): `delay_rmap`, `force_flush`): at the end of its
   * zap_pte_range() the delayed rmaps go (tlb_flush_rmaps()) and everything gathered so
   * far is freed (tlb_flush_mmu()). Recorded: vmtest 7.3 xfs fsdax-reflink, the punch
   * of the clone: rmap_remove_ptes of the read-mapped shared pages first, then of the
   * written CoW page, then its free_zone_device_folio and wake_up_var at 0, before the
   * next VMA's zap_huge_pmd. A DAX PTE is dirty when written: the write fault maps it
   * dirty (insert_page() mkwrite: pte_mkdirty()), so `write` stands for the dirty bit.
   */
  zap(ctx, entries) {
    let puts: [number, number, PgmapType | undefined][] = [];
    let delayed: { mm: string; pte: MmPte['pte']; head: number }[] = [];
    const flushRmaps = (): void => {
      // tlb_flush_rmaps(): the delayed folio_remove_rmap_ptes(), then tlb_flush_mmu() frees
      if (delayed.length > 0) {
        call(ctx, 'tlb_flush_rmaps', undefined, () => {
          for (const d of delayed) call(ctx, 'folio_remove_rmap_ptes', d.head, () => ctx.emit({ type: 'remove_rmap', pfn: d.head, page: d.pte.pfn, nr: 1, level: 'pte' }));
        });
      }
      delayed = [];
      for (const [head, n, type] of puts) hooks.putRefs(ctx, head, n, type, 'tlb_batch');
      puts = [];
    };
    for (let i = 0; i < entries.length; i++) {
      const { mm, pte } = entries[i]!;
      const fn = pte.level === 'pte' ? 'zap_present_ptes' : `zap_huge_${pte.level}`;
      call(ctx, fn, pte.pfn < 0 ? undefined : pte.pfn, () => {
        ctx.emit({ type: 'pt_clear', mm, addr: pte.addr, level: pte.level });
        if (!pte.refcounted) return;
        const f = folioOf(ctx, pte.pfn);
        const delay = pte.level === 'pte' && pte.write && DELAY_DIRTY_FILE_RMAP;
        if (delay) delayed.push({ mm, pte, head: f.head });
        else {
          call(ctx, `folio_remove_rmap_${pte.level === 'pte' ? 'ptes' : pte.level}`, f.head, () => {
            ctx.emit({ type: 'remove_rmap', pfn: f.head, page: pte.pfn, nr: 1, level: pte.level });
          });
        }
        ctx.emit({ type: 'rss', mm, val: -levelPages(pte.level) });
        const last = puts[puts.length - 1];
        // folio_pte_batch(): consecutive PTEs of one folio are dropped in one batch entry.
        if (last && last[0] === f.head && pte.level === 'pte') last[1]++;
        else puts.push([f.head, 1, f.type]);
      });
      // the end of this zap_pte_range(): the next entry is in another page table (or not a PTE)
      const next = entries[i + 1];
      const tableEnds = next === undefined || next.mm !== mm || next.pte.level !== 'pte' || pte.level !== 'pte' || Math.floor(next.pte.addr / PMD_SIZE) !== Math.floor(pte.addr / PMD_SIZE);
      if (tableEnds && delayed.length > 0) flushRmaps();
    }
    flushRmaps();
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

/** Bytes one page table maps (a PMD's worth of PTEs). */
const PMD_SIZE = HPAGE_PMD_NR * PAGE_SIZE;
/** tlb_delay_rmap(): x86 (no MMU_GATHER_NO_GATHER) delays the rmap of dirty file PTEs. */
const DELAY_DIRTY_FILE_RMAP = true;

function levelPages(level: Level): number {
  return level === 'pte' ? 1 : level === 'pmd' ? HPAGE_PMD_NR : HPAGE_PUD_NR;
}

