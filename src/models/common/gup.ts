/**
 * GUP (FOLL_GET) and pinning (FOLL_PIN) and unpin (spec §6.3), shared by both
 * families: the arithmetic of try_grab_folio()/gup_put_folio() is the same; what
 * differs is which entries hold references (a legacy devmap entry walks per 4 KiB
 * page, a unified PMD leaf grabs a folio at once) and the function names.
 */
import { GUP_PIN_COUNTING_BIAS, hex } from '../../kernel/constants.ts';
import type { OpOf } from '../../events/op.ts';
import type { ModelCtx } from '../model.ts';
import type { FamilyHooks } from './family.ts';
import { call, folioOf, folioRuns, refAdd, refTryAdd, type FolioInfo } from './kernel.ts';
import { entryPages, ptesMapping, type MmPte } from './mm.ts';
import { EOPNOTSUPP, warn } from './lifecycle.ts';

/** How a family walks GUP. */
export interface GupStyle {
  /** Slow-path grab name (try_grab_page before 6.10, try_grab_folio after). */
  readonly slowGrab: string;
  /** Fast-path grab name (try_grab_folio(page,…) before 6.10, try_grab_folio_fast after). */
  readonly fastGrab: string;
  /** A huge leaf is grabbed as one folio (unified) rather than per 4 KiB page (legacy devmap). */
  readonly leafGrabsFolio: boolean;
  /** GUP-fast backs off from special PMD/PUD leaves to slow GUP (legacy devmap FOLL_LONGTERM, unified 6.15–6.16). */
  readonly fastBacksOffSpecialLeaf: boolean;
  /** The slow path's huge-leaf walker: follow_devmap_pmd() (legacy), follow_huge_pmd() (unified). */
  readonly slowHugeWalk: string;
  /** GUP-fast's huge-leaf walker: gup_fast_devmap_leaf() (pre-6.10 __gup_device_huge()), gup_fast_pmd_leaf(). */
  readonly fastHugeWalk: string;
}

type Grab = OpOf<'gup.get'> | OpOf<'gup.pin'>;

/** The leaf entry through which GUP reaches pfn, preferring the Op's mm. */
function leafOf(ctx: ModelCtx, op: Grab, pfn: number): MmPte | undefined {
  const all = ptesMapping(ctx.txn.readWorld(), pfn, 1);
  return all.find((m) => m.mm === op.mm) ?? all[0];
}

/**
 * try_grab_folio(folio, refs, flags) / try_grab_page(): FOLL_GET adds refs; FOLL_PIN
 * on a large folio adds refs and _pincount += refs, on a small one refs × 1024.
 */
function grabSlow(ctx: ModelCtx, style: GupStyle, f: FolioInfo, refs: number, pin: boolean): void {
  call(ctx, style.slowGrab, f.head, () => {
    if (!pin) return refAdd(ctx, f.head, refs);
    if (f.order > 0) {
      refAdd(ctx, f.head, refs);
      ctx.emit({ type: 'pin_count', pfn: f.head, val: refs });
    } else refAdd(ctx, f.head, refs * GUP_PIN_COUNTING_BIAS);
  });
}

/**
 * try_grab_folio_fast(page, refs, flags): folio_try_get (page_ref_mod_unless), then
 * for FOLL_PIN _pincount += refs on a large folio or refs × 1023 more on a small one.
 */
function grabFast(ctx: ModelCtx, style: GupStyle, f: FolioInfo, refs: number, pin: boolean): boolean {
  return call(ctx, style.fastGrab, f.head, () => {
    if (!refTryAdd(ctx, f.head, refs)) return false;
    if (pin) {
      if (f.order > 0) ctx.emit({ type: 'pin_count', pfn: f.head, val: refs });
      else refAdd(ctx, f.head, refs * (GUP_PIN_COUNTING_BIAS - 1));
    }
    return true;
  }, (ok) => (ok ? f.head : 0));
}

