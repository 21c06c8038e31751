/**
 * The GUP primitives both families share (mm/gup.c): the two grabs, gup_put_folio(),
 * the legacy pgmap lookup and GUP-fast's folio check. The arithmetic is the same in
 * every kernel (spec §6.3); what differs by version is named in the profile.
 */
import { GUP_PIN_COUNTING_BIAS } from '../../kernel/constants.ts';
import type { ModelCtx } from '../model.ts';
import { parseKernelVersion } from '../profile.ts';
import { PAGE_MAPPING_DAX_SHARED } from '../../state/page.ts';
import type { FamilyHooks } from './family.ts';
import { call, refAdd, refTryAdd, type FolioInfo } from './kernel.ts';

/** What a GUP call asks for (gup_flags). */
export interface GupFlags {
  readonly pin: boolean;
  readonly longterm: boolean;
  readonly write: boolean;
}

/**
 * try_grab_folio(folio, refs, flags) (slow GUP; try_grab_page(page, flags) before 6.10):
 * FOLL_GET adds refs; FOLL_PIN on a large folio adds refs and _pincount += refs, on a
 * small one refs × GUP_PIN_COUNTING_BIAS. `page` is the page the walk reached (a
 * tail's grab charges its head).
 */
export function grabSlow(ctx: ModelCtx, f: FolioInfo, refs: number, flags: GupFlags): void {
  call(ctx, ctx.profile.names.slowGrab, f.head, () => {
    if (!flags.pin) return refAdd(ctx, f.head, refs);
    if (f.order > 0) {
      refAdd(ctx, f.head, refs);
      ctx.emit({ type: 'pin_count', pfn: f.head, val: refs });
    } else refAdd(ctx, f.head, refs * GUP_PIN_COUNTING_BIAS);
  });
}

/**
 * folio_is_longterm_pinnable(): false for FS DAX since "mm/gup: don't allow
 * FOLL_LONGTERM pinning of FS DAX pages" (e5cb23256347, v6.15); device-dax and the
 * legacy kernels' ZONE_DEVICE pages are pinnable (spec §6.3, S3 5').
 */
export function longtermPinnable(ctx: ModelCtx, f: FolioInfo): boolean {
  return !(ctx.profile.family === 'unified' && f.type === 'fsdax');
}

/**
 * try_grab_folio_fast(page, refs, flags) (try_grab_folio(page, …) before 6.10):
 * folio_try_get() (page_ref_mod_unless); for FOLL_PIN|FOLL_LONGTERM of a folio that
 * is not long-term pinnable, folio_put_refs() and NULL (events/traces/
 * k72-ext4-daxshare.trace.txt:412: the grab, and no `_ret` line); else _pincount +=
 * refs on a large folio, or refs × 1023 more on a small one. True on success.
 */
export function grabFast(ctx: ModelCtx, hooks: FamilyHooks, page: number, f: FolioInfo, refs: number, flags: GupFlags): boolean {
  return call(ctx, ctx.profile.names.fastGrab, page, () => {
    if (!refTryAdd(ctx, f.head, refs)) return false;
    if (!flags.pin) return true;
    if (flags.longterm && !longtermPinnable(ctx, f)) {
      hooks.putRefs(ctx, f.head, refs, f.type, 'folio_put_refs');
      return false;
    }
    if (f.order > 0) ctx.emit({ type: 'pin_count', pfn: f.head, val: refs });
    else refAdd(ctx, f.head, refs * (GUP_PIN_COUNTING_BIAS - 1));
    return true;
  }, (ok) => (ok ? f.head : 0));
}

/**
 * gup_put_folio(folio, refs, flags): FOLL_PIN drops _pincount (large) or multiplies
 * refs by the bias (small), then the family's put (legacy: the devmap hook for FS DAX).
 */
export function gupPutFolio(ctx: ModelCtx, hooks: FamilyHooks, f: FolioInfo, refs: number, pin: boolean): void {
  call(ctx, 'gup_put_folio', f.head, () => {
    let n = refs;
    if (pin) {
      if (f.order > 0) ctx.emit({ type: 'pin_count', pfn: f.head, val: -refs });
      else n = refs * GUP_PIN_COUNTING_BIAS;
    }
    hooks.putRefs(ctx, f.head, n, f.type, 'gup_put_folio');
  });
}

/**
 * get_dev_pagemap(pfn, cached) (legacy GUP of a devmap entry): the pgmap found by pfn
 * range, one per leaf walk (spec §0.4); no page reference. Recorded per page in
 * k612-devdax-devdaxwork.trace.txt:195 (slow, tail in section 8) and :204 (fast, tail
 * in section 1), both returning the head's word 1.
 */
export function getDevPagemap(ctx: ModelCtx, pfn: number): void {
  call(ctx, 'get_dev_pagemap', pfn, () => undefined);
}

/**
 * gup_fast_folio_allowed() (v6.5+, "mm/gup: disallow FOLL_LONGTERM GUP-fast writing to
 * file-backed mappings"): with FOLL_PIN|FOLL_LONGTERM|FOLL_WRITE, or for an order-0 folio
 * under CONFIG_SECRETMEM, the folio's mapping is read: NULL → false (let slow GUP
 * decide); anonymous (the low bit, which legacy PAGE_MAPPING_DAX_SHARED also sets) →
 * true; a file → only when not rejecting file-backed pins (DAX is not shmem).
 * events/traces/k72-devdax-devdaxwork.trace.txt:234-236: the io_uring pin of a
 * device-dax tail is grabbed and put back, then taken by slow GUP.
 */
export function gupFastFolioAllowed(ctx: ModelCtx, f: FolioInfo, flags: GupFlags): boolean {
  const v = parseKernelVersion(ctx.profile.version);
  if (v === null || v[0] < 6 || (v[0] === 6 && v[1] < 5)) return true;
  const reject = flags.pin && flags.longterm && flags.write;
  const secret = ctx.profile.secretmem && f.order === 0;
  if (!reject && !secret) return true;
  const mapping = ctx.txn.page(f.head)?.mapping ?? null;
  if (mapping === null) return false;
  if (mapping === PAGE_MAPPING_DAX_SHARED) return true;
  return !reject;
}
