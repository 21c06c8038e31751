/**
 * Letting go of GUP references (mm/gup.c unpin_user_*()) and the O_DIRECT pair
 * (block/bio.c bio_iov_iter_get_pages(), __bio_release_pages()), shared by both
 * families: the entry points differ by version (the profile's `dio`), the arithmetic
 * is gup_put_folio()'s, and the put at the end is the family's (legacy: the devmap
 * hook for FS DAX; unified: free at 0).
 */
import { hex } from '../../kernel/constants.ts';
import type { OpOf, UnpinVia } from '../../events/op.ts';
import type { ModelCtx } from '../model.ts';
import type { FamilyHooks } from './family.ts';
import { call, folioOf, folioRuns, type FolioInfo } from './kernel.ts';
import { warn } from './lifecycle.ts';
import { gupPutFolio } from './grab.ts';
import { gup } from './gup.ts';

/** gup_put_folio(folio, n, FOLL_PIN), after checking the large folio's _pincount covers it. */
function unpinFolio(ctx: ModelCtx, hooks: FamilyHooks, f: FolioInfo, n: number): void {
  if (f.order > 0) {
    const pins = ctx.txn.page(f.head + 1)?.pincount ?? 0;
    if (pins < n) warn(ctx, 'unpin-unpinned', 'error', f.head, 'gup_put_folio', `unpin of ${n} page(s) of folio ${hex(f.head)}, whose _pincount is ${pins}`);
  }
  gupPutFolio(ctx, hooks, f, n, true);
}

/**
 * The unpin entry points over nr pages from pfn: unpin_user_pages() (and
 * unpin_user_pages_dirty_lock(), which calls it) batch consecutive pages of one folio
 * into one gup_put_folio(folio, n); unpin_user_page() puts one page per call;
 * unpin_user_folio(folio, npages) puts npages of one folio at once.
 */
export function unpinPages(ctx: ModelCtx, hooks: FamilyHooks, pfn: number, nr: number, via: UnpinVia): void {
  if (via === 'unpin_user_page') {
    for (let i = 0; i < nr; i++) call(ctx, 'unpin_user_page', pfn + i, () => unpinFolio(ctx, hooks, folioOf(ctx, pfn + i), 1));
    return;
  }
  if (via === 'unpin_user_folio') {
    for (const [f, , n] of folioRuns(ctx, pfn, nr)) call(ctx, 'unpin_user_folio', f.head, () => unpinFolio(ctx, hooks, f, n));
    return;
  }
  const batch = (): void => {
    for (const [f, , n] of folioRuns(ctx, pfn, nr)) unpinFolio(ctx, hooks, f, n);
  };
  // unpin_user_pages_dirty_lock(pages, n, false) is unpin_user_pages(pages, n)
  if (via === 'unpin_user_pages_dirty_lock') call(ctx, via, pfn, () => call(ctx, 'unpin_user_pages', pfn, batch));
  else call(ctx, 'unpin_user_pages', pfn, batch);
}

/** The `unpin` Op. */
export function unpin(ctx: ModelCtx, hooks: FamilyHooks, op: OpOf<'unpin'>): void {
  unpinPages(ctx, hooks, op.pfn, op.nr, op.via ?? 'unpin_user_pages');
}

/**
 * bio_iov_iter_get_pages(): FOLL_GET through iov_iter_get_pages() → get_user_pages_fast()
 * (6.1: events/traces/k61-ext4-daxrace.trace.txt:165, flags=0x5, 1 → 2), or FOLL_PIN
 * through iov_iter_extract_pages() → pin_user_pages_fast() (6.12+: k72-ext4-daxrace.
 * trace.txt, 1 → 1025). A read into the pages is FOLL_WRITE.
 */
export function dioGrab(ctx: ModelCtx, hooks: FamilyHooks, op: OpOf<'dio.grab'>): void {
  call(ctx, 'bio_iov_iter_get_pages', op.pfn, () => {
    gup(ctx, hooks, { mm: op.mm, pfn: op.pfn, nr: op.nr, fast: op.fast, pin: ctx.profile.dio.grab === 'pin', longterm: false, write: op.write ?? true });
  });
}

/**
 * __bio_release_pages(): 6.1.y puts each folio with folio_put_refs(), which bypasses the
 * legacy devmap hook, so nothing wakes a layout breaker waiting for refcount 1
 * (k61-ext4-daxrace.trace.txt:175: no __put_devmap_managed_page_refs, no wake_up_var;
 * the hole punch sleeps until SIGALRM). Later kernels unpin (bio_release_page() →
 * unpin_user_page(), then bio_release_folio() → unpin_user_folio(), k73-ext4-daxrace.
 * trace.txt:195), which ends in the hook (legacy) or the free at 0 (unified).
 */
export function dioRelease(ctx: ModelCtx, hooks: FamilyHooks, op: OpOf<'dio.release'>): void {
  call(ctx, '__bio_release_pages', undefined, () => {
    switch (ctx.profile.dio.release) {
      case 'folio_put_refs':
        for (const [f, , n] of folioRuns(ctx, op.pfn, op.nr)) hooks.putRefs(ctx, f.head, n, f.type, 'folio_put_refs');
        return;
      case 'put_page':
        for (let i = 0; i < op.nr; i++) {
          const f = folioOf(ctx, op.pfn + i);
          hooks.putRefs(ctx, f.head, 1, f.type, 'put_page');
        }
        return;
      case 'unpin_user_page':
      case 'unpin_user_folio':
        return unpinPages(ctx, hooks, op.pfn, op.nr, ctx.profile.dio.release);
    }
  });
}