/** get_user_pages()/pin_user_pages() and their fast variants over [pfn, pfn + nr). */
export function gup(ctx: ModelCtx, hooks: FamilyHooks, style: GupStyle, op: Grab): void {
  const pin = op.type === 'gup.pin';
  const longterm = pin && op.longterm;
  const top = pin ? (op.fast ? 'pin_user_pages_fast' : 'pin_user_pages') : op.fast ? 'get_user_pages_fast' : 'get_user_pages';
  call(ctx, top, op.pfn, () => {
    if (longterm && folioOf(ctx, op.pfn).type === 'fsdax') {
      // check_vma_flags(): FOLL_LONGTERM on an FS DAX VMA is -EOPNOTSUPP in both families (S3 5').
      call(ctx, 'check_vma_flags', op.pfn, () => EOPNOTSUPP, (r) => r);
      return EOPNOTSUPP;
    }
    let p = op.pfn;
    while (p < op.pfn + op.nr) {
      const f = folioOf(ctx, p);
      const leaf = leafOf(ctx, op, p);
      const huge = leaf !== undefined && leaf.pte.level !== 'pte';
      const inFolio = Math.min(op.pfn + op.nr, f.head + 2 ** f.order) - p;
      let fast = op.fast;
      if (fast && huge && leaf.pte.special && style.fastBacksOffSpecialLeaf) fast = false;
      if (fast && longterm && leaf?.pte.special) fast = false; // devmap PTE + FOLL_LONGTERM bails to slow GUP
      if (fast && !leaf) {
        speculativeGrab(ctx, hooks, style, f, pin);
        p++;
        continue;
      }
      if (huge && style.leafGrabsFolio) {
        // One leaf covers the rest of the folio: fast grabs all refs at once; slow grabs
        // 1 in follow_huge_pmd() and the other n-1 in __get_user_pages() (spec §0.2).
        if (fast) call(ctx, style.fastHugeWalk, f.head, () => grabFast(ctx, style, f, inFolio, pin));
        else {
          call(ctx, style.slowHugeWalk, f.head, () => grabSlow(ctx, style, f, 1, pin));
          if (inFolio > 1) grabSlow(ctx, style, f, inFolio - 1, pin);
        }
        p += inFolio;
        continue;
      }
      if (huge) {
        // A devmap leaf is walked per 4 KiB page: follow_devmap_pmd() once per page in slow
        // GUP (k612-ext4-daxwork.trace.txt:205-208), gup_fast_devmap_leaf() once per leaf.
        const run = Math.min(op.pfn + op.nr, leaf.pte.pfn + entryPages(leaf.pte)) - p;
        if (fast) {
          const from = p;
          call(ctx, style.fastHugeWalk, p, () => {
            for (let i = 0; i < run; i++) grabFast(ctx, style, folioOf(ctx, from + i), 1, pin);
          });
          p += run;
        } else {
          call(ctx, style.slowHugeWalk, p, () => grabSlow(ctx, style, f, 1, pin));
          p++;
        }
        continue;
      }
      if (fast) grabFast(ctx, style, f, 1, pin);
      else grabSlow(ctx, style, f, 1, pin);
      p++;
    }
    return op.nr;
  }, (r) => r);
}

/**
 * GUP-fast that read a stale PTE of an unmapped page (S8): legacy's try-get succeeds
 * on refcount 1 and, seeing the PTE changed, drops the reference again through the
 * put path; unified's fails on an idle folio at 0.
 */
function speculativeGrab(ctx: ModelCtx, hooks: FamilyHooks, style: GupStyle, f: FolioInfo, pin: boolean): void {
  if (!grabFast(ctx, style, f, 1, pin)) return;
  call(ctx, 'gup_put_folio', f.head, () => {
    let refs = 1;
    if (pin) {
      if (f.order > 0) ctx.emit({ type: 'pin_count', pfn: f.head, val: -1 });
      else refs = GUP_PIN_COUNTING_BIAS;
    }
    hooks.putRefs(ctx, f.head, refs, f.type, 'gup_put_folio');
  });
}

/** unpin_user_pages(): consecutive pages of one folio go to one gup_put_folio(folio, n). */
export function unpin(ctx: ModelCtx, hooks: FamilyHooks, op: OpOf<'unpin'>): void {
  call(ctx, 'unpin_user_pages', op.pfn, () => {
    for (const [f, , n] of folioRuns(ctx, op.pfn, op.nr)) {
      call(ctx, 'gup_put_folio', f.head, () => {
        let refs = n;
        if (f.order > 0) {
          const pins = ctx.txn.page(f.head + 1)?.pincount ?? 0;
          if (pins < n) warn(ctx, 'unpin-unpinned', 'error', f.head, 'gup_put_folio', `unpin of ${n} page(s) of folio ${hex(f.head)}, whose _pincount is ${pins}`);
          ctx.emit({ type: 'pin_count', pfn: f.head, val: -n });
        } else refs = n * GUP_PIN_COUNTING_BIAS;
        hooks.putRefs(ctx, f.head, refs, f.type, 'gup_put_folio');
      });
    }
  });
}
